/* 策划活动 (#/activities/new): the API's ActivityRequest as a form — 社区 and 服务领域 by
   their names (4+N areas of the station), 活动名称, 活动时间 (China time), 地点 — sent
   through the outbox (a create); accepted, the activity's page opens, from which its
   attendance is taken and its feedback gathered. (wb-worker) */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["title", "community_id", "area", "held_at", "venue"];

  WB.register("activity_new", {
    props: ["params", "ready"],
    setup: function (props) {
      var f = WBW.form({ held_at: Fmt.nowLocal() });
      Promise.all([WB.bodySchema("POST", "/activities"), WB.communities(),
                   Api.request("/activities/areas?station_id=" + WBW.q(WBW.station()))]).then(function (got) {
        f.s.options = {
          community_id: Object.keys(got[1]).map(function (id) { return [id, got[1][id]]; }),
          area: got[2].items.map(function (a) { return [a.area, WB.lang() === "zh" ? a.name_zh : a.name]; })
        };
        f.s.schema = got[0];
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        if (WBW.missing(f, FIELDS)) return;
        var m = f.model, body = { station_id: WBW.station(), community_id: m.community_id, area: m.area, title: m.title };
        if (m.held_at) body.held_at = Fmt.localToIso(m.held_at);
        if (m.venue) body.venue = m.venue;
        WBW.create(f, { path: "/activities", body: body, kind: "activity",
                        label: t("wb_activity_new") + " · " + m.title + " · " + Fmt.time(body.held_at) },
          function (answer) { location.hash = "#/activities/" + answer.id; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_activity_new")),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          WBW.view(f, FIELDS, submit)]);
      };
    }
  });
})();
