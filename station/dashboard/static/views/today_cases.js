/* 今日工作's 我的个案 (wb-worker): the worker's own cases not closed, each with its
   resident by name and the next step (待评估, 待提交计划审批, 待督导审批计划, …), opening
   the case's page. A part of views/today.js, rendered there as WB.TodayCases. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var ORDER = { open: 0, assessed: 1, planned: 2, in_service: 3, plan_pending: 4, closure_pending: 5 };

  WB.TodayCases = {
    setup: function () {
      var s = Vue.reactive({ items: null });
      var me = (Api.claims() || {}).sub;
      Promise.all([Api.all("/cases?station_id=" + WBW.q(WBW.station()) + "&worker=" + WBW.q(me || "")),
                   WBW.residents()]).then(function (got) {
        s.items = got[0].filter(function (c) { return c.state !== "closed"; }).sort(function (a, b) {
          return (ORDER[a.state] - ORDER[b.state]) || (a.opened_at < b.opened_at ? -1 : 1);
        });
      }).catch(function () { s.items = []; });
      return function () {
        if (!s.items || !s.items.length) return null;
        return h("div", { class: "wb-today-cases" }, [
          h("h2", { id: "my-cases-title" }, t("my_cases")),
          h("ul", { class: "wb-list", id: "my-cases", "aria-labelledby": "my-cases-title" }, s.items.map(function (c) {
            return h("li", { class: "wb-item", "data-case": c.id, "data-state": c.state }, [
              h("div", { class: "wb-item-main" }, [
                h("a", { href: "#/cases/" + c.id, class: "wb-name" }, WB.nameOf(c.resident_id) || t("wb_case")),
                h("span", WB.label("domain", c.domain)),
                h("span", { class: "wb-next-step" }, t("next_step") + "：" + WB.label("next_step", c.state))])]);
          }))]);
      };
    }
  };
})();
