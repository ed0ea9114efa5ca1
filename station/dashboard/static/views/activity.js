/* Activities (wb-worker): #/activities lists the station's, newest first, with 策划活动;
   #/activities/<id> is one: its time, state and person-times, 活动签到 (the attendance
   sheet, views/attendance.js) and 收集反馈: 满意度 by its Chinese names and 反馈意见,
   each through the outbox (a create). */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  WB.register("activities", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ items: null, error: null });
      Api.request("/activities?page_size=50&station_id=" + WBW.q(WBW.station())).then(function (page) {
        s.items = page.items.sort(function (a, b) { return (a.held_at || "") < (b.held_at || "") ? 1 : -1; });
      }).catch(function (e) { s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_activities")),
          h("a", { class: "wb-link-button primary", href: "#/activities/new" }, t("wb_activity_new")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.items ? h("ul", { class: "wb-list", id: "activity-list" }, s.items.map(function (a) {
            return h("li", { class: "wb-item" }, [
              h("a", { href: "#/activities/" + a.id, class: "wb-name" }, a.title),
              h("span", WB.label("activity_state", a.state)),
              h("span", { class: "wb-time" }, Fmt.time(a.held_at))]);
          })) : null]);
      };
    }
  });

  WB.register("activity", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0], FIELDS = ["satisfaction", "comments"];
      var s = Vue.reactive({ a: null, communities: {}, error: null });
      var f = WBW.form({ satisfaction: "5" });
      function load() {
        return Api.request("/activities/" + encodeURIComponent(id)).then(function (a) { s.a = a; })
          .catch(function (e) { s.error = WB.message(e); });
      }
      Promise.all([load(), WB.bodySchema("POST", "/activities/{activity_id}/feedback"),
                   WB.communities().catch(function () { return {}; })]).then(function (got) {
        s.communities = got[2];
        f.s.options = { satisfaction: [5, 4, 3, 2, 1].map(function (n) { return [String(n), n + " · " + WB.label("satisfaction", n)]; }) };
        f.s.schema = got[1];
      }).catch(function (e) { s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        if (WBW.missing(f, FIELDS)) return;
        var body = { satisfaction: Number(f.model.satisfaction) };
        if (f.model.comments) body.comments = f.model.comments;
        WBW.create(f, { path: "/activities/" + encodeURIComponent(id) + "/feedback", body: body, kind: "feedback",
                        label: (s.a ? s.a.title : "") + " · " + t("gather_feedback") + " · " + body.satisfaction },
          function () { f.model.comments = ""; f.s.done = t("feedback_ok"); return load(); });
      }
      return function () {
        var a = s.a;
        return h("section", { class: "wb-page" }, [
          h("h1", { id: "activity-title" }, a ? a.title : t("activity")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          a ? h(vant.CellGroup, { inset: true }, function () { return [
            h(vant.Cell, { title: t("held_at"), value: Fmt.time(a.held_at) }),
            h(vant.Cell, { title: t("field_community_id"), value: s.communities[a.community_id] || "" }),
            h(vant.Cell, { title: t("state"), value: WB.label("activity_state", a.state) }),
            h(vant.Cell, { title: t("person_times_of"), value: String(a.person_times), id: "activity-person-times" }),
            h(vant.Cell, { title: t("feedback_count"), value: String(a.feedback_count || 0), id: "activity-feedback-count" }),
            a.satisfaction !== null && a.satisfaction !== undefined ?
              h(vant.Cell, { title: t("satisfaction_avg"), value: String(a.satisfaction) }) : null]; }) : null,
          a ? h("a", { class: "wb-link-button primary", href: "#/attendance/" + a.id }, t("take_attendance")) : null,
          a ? WBW.section("feedback", "gather_feedback", [
            f.s.done ? h("p", { class: "wb-done", role: "status" }, f.s.done) : null,
            WBW.view(f, FIELDS, submit, { comments: "field_feedback_comments" })]) : null]);
      };
    }
  });
})();
