/* 登记志愿者 (#/volunteers/new): the API's VolunteerRequest as a form — 姓名, 社区 by name,
   电话, 所属组织 by name, 登记日期 (today by default); sent through the outbox (a create),
   the server's field errors by their fields; then back to 志愿时长, where the new
   volunteer is listed and hours can be logged for them. (wb-worker) */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["name", "community_id", "phone", "organization_id", "registered_on"];

  WB.register("volunteer_new", {
    props: ["params", "ready"],
    setup: function (props) {
      var f = WBW.form({ registered_on: WBW.today() });
      Promise.all([WB.bodySchema("POST", "/volunteers"), WB.communities(),
                   Api.all("/organizations?station_id=" + WBW.q(WBW.station())).catch(function () { return []; })
                  ]).then(function (got) {
        f.s.options = {
          community_id: Object.keys(got[1]).map(function (id) { return [id, got[1][id]]; }),
          organization_id: WBW.choices(got[2]) };
        f.s.schema = got[0];
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        if (WBW.missing(f, FIELDS)) return;
        var m = f.model, body = { station_id: WBW.station(), name: m.name };
        ["community_id", "phone", "organization_id", "registered_on"].forEach(function (k) {
          if (m[k]) body[k] = m[k];
        });
        WBW.create(f, { path: "/volunteers", body: body, kind: "volunteer",
                        label: t("wb_volunteer_new") + " · " + m.name },
          function () { location.hash = "#/hours"; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_volunteer_new")),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          WBW.view(f, FIELDS, submit)]);
      };
    }
  });
})();
