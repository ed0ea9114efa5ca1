/* Casework (wb-worker):
   - 开案 (#/residents/<id>/case): the API's OpenCaseRequest (领域 by its Chinese names,
     问题描述), through the outbox (a create); accepted, the case's page opens.
   - The case's page (#/cases/<id>): its resident by name, its state, the steps done and the
     one to take now — 评估 (open), 服务计划 and 提交计划审批 (assessed, planned), 记录服务,
     转介 and 申请结案 (in service) — and its approvals, a plan or closure sent back shown
     with the supervisor's reason. Service records and referrals are creates (outbox); the
     plan, the approval request and the closure request are steps on the case (sent
     directly: a case's state is never decided on the device). */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var ORDER = ["open", "assessed", "planned", "plan_pending", "in_service", "closure_pending", "closed"];
  var STEPS = [["open", "wb_case_new"], ["assessed", "case_assessment"], ["planned", "draft_plan"],
               ["plan_pending", "request_approval"], ["in_service", "record_service"],
               ["closure_pending", "request_closure"], ["closed", "case_closed_note"]];

  WB.register("case_new", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0], FIELDS = ["domain", "problem"];
      var f = WBW.form({}), s = Vue.reactive({ name: WB.nameOf(id) });
      Promise.all([WB.bodySchema("POST", "/cases"), s.name ? null : WBW.residentsIfOnline()]).then(function (got) {
        f.s.schema = got[0]; s.name = WB.nameOf(id);
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });
      function submit() {
        if (WBW.missing(f, FIELDS)) return;
        WBW.create(f, { path: "/cases", body: { resident_id: id, domain: f.model.domain, problem: f.model.problem },
                        kind: "case", label: s.name + " · " + t("wb_case_new") + " · " + WB.label("domain", f.model.domain) },
          function (answer) { location.hash = "#/cases/" + answer.id; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_case_new") + (s.name ? " · " + s.name : "")),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          WBW.view(f, FIELDS, submit)]);
      };
    }
  });

  /* The schemas of a case's steps, the goals typed one a line. */
  function stepSchemas() {
    var paths = { assess: "/cases/{case_id}/assessment", plan: "/cases/{case_id}/plan",
                  service: "/cases/{case_id}/services", referral: "/cases/{case_id}/referrals",
                  close: "/cases/{case_id}/close" };
    var names = Object.keys(paths);
    return Promise.all(names.map(function (k) { return WB.bodySchema("POST", paths[k]); })).then(function (got) {
      var out = {};
      names.forEach(function (k, i) { out[k] = got[i]; });
      out.plan = WBW.reshape(out.plan, { goals: { type: "string", maxLength: 5000 } });
      out.service = WBW.reshape(out.service, { description: Object.assign({}, out.service.properties.description, { maxLength: 200 }) });
      return out;
    });
  }

  WB.register("case", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0], base = "/cases/" + encodeURIComponent(id);
      var s = Vue.reactive({ c: null, name: "", referrals: [], error: null, needs: [] });
      var forms = { assess: WBW.form({ needs: [] }), plan: WBW.form({}), approval: WBW.form({}),
                    service: WBW.form({ served_at: Fmt.nowLocal(), minutes: "60" }),
                    referral: WBW.form({ due_date: "" }), close: WBW.form({ outcome: "goals_met" }) };
      var schemas = null;

      function load() {
        return Promise.all([Api.request(base), Api.all("/referrals?case_id=" + encodeURIComponent(id))])
          .then(function (got) {
            s.c = got[0]; s.referrals = got[1];
            if (got[0].goals && got[0].goals.length && !forms.plan.model.goals) forms.plan.model.goals = got[0].goals.join("\n");
            return WB.nameOf(got[0].resident_id) ? null : WBW.residents();
          }).then(function () { s.name = WB.nameOf(s.c.resident_id); })
          .catch(function (e) { s.error = WB.message(e); });
      }
      Promise.all([load(), stepSchemas(), WBW.rubrics()]).then(function (got) {
        schemas = got[1];
        Object.keys(schemas).forEach(function (k) { forms[k].s.schema = schemas[k]; });
        forms.assess.s.options = { needs: WBW.vocabulary(got[2].need_categories) };
      }).catch(function (e) { s.error = s.error || WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function label(kind) { return s.name + " · " + t(kind); }
      function reload() { return load(); }

      var send = {
        assess: function () {
          var f = forms.assess;
          if (WBW.missing(f, ["summary"])) return;
          WBW.step(f, base + "/assessment", { summary: f.model.summary, needs: f.model.needs || [] }, reload);
        },
        plan: function () {
          var f = forms.plan;
          if (WBW.missing(f, ["goals"])) return;
          var goals = String(f.model.goals).split("\n").map(function (g) { return g.trim(); }).filter(Boolean);
          WBW.step(f, base + "/plan", { goals: goals }, reload);
        },
        approval: function () { WBW.clear(forms.approval); WBW.step(forms.approval, base + "/plan/approval", {}, reload); },
        service: function () {
          var f = forms.service, m = f.model;
          if (WBW.missing(f, ["served_at", "minutes"])) return;
          var body = { served_at: Fmt.localToIso(m.served_at), minutes: Number(m.minutes) };
          if (m.description) body.description = m.description;
          WBW.create(f, { path: base + "/services", body: body, kind: "service",
                          label: label("record_service") + " · " + body.minutes }, function () {
            m.description = ""; f.s.done = t("submitted"); return reload(); });
        },
        referral: function () {
          var f = forms.referral, m = f.model;
          if (WBW.missing(f, ["agency", "reason", "due_date"])) return;
          WBW.create(f, { path: base + "/referrals", body: { agency: m.agency, reason: m.reason, due_date: m.due_date },
                          kind: "referral", label: label("make_referral") + " · " + WB.label("agency", m.agency) },
            function () { m.reason = ""; f.s.done = t("submitted"); return reload(); });
        },
        close: function () {
          var f = forms.close, m = f.model;
          if (WBW.missing(f, ["outcome"])) return;
          var body = { outcome: m.outcome };
          if (m.evaluation) body.evaluation = m.evaluation;
          WBW.step(f, base + "/close", body, reload);
        }
      };

      function stepsList(c) {
        var at = ORDER.indexOf(c.state);
        return h("ol", { class: "wb-steps", id: "case-steps", "aria-label": t("case_steps") }, STEPS.map(function (st) {
          var i = ORDER.indexOf(st[0]), cls = i < at ? "done" : i === at ? "current" : "todo";
          return h("li", { class: "wb-step " + cls, "aria-current": i === at ? "step" : undefined },
                   (i < at ? "✔ " : i === at ? "▶ " : "") + t(st[1]));
        }));
      }

      function sentBack(c) {
        var last = (c.approvals || [])[(c.approvals || []).length - 1];
        return last && last.status === "sent_back" && (c.state === "planned" || c.state === "in_service") ?
          h("div", { class: "wb-sent-back", id: "sent-back", role: "status" }, [
            h("strong", t("sent_back_reason_shown") + " · " + WB.label("subject", last.subject)),
            h("p", t("send_back_reason") + "：" + (last.comments || "")),
            h("span", { class: "wb-time" }, (last.decided_by || ""))]) : null;
      }

      function nextSteps(c) {
        var F = WBW.view, S = WBW.section, done = function (f) {
          return f.s.done ? h("p", { class: "wb-done", role: "status" }, f.s.done) : null; };
        switch (c.state) {
          case "open": return [S("step-assess", "case_assessment", [F(forms.assess, ["summary", "needs"], send.assess)])];
          case "assessed": return [S("step-plan", "draft_plan", [h("p", { class: "note" }, t("goals_hint")),
                                   F(forms.plan, ["goals"], send.plan)])];
          case "planned": return [
            S("step-approval", "request_approval", [
              forms.approval.s.formError ? h("p", { class: "wb-error", role: "alert" }, forms.approval.s.formError) : null,
              h(vant.Button, { type: "primary", block: true, loading: forms.approval.s.busy, onClick: send.approval,
                               id: "request-approval" }, function () { return t("request_approval"); })]),
            S("step-plan", "draft_plan", [h("p", { class: "note" }, t("goals_hint")), F(forms.plan, ["goals"], send.plan)])];
          case "in_service": return [
            S("step-service", "record_service", [done(forms.service), F(forms.service, ["served_at", "minutes", "description"], send.service)]),
            S("step-referral", "make_referral", [done(forms.referral), F(forms.referral, ["agency", "reason", "due_date"], send.referral,
                                                                         { reason: "field_referral_reason" })]),
            S("step-close", "request_closure", [F(forms.close, ["outcome", "evaluation"], send.close)])];
          case "plan_pending": case "closure_pending":
            return [h("p", { class: "wb-note", id: "waiting" }, t("waiting_supervisor"))];
          default: return [h("p", { class: "wb-note" }, t("case_closed_note"))];
        }
      }

      return function () {
        var c = s.c;
        return h("section", { class: "wb-page wb-case" }, [
          h("h1", { id: "case-title" }, t("wb_case") + (s.name ? " · " + s.name : "")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          c ? h(vant.CellGroup, { inset: true }, function () { return [
            h(vant.Cell, { title: t("case_state"), value: WB.label("case_state", c.state), id: "case-state" }),
            h(vant.Cell, { title: t("field_domain"), value: WB.label("domain", c.domain) }),
            h(vant.Cell, { title: t("opened_at"), value: Fmt.time(c.opened_at) }),
            h(vant.Cell, { title: t("worker"), value: c.worker || "" })]; }) : null,
          c ? h("a", { class: "wb-link-button", href: "#/residents/" + c.resident_id }, s.name || t("resident")) : null,
          c ? stepsList(c) : null,
          c ? sentBack(c) : null,
          c ? h("div", { class: "wb-next", id: "next-step" }, nextSteps(c)) : null,
          c ? WBW.section("case-record", "case_problem", [
            h("p", { class: "wb-text" }, c.problem || ""),
            c.assessment ? h("h3", t("case_assessment")) : null,
            c.assessment ? h("p", { class: "wb-text" }, c.assessment) : null,
            (c.goals || []).length ? h("h3", t("case_goals")) : null,
            (c.goals || []).length ? h("ul", { id: "case-goals" }, c.goals.map(function (g) { return h("li", g); })) : null]) : null,
          c ? WBW.section("case-services", "case_services", [h("ul", { class: "wb-list", id: "services" },
            (c.services || []).length ? c.services.map(function (x) {
              return h("li", { class: "wb-item" }, [h("span", { class: "wb-time" }, Fmt.time(x.served_at)),
                h("span", x.minutes + " min"), h("span", x.description || "")]); }) : [h("li", t("nothing"))])]) : null,
          c ? WBW.section("case-referrals", "case_referrals", [h("ul", { class: "wb-list", id: "referrals" },
            s.referrals.length ? s.referrals.map(function (r) {
              return h("li", { class: "wb-item" }, [h("span", WB.label("agency", r.agency)),
                h("span", WB.label("referral_status", r.status)), h("span", { class: "wb-time" }, r.due_date)]); })
              : [h("li", t("nothing"))])]) : null,
          c ? WBW.section("case-approvals", "case_approvals", [h("ul", { class: "wb-list", id: "approvals-of-case" },
            (c.approvals || []).length ? c.approvals.map(function (a) {
              return h("li", { class: "wb-item", "data-status": a.status }, [
                h("span", WB.label("subject", a.subject) + " · " + WB.label("approval_status", a.status)),
                h("span", { class: "wb-time" }, Fmt.time(a.requested_at)),
                a.decided_by ? h("span", a.decided_by) : null,
                a.comments ? h("span", a.comments) : null]); }) : [h("li", t("nothing"))])]) : null]);
      };
    }
  });
})();
