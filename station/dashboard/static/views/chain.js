/* 五级联动 (#/chain): the station's suggestions to the street and its communities, each
   with its state; a new one proposed (POST .../suggestions), an open one answered when the
   street has (POST /reports/suggestions/<id>/answer: 采纳, 不采纳 or 办理中, the day, a
   comment). Below, this quarter's chain records (street meetings, progress reports,
   community visits, consultations). */
"use strict";
(function () {
  var h = WB.h, t = WB.t, L = WBLead;
  var OPEN = { proposed: 1, pending: 1 };

  WB.register("chain", {
    props: ["params", "ready"],
    setup: function (props) {
      var station = Api.station(), base = "/reports/stations/" + encodeURIComponent(station || "");
      var s = Vue.reactive({ suggestions: [], records: [], names: {}, error: null, busy: false,
                             formError: null, errors: {}, done: null, open: null, rowError: {}, answered: {} });
      var model = Vue.reactive({ addressed_to: "", title: "", proposed_on: L.day() });
      var answer = Vue.reactive({ answer: "adopted", answered_on: L.day(), comment: "" });
      function load() {
        return Promise.all([Api.request(base + "/chain"), L.names()]).then(function (got) {
          s.names = got[1];
          s.suggestions = (got[0].suggestions || []).slice().reverse();
          s.records = got[0].records || [];
        }).catch(function (e) { s.error = WB.message(e); });
      }
      /* The street the station belongs to, by name: the usual addressee. */
      WB.org().then(function (tree) {
        (tree.districts || []).forEach(function (d) { (d.streets || []).forEach(function (st) {
          (st.stations || []).forEach(function (x) { if (x.id === station && !model.addressed_to) model.addressed_to = st.name; });
        }); });
      }).catch(function () {});
      load().finally(function () { Vue.nextTick(props.ready); });

      function propose() {
        s.formError = null; s.errors = {}; s.done = null;
        if (!model.title.trim()) s.errors.title = t("required");
        if (!model.addressed_to.trim()) s.errors.addressed_to = t("required");
        if (s.errors.title || s.errors.addressed_to) return;
        s.busy = true;
        Api.request(base + "/suggestions", { method: "POST", body: { addressed_to: model.addressed_to.trim(),
          title: model.title.trim(), proposed_on: model.proposed_on } })
          .then(function () { s.done = t("submitted"); model.title = ""; return load(); })
          .catch(function (e) {
            ["addressed_to", "title", "proposed_on"].forEach(function (k) { s.errors[k] = L.fieldError(e, k); });
            s.formError = WB.message(e);
          }).finally(function () { s.busy = false; });
      }
      function answerIt(row) {
        s.rowError[row.suggestion_id] = null;
        Api.request("/reports/suggestions/" + encodeURIComponent(row.suggestion_id) + "/answer", { method: "POST",
          body: { answer: answer.answer, answered_on: answer.answered_on, comment: answer.comment.trim() || null } })
          .then(function () { s.answered[row.suggestion_id] = WB.label("suggestion_state", answer.answer);
                              s.open = null; answer.comment = ""; return load(); })
          .catch(function (e) { s.rowError[row.suggestion_id] = WB.message(e); });
      }

      function answerForm(row) {
        var id = row.suggestion_id;
        return h("form", { class: "wb-form", novalidate: true, onSubmit: function (e) { e.preventDefault(); answerIt(row); } }, [
          L.field("f-answer-" + id, "field_answer", h("select", { id: "f-answer-" + id, value: answer.answer,
            onChange: function (e) { answer.answer = e.target.value; } }, ["adopted", "declined", "pending"].map(function (v) {
              return h("option", { value: v, selected: answer.answer === v }, WB.label("suggestion_state", v));
            }))),
          L.field("f-answered_on-" + id, "field_answered_on", L.input("f-answered_on-" + id, answer, "answered_on")),
          L.field("f-comment-" + id, "field_comments", L.textarea("f-comment-" + id, answer, "comment", 2)),
          L.submitButton(false)]);
      }

      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_chain")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          h("h2", t("new_suggestion")),
          h("form", { class: "wb-form", id: "suggestion-form", novalidate: true,
                      onSubmit: function (e) { e.preventDefault(); propose(); } }, [
            L.field("f-addressed_to", "field_addressed_to", L.input("f-addressed_to", model, "addressed_to"), s.errors.addressed_to),
            L.field("f-title", "field_suggestion", L.textarea("f-title", model, "title", 2), s.errors.title),
            L.field("f-proposed_on", "field_proposed_on", L.input("f-proposed_on", model, "proposed_on", { placeholder: "2026-12-03" }), s.errors.proposed_on),
            s.formError ? h("p", { class: "wb-error", role: "alert", id: "form-error" }, s.formError) : null,
            L.submitButton(s.busy)]),
          s.done ? h("p", { class: "wb-done", role: "status" }, s.done) : null,
          h("h2", t("suggestions_all")),
          h("div", { class: "wb-list", id: "suggestions" }, s.suggestions.map(function (row) {
            var id = row.suggestion_id, titleId = "s-" + id;
            return h("div", { class: "wb-item", role: "group", "aria-labelledby": titleId, "data-state": row.state }, [
              h("div", { class: "wb-item-main" }, [
                h("strong", { id: titleId }, row.title),
                h("span", row.addressed_to), h("span", { class: "wb-time" }, row.proposed_on),
                h("span", { class: "wb-state" }, WB.label("suggestion_state", row.state)),
                row.comment ? h("span", row.comment) : null]),
              s.answered[id] ? h("p", { class: "wb-done", role: "status" }, t("answered_done")) : null,
              OPEN[row.state] ? h(vant.Button, { size: "small", type: "primary", plain: true,
                onClick: function () { s.open = s.open === id ? null : id; } }, function () { return t("record_answer"); }) : null,
              s.open === id ? answerForm(row) : null,
              s.rowError[id] ? h("p", { class: "wb-error", role: "alert" }, s.rowError[id]) : null]);
          })),
          h("h2", t("chain_records")),
          !s.records.length ? h("p", t("nothing")) : null,
          h("ul", { class: "wb-list", id: "chain-records" }, s.records.map(function (r) {
            var day = r.held_on || r.reported_on || r.visited_on || r.consulted_on || "";
            var text = r.central_work || r.summary || r.key_work || r.notes || "";
            return h("li", { class: "wb-item" }, [h("div", { class: "wb-item-main" }, [
              h("strong", WB.label("chain_type", r.type)), h("span", { class: "wb-time" }, day),
              r.community_id ? h("span", s.names["community:" + r.community_id] || "") : null, h("span", text)])]);
          }))]);
      };
    }
  });
})();
