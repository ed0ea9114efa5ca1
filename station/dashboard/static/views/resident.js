/* The resident's page (#/residents/<id>): card, categories, cases and visits, masked as
   the API masks them. A Red-card or child's record needs a reason (X-Access-Reason): the
   worker is asked for it in a dialog, and it is sent with the read. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var reasons = {};     // resident id -> the reason given in this page (memory only)

  WB.register("resident", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var s = Vue.reactive({ r: null, cases: [], visits: [], error: null, ask: false, reason: "",
                             communities: {} });
      var done = false;
      function readyOnce() { if (!done) { done = true; Vue.nextTick(props.ready); } }
      function load() {
        s.error = null;
        Api.request("/residents/" + encodeURIComponent(id), { reason: reasons[id] }).then(function (r) {
          s.r = r; WB.remember(r);
          return Promise.all([
            Api.request("/cases?resident_id=" + encodeURIComponent(id), { reason: reasons[id] }),
            Api.request("/visits?page_size=20&resident_id=" + encodeURIComponent(id), { reason: reasons[id] }),
            WB.communities().catch(function () { return {}; })]);
        }).then(function (got) {
          s.cases = got[0].items; s.visits = got[1].items; s.communities = got[2];
          s.visits.sort(function (a, b) { return a.visited_at < b.visited_at ? 1 : -1; });
        }).catch(function (e) {
          if (e.status === 403 && e.code === "reason_required") { s.ask = true; }
          else s.error = WB.message(e);
        }).finally(readyOnce);
      }
      // a record a list showed as Red or a child's: ask first, read once (no refused read)
      if (WB.needsReason(id) && !reasons[id]) { s.ask = true; readyOnce(); } else load();
      function give() {
        if (!s.reason.trim()) return false;
        reasons[id] = s.reason.trim(); s.ask = false; load(); return true;
      }
      return function () {
        var r = s.r;
        return h("section", { class: "wb-page" }, [
          h(vant.Dialog, { show: s.ask, title: t("reason_needed"), showCancelButton: true,
                           confirmButtonText: t("confirm"), cancelButtonText: t("cancel"),
                           beforeClose: function (action) {
                             if (action === "confirm") return give();
                             location.hash = "#/today"; return true;
                           } }, function () {
            return h("div", { class: "wb-field wb-dialog-field" }, [
              h("label", { for: "f-reason" }, t("field_reason")),
              h("input", { id: "f-reason", value: s.reason, onInput: function (e) { s.reason = e.target.value; } })]);
          }),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          r ? h("div", { class: "wb-resident card-" + r.card }, [
            h("h1", r.name),
            h(vant.CellGroup, { inset: true }, function () { return [
              h(vant.Cell, { title: t("field_card"), value: WB.label("card", r.card || "none") }),
              h(vant.Cell, { title: t("field_community_id"), value: s.communities[r.community_id] || "" }),
              h(vant.Cell, { title: t("field_gender"), value: WB.label("gender", r.gender) }),
              h(vant.Cell, { title: t("field_birth_date"), value: r.birth_date }),
              h(vant.Cell, { title: t("field_id_number"), value: r.id_number }),
              h(vant.Cell, { title: t("field_phone"), value: r.phone || "" }),
              h(vant.Cell, { title: t("field_categories"),
                             value: (r.categories || []).map(function (c) { return WB.label("categories", c); }).join("、") })]; }),
            h("a", { class: "wb-link-button primary", href: "#/residents/" + id + "/visit" }, t("record_visit")),
            /* wb-worker: the worker's other journeys from the resident's page */
            h("div", { class: "wb-actions", id: "resident-actions" }, [
              h("a", { class: "wb-link-button", href: "#/residents/" + id + "/assess" }, t("wb_assess")),
              h("a", { class: "wb-link-button", href: "#/residents/" + id + "/need" }, t("wb_need")),
              h("a", { class: "wb-link-button", href: "#/residents/" + id + "/case" }, t("wb_case_new"))].concat(
              /* a supervisor or station head changes the card outright (views/card.js) */
              ["supervisor", "station_head"].indexOf((Api.claims() || {}).role) >= 0
                ? [h("a", { class: "wb-link-button", href: "#/card/" + id }, t("wb_card"))] : [])),
            h("h2", t("needs_of")),
            h("ul", { class: "wb-list", id: "needs" }, (r.needs || []).length ? r.needs.map(function (n) {
              return h("li", { class: "wb-item", "data-need": n.need_id }, [h("strong", WB.label("need_category", n.category)),
                h("span", WB.label("urgency", n.urgency)), h("span", n.description || ""),
                h("span", WB.label("need_status", n.status))]);
            }) : [h("li", t("nothing"))]),
            /* end wb-worker */
            h("h2", t("cases_of")),
            h("ul", { class: "wb-list", id: "cases" }, s.cases.length ? s.cases.map(function (c) {
              return h("li", { class: "wb-item" }, [h("a", { href: "#/cases/" + c.id, class: "wb-name" },   /* wb-worker: opens the case */
                                                      WB.label("domain", c.domain) + " · " + WB.label("case_state", c.state)),
                                                    h("span", { class: "wb-time" }, Fmt.time(c.opened_at))]);
            }) : [h("li", t("nothing"))]),
            h("h2", t("visits_of")),
            h("ul", { class: "wb-list", id: "visits" }, s.visits.length ? s.visits.map(function (v) {
              return h("li", { class: "wb-item" }, [h("span", WB.label("method", v.method)),
                                                    h("span", { class: "wb-time" }, Fmt.time(v.visited_at))]);
            }) : [h("li", t("nothing"))])]) : null]);
      };
    }
  });
})();
