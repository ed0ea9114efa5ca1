/* 登记居民 (#/residents/new): the form is the API's RegisterIn schema (required fields,
   enums by their Chinese names); the ID number's check digit is checked here before
   anything is sent; the server's field errors are shown under their fields. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["name", "id_number", "gender", "birth_date", "community_id", "categories", "phone", "address"];

  WB.register("resident_new", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ schema: null, options: {}, error: null, busy: false, formError: null });
      var model = Vue.reactive({ categories: [] }), errors = Vue.reactive({});
      var key = Api.newKey();     // one submission, one key: a retry after a lost answer repeats it
      Promise.all([WB.bodySchema("POST", "/residents"), WB.communities()]).then(function (got) {
        s.schema = got[0];
        var cats = (I18N.zh.enums.categories);
        s.options = {
          community_id: Object.keys(got[1]).map(function (id) { return [id, got[1][id]]; }),
          categories: Object.keys(cats).map(function (c) { return [c, WB.label("categories", c)]; })
        };
      }).catch(function (e) { s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        Object.keys(errors).forEach(function (k) { errors[k] = null; });
        s.formError = null;
        var bad = WB.missing(s.schema, FIELDS, model, errors);
        if (model.id_number && !Fmt.idNumberValid(model.id_number)) { errors.id_number = t("id_check_failed"); bad = true; }
        if (bad) { s.formError = t("fix_hint"); return; }
        var body = { station_id: Api.station() };
        FIELDS.forEach(function (f) { if (model[f] !== undefined && model[f] !== "") body[f] = model[f]; });
        body.id_number = String(body.id_number).toUpperCase();
        s.busy = true;
        Api.request("/residents", { method: "POST", body: body, key: key }).then(function (answer) {
          vant.showToast(t("registered_ok"));
          location.hash = "#/residents/" + answer.id;
        }).catch(function (e) {
          if (e.status >= 400 && e.status < 500) key = Api.newKey();   // refused: nothing was written
          WB.serverErrors(e, errors);
          s.formError = WB.message(e);
        }).finally(function () { s.busy = false; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_register")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.schema ? h(WB.SchemaForm, { schema: s.schema, fields: FIELDS, model: model, errors: errors,
                                        options: s.options, onSubmit: submit, onEdit: function () { s.formError = null; }, busy: s.busy,
                                        formError: s.formError }) : null]);
      };
    }
  });
})();
