/* 记录探访 (#/residents/<id>/visit): the API's VisitRequest as a form (方式 by its
   Chinese names, 探访时间 now by default, 发现, 备注, 重大变化). A submission goes
   through the outbox: sent at once when the network is there, kept on the device (待同步)
   when not. A refusal while the worker is still on the form is shown by its fields. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["method", "visited_at", "findings", "notes", "major_changes"];

  WB.register("visit", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var s = Vue.reactive({ schema: null, error: null, busy: false, formError: null });
      var model = Vue.reactive({ method: "home", visited_at: Fmt.nowLocal(), major_changes: [] });
      var errors = Vue.reactive({});
      WB.bodySchema("POST", "/visits").then(function (schema) { s.schema = schema; })
        .catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        Object.keys(errors).forEach(function (k) { errors[k] = null; });
        s.formError = null;
        if (WB.missing(s.schema, FIELDS, model, errors)) { s.formError = t("fix_hint"); return; }
        var body = { resident_id: id, method: model.method, visited_at: Fmt.localToIso(model.visited_at),
                     major_changes: model.major_changes || [] };
        if (model.findings) body.findings = model.findings;
        if (model.notes) body.notes = model.notes;
        s.busy = true;
        Outbox.add({ path: "/visits", body: body, kind: "visit",
                     label: (WB.nameOf(id) || "") + " · " + WB.label("method", model.method) + " · " +
                            Fmt.time(body.visited_at) })
          .then(function (seq) {
            if (!navigator.onLine) return { retry: true };
            return Outbox.flush().then(function (outcome) { return outcome[seq] || { retry: true }; })
              .then(function (o) {
                if (o.ok || o.retry) return o;
                WB.serverErrors(o.error, errors); s.formError = WB.message(o.error);
                return Outbox.discard(seq).then(function () { return o; });   // still on the form: fix it here
              });
          }).then(function (o) {
            if (o.ok) { vant.showToast(t("submitted")); location.hash = "#/residents/" + id; }
            else if (o.retry) { vant.showToast(t("saved_on_device")); location.hash = "#/outbox"; }
          }).catch(function (e) { s.formError = e.message_zh ? WB.message(e) : String(e); })
          .finally(function () { s.busy = false; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", [t("record_visit"), WB.nameOf(id) ? " · " + WB.nameOf(id) : ""]),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.schema ? h(WB.SchemaForm, { schema: s.schema, fields: FIELDS, model: model, errors: errors,
                                        onSubmit: submit, onEdit: function () { s.formError = null; }, busy: s.busy, formError: s.formError }) : null]);
      };
    }
  });
})();
