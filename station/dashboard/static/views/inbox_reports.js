/* 待审报表 (#/inbox): the reports waiting for the caller, asked for in one request: a
   street leader's stations' reports, the district's streets' roll-ups. Each by its name
   ("西湖路街道社工站 · 2026年第48周"), opened as a readable page (#/reports/<id>) where
   it is accepted or returned with a reason. Below, the ones decided lately. */
"use strict";
(function () {
  var h = WB.h, t = WB.t, L = WBLead;
  var BELOW = { street_leader: "station", district_admin: "street" };

  WB.register("inbox_reports", {
    props: ["params", "ready"],
    setup: function (props) {
      var role = (Api.claims() || {}).role, level = BELOW[role] || "station";
      var s = Vue.reactive({ waiting: null, decided: [], names: {}, error: null });
      Promise.all([L.names(), L.reports({ status: "submitted", level: level }),
                   L.reports({ level: level })])
        .then(function (got) {
          s.names = got[0]; s.waiting = got[1];
          s.decided = got[2].filter(function (r) { return r.status !== "submitted"; }).slice(0, 10);
        }).catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });
      function row(r) {
        var note = L.lastNote(r);
        return h("li", { class: "wb-item", "data-report": r.id, "data-status": r.status }, [
          h("div", { class: "wb-item-main" }, [
            h("a", { href: "#/reports/" + encodeURIComponent(r.id), class: "wb-name" }, L.reportTitle(r, s.names)),
            h("span", WB.label("report_status", r.status)),
            h("span", t("submitted_by") + " " + (r.submitted_by || "")),
            h("span", { class: "wb-time" }, Fmt.time(r.submitted_at)),
            note ? h("span", note) : null])]);
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_inbox")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.waiting && !s.waiting.length ? h("p", { id: "inbox-empty" }, t("nothing")) : null,
          h("ul", { class: "wb-list", id: "inbox" }, (s.waiting || []).map(row)),
          h("h2", t("decided_lately")),
          h("ul", { class: "wb-list", id: "decided" }, s.decided.map(row))]);
      };
    }
  });
})();
