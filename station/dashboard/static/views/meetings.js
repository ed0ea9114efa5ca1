/* 周例会 (#/meetings): the station head records the week's team meeting (POST
   .../meetings: the week, the day held, who came, the minutes) and sees this quarter's. */
"use strict";
(function () {
  var h = WB.h, t = WB.t, L = WBLead;

  WB.register("meetings", {
    props: ["params", "ready"],
    setup: function (props) {
      var station = Api.station(), base = "/reports/stations/" + encodeURIComponent(station || "");
      var s = Vue.reactive({ items: [], error: null, busy: false, formError: null, errors: {}, done: null });
      var me = (Api.claims() || {}).sub || "";
      var model = Vue.reactive({ week: L.weekOf(L.day()), held_on: L.day(), attendees: me, minutes: "" });
      function load() {
        return Api.request(base + "/chain").then(function (c) {
          s.items = (c.meetings || []).filter(function (m) { return m.kind === "minutes"; }).reverse();
        }).catch(function (e) { s.error = WB.message(e); });
      }
      load().finally(function () { Vue.nextTick(props.ready); });
      function submit() {
        s.formError = null; s.errors = {}; s.done = null;
        var attendees = model.attendees.split(/[,，、\s]+/).filter(Boolean);
        if (!attendees.length) s.errors.attendees = t("required");
        if (!model.minutes.trim()) s.errors.minutes = t("required");
        if (s.errors.attendees || s.errors.minutes) return;
        s.busy = true;
        Api.request(base + "/meetings", { method: "POST", body: { week: model.week, held_on: model.held_on,
          attendees: attendees, minutes: model.minutes.trim() } })
          .then(function () { s.done = t("submitted"); model.minutes = ""; return load(); })
          .catch(function (e) {
            ["week", "held_on", "attendees", "minutes"].forEach(function (k) { s.errors[k] = L.fieldError(e, k); });
            s.formError = WB.message(e);
          }).finally(function () { s.busy = false; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_meetings")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          h("form", { class: "wb-form", id: "meeting-form", novalidate: true,
                      onSubmit: function (e) { e.preventDefault(); submit(); } }, [
            L.field("f-week", "field_week", L.input("f-week", model, "week", { placeholder: "2026-W49" }), s.errors.week),
            L.field("f-held_on", "field_held_on", L.input("f-held_on", model, "held_on", { placeholder: "2026-12-03" }), s.errors.held_on),
            L.field("f-attendees", "field_attendees", L.input("f-attendees", model, "attendees"), s.errors.attendees),
            L.field("f-minutes", "field_meeting_minutes", L.textarea("f-minutes", model, "minutes", 4), s.errors.minutes),
            s.formError ? h("p", { class: "wb-error", role: "alert", id: "form-error" }, s.formError) : null,
            L.submitButton(s.busy)]),
          s.done ? h("p", { class: "wb-done", role: "status" }, s.done) : null,
          h("h2", t("this_quarter")),
          !s.items.length ? h("p", t("nothing")) : null,
          h("ul", { class: "wb-list", id: "meetings" }, s.items.map(function (m) {
            return h("li", { class: "wb-item" }, [h("div", { class: "wb-item-main" }, [
              h("strong", L.periodName(m.period_key)), h("span", { class: "wb-time" }, m.held_on),
              h("span", m.lead), h("span", m.text)])]);
          }))]);
      };
    }
  });
})();
