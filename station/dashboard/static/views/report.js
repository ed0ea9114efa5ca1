/* A submitted report as a readable page (#/reports/<id>): "西湖路街道社工站 · 2026年第48周",
   its summary and plan, the main figures, its trail; the level above accepts it or
   returns it with a comment. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  /* "2026-W48" -> 2026年第48周 / 2026 week 48; "2026-11" -> 2026年11月 / 2026-11. */
  function periodName(key) {
    var w = /^(\d{4})-W(\d{2})$/.exec(key || ""), m = /^(\d{4})-(\d{2})$/.exec(key || "");
    if (w) return WB.lang() === "zh" ? w[1] + "年第" + Number(w[2]) + "周" : w[1] + " week " + Number(w[2]);
    if (m) return WB.lang() === "zh" ? m[1] + "年" + Number(m[2]) + "月" : key;
    return key || "";
  }

  function unitNames(tree) {
    var names = {};
    (tree.districts || []).forEach(function (d) {
      names[d.id] = d.name;
      (d.streets || []).forEach(function (s) {
        names[s.id] = s.name;
        (s.stations || []).forEach(function (st) { names[st.id] = st.name; });
      });
    });
    return names;
  }

  /* The report's title by names: its unit and its period. */
  function title(report, names) { return (names[report.unit_id] || "") + " · " + periodName(report.period); }

  function rows(f) {
    return [["visits", f.visits.total], ["person_times", f.activities.person_times],
            ["activities", f.activities.held], ["cases_open", f.cases.open],
            ["cases_closed", f.cases.closed], ["followups_overdue", f.followups.overdue],
            ["donations_rmb", Fmt.money(f.resources.donations_rmb)],
            ["allocations_rmb", Fmt.money(f.resources.allocations_rmb)]];
  }

  WB.register("report", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var s = Vue.reactive({ report: null, names: {}, error: null, comment: "", done: null, formError: null });
      function load() {
        return Promise.all([Api.request("/reports/submissions/" + encodeURIComponent(id)),
                            WB.org().catch(function () { return {}; })])
          .then(function (got) { s.report = got[0]; s.names = unitNames(got[1]); })
          .catch(function (e) { s.error = WB.message(e); });
      }
      load().finally(function () { Vue.nextTick(props.ready); });
      var role = (Api.claims() || {}).role;
      var approver = role === "street_leader" || role === "district_admin";
      function decide(which) {
        if (which === "return" && !s.comment.trim()) { s.formError = t("required"); return; }
        s.formError = null;
        Api.request("/reports/submissions/" + encodeURIComponent(id) + "/" + which,
                    { method: "POST", body: s.comment.trim() ? { comment: s.comment.trim() } : {} })
          .then(function () { s.done = which === "accept" ? t("approved_done") : t("sent_back_done"); return load(); })
          .catch(function (e) { s.formError = WB.message(e); });
      }
      return function () {
        var r = s.report;
        return h("section", { class: "wb-page" }, [
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          r ? h("h1", { id: "report-title" }, title(r, s.names)) : null,
          r ? h(vant.CellGroup, { inset: true }, function () { return [
            h(vant.Cell, { title: t("state"), value: WB.label("report_status", r.status) }),
            h(vant.Cell, { title: t("submitted_by"), value: r.submitted_by || "" }),
            h(vant.Cell, { title: t("submitted_at"), value: Fmt.time(r.submitted_at) })]; }) : null,
          r ? h("h2", t("report_summary")) : null, r ? h("p", { id: "report-summary" }, r.summary || "") : null,
          r ? h("h2", t("report_plan")) : null, r ? h("p", { id: "report-plan" }, r.plan || "") : null,
          r ? h("table", { id: "report-figures" }, [h("tbody", rows(r.figures).map(function (row) {
            return h("tr", [h("th", { scope: "row" }, t(row[0])), h("td", { class: "num" }, String(row[1]))]);
          }))]) : null,
          r ? h("h2", t("report_trail")) : null,
          r ? h("ol", { class: "wb-list", id: "report-trail" }, (r.trail || []).map(function (step) {
            return h("li", { class: "wb-item" }, [h("span", WB.label("report_status", step.step)),
              h("span", step.by), h("span", { class: "wb-time" }, Fmt.time(step.at)),
              step.note ? h("span", step.note) : null]);
          })) : null,
          s.done ? h("p", { class: "wb-done", role: "status" }, s.done) : null,
          r && approver && r.status === "submitted" ? h("form", { class: "wb-form", onSubmit: function (e) { e.preventDefault(); } }, [
            h("div", { class: "wb-field" }, [h("label", { for: "f-comment" }, t("field_comments")),
              h("textarea", { id: "f-comment", rows: 2, value: s.comment, onInput: function (e) { s.comment = e.target.value; } })]),
            s.formError ? h("p", { class: "wb-error", role: "alert" }, s.formError) : null,
            h("div", { class: "wb-actions" }, [
              h(vant.Button, { type: "success", onClick: function () { decide("accept"); } }, function () { return t("approve"); }),
              h(vant.Button, { type: "warning", plain: true, onClick: function () { decide("return"); } }, function () { return t("send_back"); })])]) : null]);
      };
    }
  });
})();
