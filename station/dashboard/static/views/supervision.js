/* 督导记录 (#/supervision): the month's team supervision (1+1+1: a weekly meeting, a
   monthly supervision, a weekly report) recorded by the supervisor (POST .../supervisions:
   the month, the day, the supervisor, the topics) and this year's listed by month. */
"use strict";
(function () {
  var h = WB.h, t = WB.t, L = WBLead;

  WB.register("supervision", {
    props: ["params", "ready"],
    setup: function (props) {
      var station = Api.station(), base = "/reports/stations/" + encodeURIComponent(station || "");
      var s = Vue.reactive({ items: [], gaps: [], error: null, busy: false, formError: null, errors: {}, done: null });
      var model = Vue.reactive({ month: L.day().slice(0, 7), held_on: L.day(),
                                 supervisor: (Api.claims() || {}).sub || "", topics: "" });
      function load() {
        return Api.request(base + "/chain?period=" + L.day().slice(0, 4)).then(function (c) {
          s.items = (c.meetings || []).filter(function (m) { return m.kind === "supervision"; }).reverse();
        }).catch(function (e) { s.error = WB.message(e); });
      }
      load().finally(function () { Vue.nextTick(props.ready); });
      function submit() {
        s.formError = null; s.errors = {}; s.done = null;
        if (!model.topics.trim()) { s.errors.topics = t("required"); return; }
        s.busy = true;
        Api.request(base + "/supervisions", { method: "POST", body: { month: model.month,
          held_on: model.held_on, supervisor: model.supervisor.trim(), topics: model.topics.trim() } })
          .then(function () { s.done = t("submitted"); model.topics = ""; return load(); })
          .catch(function (e) {
            ["month", "held_on", "supervisor", "topics"].forEach(function (k) { s.errors[k] = L.fieldError(e, k); });
            s.formError = WB.message(e);
          }).finally(function () { s.busy = false; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_supervision")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          h("form", { class: "wb-form", id: "supervision-form", novalidate: true,
                      onSubmit: function (e) { e.preventDefault(); submit(); } }, [
            L.field("f-month", "field_month", L.input("f-month", model, "month", { placeholder: "2026-12" }), s.errors.month),
            L.field("f-held_on", "field_held_on", L.input("f-held_on", model, "held_on", { placeholder: "2026-12-03" }), s.errors.held_on),
            L.field("f-supervisor", "field_supervisor", L.input("f-supervisor", model, "supervisor"), s.errors.supervisor),
            L.field("f-topics", "field_topics", L.textarea("f-topics", model, "topics", 4), s.errors.topics),
            s.formError ? h("p", { class: "wb-error", role: "alert", id: "form-error" }, s.formError) : null,
            L.submitButton(s.busy)]),
          s.done ? h("p", { class: "wb-done", role: "status" }, s.done) : null,
          h("h2", t("this_year")),
          !s.items.length ? h("p", t("nothing")) : null,
          h("ul", { class: "wb-list", id: "supervisions" }, s.items.map(function (m) {
            return h("li", { class: "wb-item", "data-month": m.period_key }, [h("div", { class: "wb-item-main" }, [
              h("strong", L.periodName(m.period_key)), h("span", { class: "wb-time" }, m.held_on),
              h("span", m.lead), h("span", m.text)])]);
          }))]);
      };
    }
  });
})();
