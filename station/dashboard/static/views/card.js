/* 调整卡色 (#/card/<resident>): a supervisor's or station head's card change, made with
   the version the page was read at (its `version`) and sent through the outbox, so it
   can be made offline. If someone else changed the resident meanwhile, the server refuses
   it (409) and the outbox keeps it with the server's words, to fix or discard: never
   last-write-wins on a card. */
"use strict";
(function () {
  var h = WB.h, t = WB.t, L = WBLead;

  WB.register("card", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var s = Vue.reactive({ resident: null, error: null, busy: false, errors: {}, formError: null });
      var model = Vue.reactive({ card: "", reason: "" });
      Api.request("/residents/" + encodeURIComponent(id)).then(function (r) {
        s.resident = r; WB.remember(r);
      }).catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });
      function submit() {
        s.errors = {}; s.formError = null;
        if (!model.card) s.errors.card = t("required");
        if (!model.reason.trim()) s.errors.reason = t("required");
        if (s.errors.card || s.errors.reason) return;
        var r = s.resident;
        s.busy = true;
        Outbox.add({ path: "/residents/" + encodeURIComponent(id) + "/card-override", kind: "card",
                     body: { card: model.card, reason: model.reason.trim(), version: r.version },
                     label: r.name + " · " + WB.label("card", r.card || "none") + " → " + WB.label("card", model.card) })
          .then(function (seq) {
            if (!navigator.onLine) return { retry: true };
            return Outbox.flush().then(function (outcome) { return outcome[seq] || { retry: true }; });
          }).then(function (o) {
            if (o.ok) { vant.showToast(t("submitted")); location.hash = "#/residents/" + id; }
            else { vant.showToast(o.retry ? t("saved_on_device") : t("refused_note")); location.hash = "#/outbox"; }
          }).finally(function () { s.busy = false; });
      }
      return function () {
        var r = s.resident;
        return h("section", { class: "wb-page" }, [
          h("h1", [t("wb_card"), r ? " · " + r.name : ""]),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          r ? h("p", { id: "card-now" }, t("field_card") + "：" + WB.label("card", r.card || "none")) : null,
          r ? h("form", { class: "wb-form", id: "card-form", novalidate: true,
                          onSubmit: function (e) { e.preventDefault(); submit(); } }, [
            L.field("f-card", "new_card", h("select", { id: "f-card", value: model.card,
              onChange: function (e) { model.card = e.target.value; } }, [h("option", { value: "" }, t("choose"))].concat(
              ["red", "blue", "green"].map(function (c) {
                return h("option", { value: c, selected: model.card === c }, WB.label("card", c)); }))), s.errors.card),
            L.field("f-reason", "field_card_reason", L.textarea("f-reason", model, "reason", 2), s.errors.reason),
            s.formError ? h("p", { class: "wb-error", role: "alert" }, s.formError) : null,
            L.submitButton(s.busy)]) : null]);
      };
    }
  });
})();
