/* 评估分级 (#/residents/<id>/assess): a card change proposed by the rubric (GET /rubrics):
   the domain's questions, each answered from its options (Chinese by default); the server
   scores it and names the card. The resident's version read with the page goes with it, so
   a record changed meanwhile (another device) is refused, never overwritten. A downgrade
   waits for the supervisor (shown). Sent through the outbox (a create). (wb-worker) */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  function zh() { return WB.lang() === "zh"; }

  WB.register("assess", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var f = WBW.form({ domain: "elderly" });
      var s = Vue.reactive({ rubrics: [], name: WB.nameOf(id), version: null, result: null, error: null });
      Promise.all([WBW.rubrics(), WBW.residentsIfOnline()]).then(function (got) {
        s.rubrics = got[0].items;
        var me = got[1].filter(function (r) { return r.id === id; })[0] || {};
        s.name = me.name || s.name; s.version = me.version === undefined ? null : me.version;
        f.s.schema = {};
      }).catch(function (e) { s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function rubric() { return s.rubrics.filter(function (r) { return r.domain === f.model.domain; })[0]; }

      function submit() {
        WBW.clear(f);
        var r = rubric(), answers = {}, bad = false;
        (r ? r.questions : []).forEach(function (question) {
          var v = f.model["q_" + question.id];
          if (!v) { f.errors["answers." + question.id] = t("required"); bad = true; } else answers[question.id] = v;
        });
        if (bad) { f.s.formError = t("answers_missing"); return; }
        var body = { domain: f.model.domain, answers: answers };
        if (s.version !== null) body.version = s.version;
        WBW.create(f, { path: "/residents/" + WBW.q(id) + "/assessments", body: body, kind: "assessment",
                        label: s.name + " · " + t("wb_assess") + " · " + (zh() ? r.title_zh : r.title) },
          function (answer) { s.result = answer; s.version = answer.version; });
      }

      function select(fid, label, value, options, onChange, error) {
        return h("div", { class: "wb-field" + (error ? " has-error" : "") }, [
          h("label", { for: fid }, label),
          h("select", { id: fid, value: value || "", onChange: onChange, "aria-invalid": error ? "true" : "false",
                        "aria-describedby": error ? fid + "-error" : undefined },
            [h("option", { value: "" }, t("choose"))].concat(options.map(function (o) {
              return h("option", { value: o[0], selected: value === o[0] }, o[1]); }))),
          error ? h("p", { class: "wb-error", id: fid + "-error", role: "alert" }, error) : null]);
      }

      return function () {
        var r = rubric(), res = s.result;
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_assess") + (s.name ? " · " + s.name : "")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.rubrics.length ? h("form", { class: "wb-form", novalidate: true, onSubmit: function (e) { e.preventDefault(); submit(); } }, [
            select("f-domain", t("field_rubric_domain"), f.model.domain, s.rubrics.map(function (x) {
              return [x.domain, zh() ? x.title_zh : x.title]; }), function (e) { f.model.domain = e.target.value; s.result = null; },
              f.errors.domain)
          ].concat((r ? r.questions : []).map(function (question) {
            return select("f-q-" + question.id, zh() ? question.text_zh : question.text, f.model["q_" + question.id],
              question.options.map(function (o) { return [o.value, zh() ? o.label_zh : o.label]; }),
              function (e) { f.model["q_" + question.id] = e.target.value; f.errors["answers." + question.id] = null; },
              f.errors["answers." + question.id]);
          })).concat([
            f.s.formError ? h("p", { class: "wb-error", role: "alert", id: "form-error" }, f.s.formError) : null,
            h(vant.Button, { type: "primary", block: true, nativeType: "submit", loading: f.s.busy, class: "wb-submit" },
              function () { return t("submit"); })])) : null,
          res ? h("div", { class: "wb-result", id: "assess-result", role: "status" }, [
            h("p", { class: "wb-done" }, t("assessed_ok")),
            h(vant.CellGroup, { inset: true }, function () { return [
              h(vant.Cell, { title: t("score"), value: String(res.score) }),
              h(vant.Cell, { title: t("result_card"), value: WB.label("card", res.card || "none") }),
              h(vant.Cell, { title: t("resident_card_now"), value: WB.label("card", res.resident_card || "none") })]; }),
            res.pending_downgrade ? h("p", { class: "wb-note", id: "downgrade-pending" },
              t("downgrade_pending") + "：" + WB.label("card", res.pending_downgrade.card || res.pending_downgrade)) : null,
            h("a", { class: "wb-link-button", href: "#/residents/" + id }, t("back"))]) : null]);
      };
    }
  });
})();
