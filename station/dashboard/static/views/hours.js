/* 志愿时长 (#/hours): a volunteer's hours logged by the social worker (so confirmed at
   once, not self-reported): 志愿者 by name, 服务日期 (today by default), 时长(小时) as an
   exact decimal string, 活动 by its title, 说明; through the outbox (a create). The list
   shows each volunteer's confirmed hours. (wb-worker) */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["volunteer", "served_on", "hours", "activity_id", "description"];

  WB.register("hours", {
    props: ["params", "ready"],
    setup: function (props) {
      var f = WBW.form({ served_on: WBW.today() }), s = Vue.reactive({ volunteers: [] });
      function volunteers() {
        return Api.all("/volunteers?station_id=" + WBW.q(WBW.station())).then(function (v) { s.volunteers = v; return v; });
      }
      Promise.all([WB.bodySchema("POST", "/volunteers/{volunteer_id}/service"), volunteers(),
                   Api.request("/activities?page_size=50&station_id=" + WBW.q(WBW.station()))]).then(function (got) {
        f.s.options = { volunteer: WBW.choices(got[1]), activity_id: WBW.choices(got[2].items, function (a) {
          return a.title + " · " + Fmt.time(a.held_at).slice(0, 10); }) };
        var schema = WBW.reshape(got[0], { volunteer: { type: "string" }, hours: { type: "string", maxLength: 8 },
                                           description: Object.assign({}, got[0].properties.description, { maxLength: 200 }) });
        schema.required = (schema.required || []).concat(["volunteer"]);
        f.s.schema = schema;
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        if (WBW.missing(f, FIELDS)) return;
        var m = f.model, hours = Fmt.amount(m.hours);
        if (!hours || hours === "0.00") { f.errors.hours = t("hours_invalid"); f.s.formError = t("fix_hint"); return; }
        var body = { served_on: m.served_on, hours: hours };
        if (m.activity_id) body.activity_id = m.activity_id;
        if (m.description) body.description = m.description;
        var who = s.volunteers.filter(function (v) { return v.id === m.volunteer; })[0] || {};
        WBW.create(f, { path: "/volunteers/" + WBW.q(m.volunteer) + "/service", body: body, kind: "hours",
                        label: t("wb_hours") + " · " + (who.name || "") + " · " + hours },
          function () { m.hours = ""; m.description = ""; f.s.done = t("logged_ok"); return volunteers(); });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_hours")),
          h("p", [h("a", { class: "wb-link-button", href: "#/volunteers/new", id: "volunteer-new" }, t("wb_volunteer_new"))]),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          f.s.done ? h("p", { class: "wb-done", role: "status" }, f.s.done) : null,
          WBW.view(f, FIELDS, submit),
          h("h2", t("confirmed_hours")),
          h("ul", { class: "wb-list", id: "volunteer-hours" }, s.volunteers.map(function (v) {
            return h("li", { class: "wb-item", "data-volunteer": v.id }, [h("span", { class: "wb-name" }, v.name),
              h("span", v.confirmed_hours + " " + t("hours_unit"))]);
          }))]);
      };
    }
  });
})();
