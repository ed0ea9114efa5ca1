/* 登记需求 (#/residents/<id>/need): the API's NeedIn as a form, 类别 and 紧急程度 from the
   vocabularies of /rubrics by their Chinese names; sent through the outbox (a create), the
   server's field errors by their fields. (wb-worker) */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["category", "urgency", "description"];

  WB.register("need", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var f = WBW.form({ urgency: "medium" });
      var s = Vue.reactive({ name: WB.nameOf(id) });
      Promise.all([WB.bodySchema("POST", "/residents/{resident_id}/needs"), WBW.rubrics(),
                   s.name ? null : WBW.residentsIfOnline()]).then(function (got) {
        f.s.options = { category: WBW.vocabulary(got[1].need_categories), urgency: WBW.vocabulary(got[1].urgencies) };
        f.s.schema = got[0];
        s.name = WB.nameOf(id);
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        if (WBW.missing(f, FIELDS)) return;
        var body = { category: f.model.category, urgency: f.model.urgency, description: f.model.description };
        WBW.create(f, { path: "/residents/" + WBW.q(id) + "/needs", body: body, kind: "need",
                        label: s.name + " · " + t("wb_need") + " · " + body.description.slice(0, 20) },
          function () { location.hash = "#/residents/" + id; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_need") + (s.name ? " · " + s.name : "")),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          WBW.view(f, FIELDS, submit, { description: "field_need_description" })]);
      };
    }
  });
})();
