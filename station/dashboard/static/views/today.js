/* 今日工作 (#/today): the social worker's follow-ups due and overdue, Red cards first,
   each with the resident's name and a button to record the visit; links to find and
   register residents and to take attendance. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var CARD_ORDER = { red: 0, blue: 1, green: 2 };

  function order(a, b) {
    return (CARD_ORDER[a.card] === undefined ? 3 : CARD_ORDER[a.card]) -
           (CARD_ORDER[b.card] === undefined ? 3 : CARD_ORDER[b.card]) ||
           (a.status === b.status ? 0 : a.status === "overdue" ? -1 : 1) ||
           (a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : 0);
  }

  WB.register("today", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ items: null, error: null, returned: [] });
      var me = (Api.claims() || {}).sub;
      var station = Api.station();
      var q = "/followups?station_id=" + encodeURIComponent(station || "") + "&status=";
      Promise.all([Api.all(q + "overdue"), Api.all(q + "due"),
                   Api.all("/residents?station_id=" + encodeURIComponent(station || ""))])
        .then(function (got) {
          var byId = {};
          got[2].forEach(function (r) { byId[r.id] = r; WB.remember(r); });
          s.items = got[0].concat(got[1]).sort(order).map(function (f) {
            return Object.assign({ name: (byId[f.resident_id] || {}).name || "" }, f);
          });
          return returned(byId);
        }).catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });

      /* What a supervisor sent back to this worker, with the reason, to act on. */
      function returned(byId) {
        var st = "station_id=" + encodeURIComponent(station || "");
        return Promise.all([Api.all("/cases/approvals?status=sent_back&" + st), Api.all("/cases?" + st)])
          .then(function (got) {
            var residentOf = {};
            got[1].forEach(function (c) { residentOf[c.id] = c.resident_id; });
            s.returned = got[0].filter(function (a) { return a.requested_by === me; }).map(function (a) {
              var rid = residentOf[a.case_id];
              return { id: a.id, resident_id: rid, name: (byId[rid] || {}).name || "", subject: a.subject,
                       comments: a.comments || "", by: a.decided_by || "" };
            });
          }).catch(function () {});
      }
      return function () {
        return h("section", { class: "wb-page", "aria-labelledby": "today-title" }, [
          h("h1", { id: "today-title" }, t("wb_today")),
          h("div", { class: "wb-actions" }, [
            h("a", { class: "wb-link-button", href: "#/residents" }, t("wb_search")),
            h("a", { class: "wb-link-button", href: "#/residents/new" }, t("wb_register")),
            h("a", { class: "wb-link-button", href: "#/attendance" }, t("wb_attendance"))]),
          h("h2", t("followups_today")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.items && !s.items.length ? h(vant.Empty, { description: t("nothing_due") }) : null,
          s.items ? h("ul", { class: "wb-list", id: "followups" }, s.items.map(function (f) {
            return h("li", { class: "wb-item card-" + f.card, "data-resident": f.resident_id }, [
              h("div", { class: "wb-item-main" }, [
                h("a", { href: "#/residents/" + f.resident_id, class: "wb-name" }, f.name),
                h(vant.Tag, { type: f.card === "red" ? "danger" : f.card === "blue" ? "primary" : "success",
                              class: "wb-card-tag" }, function () { return WB.label("card", f.card || "none"); }),
                h("span", { class: "wb-status status-" + f.status }, WB.label("status", f.status)),
                h("span", { class: "wb-time" }, Fmt.time(f.due_at))]),
              h("a", { class: "wb-link-button primary", href: "#/residents/" + f.resident_id + "/visit",
                       "aria-label": t("record_visit") + " · " + f.name }, t("record_visit"))]);
          })) : null,
          WB.TodayCases ? h(WB.TodayCases) : null,   /* wb-worker: own cases' next steps */
          s.returned.length ? h("h2", t("sent_back_to_me")) : null,
          s.returned.length ? h("ul", { class: "wb-list", id: "returned" }, s.returned.map(function (a) {
            return h("li", { class: "wb-item" }, [
              h("div", { class: "wb-item-main" }, [
                h("a", { href: "#/residents/" + a.resident_id, class: "wb-name" }, a.name),
                h("span", t(a.subject)),
                h("span", { class: "wb-time" }, t("send_back_reason") + "：" + a.comments + " · " + a.by)])]);
          })) : null]);
      };
    }
  });
})();
