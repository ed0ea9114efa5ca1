/* 活动签到: #/attendance lists the station's activities; #/attendance/<id> is the sheet
   for one: search and tick residents, add 匿名人数, 提交. The sheet goes through the
   outbox like a visit, so a hall with no signal loses nothing. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  WB.register("attendance_list", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ items: null, error: null });
      Api.request("/activities?page_size=50&station_id=" + encodeURIComponent(Api.station() || ""))
        .then(function (page) {
          s.items = page.items.sort(function (a, b) { return (a.held_at || "") < (b.held_at || "") ? 1 : -1; });
        }).catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_attendance")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.items ? h("ul", { class: "wb-list", id: "activities" }, s.items.map(function (a) {
            return h("li", { class: "wb-item" }, [
              h("a", { href: "#/attendance/" + a.id, class: "wb-name" }, a.title),
              h("span", { class: "wb-time" }, Fmt.time(a.held_at))]);
          })) : null]);
      };
    }
  });

  WB.register("attendance", {
    props: ["params", "ready"],
    setup: function (props) {
      var id = props.params[0];
      var s = Vue.reactive({ activity: null, residents: [], q: "", ticked: {}, headcount: "0",
                             error: null, formError: null, busy: false });
      Promise.all([Api.request("/activities/" + encodeURIComponent(id)),
                   Api.all("/residents?station_id=" + encodeURIComponent(Api.station() || ""))])
        .then(function (got) { s.activity = got[0]; s.residents = got[1]; got[1].forEach(WB.remember); })
        .catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });

      function shown() {
        var q = s.q.trim();
        return s.residents.filter(function (r) {
          return !q || r.name.indexOf(q) >= 0 || (r.id_number || "").slice(-4).indexOf(q) >= 0 || s.ticked[r.id];
        }).slice(0, 100);
      }
      function submit() {
        var ids = Object.keys(s.ticked).filter(function (k) { return s.ticked[k]; });
        var count = Number(s.headcount || 0);
        if (!(count >= 0) || Math.floor(count) !== count) { s.formError = t("fix_hint"); return; }
        s.busy = true; s.formError = null;
        Outbox.add({ path: "/activities/" + encodeURIComponent(id) + "/attendance",
                     body: { resident_ids: ids, headcount: count }, kind: "attendance",
                     label: (s.activity ? s.activity.title : "") + " · " + t("ticked") + " " + ids.length +
                            " · " + t("field_headcount") + " " + count })
          .then(function (seq) {
            if (!navigator.onLine) return { retry: true };
            return Outbox.flush().then(function (outcome) { return outcome[seq] || { retry: true }; });
          }).then(function (o) {
            if (o.ok) { vant.showToast(t("submitted")); location.hash = "#/attendance"; }
            else if (o.retry) { vant.showToast(t("saved_on_device")); location.hash = "#/outbox"; }
            else { location.hash = "#/outbox"; }      // refused: kept there with the server's words
          }).catch(function (e) { s.formError = e.message_zh ? WB.message(e) : String(e); })
          .finally(function () { s.busy = false; });
      }
      return function () {
        var n = Object.keys(s.ticked).filter(function (k) { return s.ticked[k]; }).length;
        return h("section", { class: "wb-page" }, [
          h("h1", [t("wb_attendance"), s.activity ? " · " + s.activity.title : ""]),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          h("form", { class: "wb-form", onSubmit: function (e) { e.preventDefault(); submit(); } }, [
            h("div", { class: "wb-field" }, [h("label", { for: "f-q" }, t("search_hint")),
              h("input", { id: "f-q", type: "search", value: s.q, onInput: function (e) { s.q = e.target.value; } })]),
            h("fieldset", { class: "wb-field wb-checks", id: "attendees" }, [
              h("legend", t("attendees") + " · " + t("ticked") + " " + n)].concat(shown().map(function (r) {
                return h("span", { class: "wb-check" }, [
                  h("input", { type: "checkbox", id: "a-" + r.id, checked: !!s.ticked[r.id],
                               onChange: function (e) { s.ticked[r.id] = e.target.checked; } }),
                  h("label", { for: "a-" + r.id }, r.name)]);
              }))),
            h("div", { class: "wb-field" }, [h("label", { for: "f-headcount" }, t("field_headcount")),
              h("input", { id: "f-headcount", type: "number", min: 0, inputmode: "numeric", value: s.headcount,
                           onInput: function (e) { s.headcount = e.target.value; } })]),
            s.formError ? h("p", { class: "wb-error", role: "alert" }, s.formError) : null,
            h(vant.Button, { type: "primary", block: true, nativeType: "submit", loading: s.busy },
              function () { return t("submit"); })])]);
      };
    }
  });
})();
