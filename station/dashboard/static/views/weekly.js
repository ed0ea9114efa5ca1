/* 周报 (#/weekly, #/weekly/<2026-W49>): the station head's weekly report. Drafted by
   reporting from the week's events (GET .../weekly/<week>/draft: its figures, a summary
   and a plan); the summary and the plan are what the API lets one edit; 提交 freezes it
   (POST .../reports). A report the street returned shows its reason and opens again for
   editing; the station's recent reports are listed with their state and the street's word. */
"use strict";
(function () {
  var h = WB.h, t = WB.t, L = WBLead;

  function figureRows(f) {
    return [["visits", f.visits.total], ["person_times", f.activities.person_times],
            ["activities", f.activities.held], ["cases_open", f.cases.open],
            ["cases_closed", f.cases.closed], ["followups_overdue", f.followups.overdue]];
  }

  WB.register("weekly", {
    props: ["params", "ready"],
    setup: function (props) {
      var station = Api.station(), week = props.params[0] || L.weekOf(L.day());
      var s = Vue.reactive({ names: {}, report: null, draft: null, recent: [], error: null,
                             busy: false, formError: null, errors: {}, done: null });
      var model = Vue.reactive({ summary: "", plan: "" });
      var base = "/reports/stations/" + encodeURIComponent(station || "");

      function load() {
        return Promise.all([L.names(), L.reports({ level: "station", unit_id: station })])
          .then(function (got) {
            s.names = got[0];
            s.recent = got[1];
            s.report = got[1].filter(function (r) { return r.period === week; })[0] || null;
            if (s.report && s.report.status !== "returned" && s.report.status !== "reopened") return;
            return Api.request(base + "/weekly/" + encodeURIComponent(week) + "/draft").then(function (d) {
              s.draft = d;
              model.summary = s.report ? s.report.summary || "" : d.summary;
              model.plan = s.report ? s.report.plan || "" : d.plan;
            });
          }).catch(function (e) { s.error = WB.message(e); });
      }
      load().finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        s.formError = null; s.errors = {};
        if (!model.summary.trim()) { s.errors.summary = t("required"); return; }
        s.busy = true;
        Api.request(base + "/reports", { method: "POST",
          body: { period: week, summary: model.summary.trim(), plan: model.plan.trim() || null } })
          .then(function () { s.done = t("submitted"); s.draft = null; return load(); })
          .catch(function (e) {
            s.errors = { summary: L.fieldError(e, "summary"), plan: L.fieldError(e, "plan") };
            s.formError = WB.message(e);
          }).finally(function () { s.busy = false; });
      }

      return function () {
        var r = s.report, editable = s.draft && (!r || r.status === "returned" || r.status === "reopened");
        var title = (s.names["station:" + station] || "") + " · " + L.periodName(week);
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_weekly")),
          h("p", { id: "weekly-title", class: "wb-subtitle" }, title),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.done ? h("p", { class: "wb-done", role: "status", id: "weekly-done" }, s.done) : null,
          r ? h("p", { id: "weekly-state" }, [t("state") + "：", h("strong", WB.label("report_status", r.status)),
            " · ", h("a", { href: "#/reports/" + encodeURIComponent(r.id) }, t("open_report"))]) : null,
          r && L.lastNote(r) && r.status === "returned" ? h("p", { class: "wb-error", id: "return-reason", role: "alert" },
            t("returned_reason") + "：" + L.lastNote(r)) : null,
          editable ? h("table", { id: "weekly-figures", class: "wb-figures" }, [
            h("caption", t("weekly_figures")),
            h("tbody", figureRows(s.draft.figures).map(function (row) {
              return h("tr", [h("th", { scope: "row" }, t(row[0])), h("td", { class: "num" }, String(row[1]))]);
            }))]) : null,
          editable ? h("form", { class: "wb-form", id: "weekly-form", novalidate: true,
                                 onSubmit: function (e) { e.preventDefault(); submit(); } }, [
            L.field("f-summary", "report_summary", L.textarea("f-summary", model, "summary", 4), s.errors.summary),
            L.field("f-plan", "report_plan", L.textarea("f-plan", model, "plan", 3), s.errors.plan),
            s.formError ? h("p", { class: "wb-error", role: "alert", id: "form-error" }, s.formError) : null,
            L.submitButton(s.busy)]) : null,
          h("h2", t("recent_reports")),
          h("ul", { class: "wb-list", id: "weekly-recent" }, s.recent.slice(0, 8).map(function (x) {
            var note = L.lastNote(x);
            return h("li", { class: "wb-item", "data-status": x.status }, [h("div", { class: "wb-item-main" }, [
              h("a", { href: "#/reports/" + encodeURIComponent(x.id) }, L.periodName(x.period)),
              h("span", WB.label("report_status", x.status)),
              note ? h("span", { class: "wb-time" }, note) : null])]);
          }))]);
      };
    }
  });
})();
