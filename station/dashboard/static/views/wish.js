/* 微心愿 (#/wishes, wb-worker): the station's micro-wishes with their residents and
   partners by name; 发布微心愿 for a resident (through the outbox, a create); a posted wish
   认领 by a partner (chosen by name), a claimed one 送达 with a note: steps on the wish,
   sent directly, the server's refusal (expired, already claimed) shown by the wish. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["resident_id", "title", "expires_on"];

  function inMonth() {
    var d = new Date(Date.now() + 8 * 3600 * 1000 + 30 * 86400000);
    return d.toISOString().slice(0, 10);
  }

  WB.register("wishes", {
    props: ["params", "ready"],
    setup: function (props) {
      var f = WBW.form({ expires_on: inMonth() });
      var s = Vue.reactive({ items: null, names: {}, partners: [], error: null, pick: {}, note: {}, rowError: {}, busy: {} });
      function load() {
        return Api.all("/wishes?station_id=" + WBW.q(WBW.station())).then(function (items) {
          var order = { posted: 0, claimed: 1, delivered: 2, closed: 3, expired: 4 };
          s.items = items.sort(function (a, b) { return (order[a.state] - order[b.state]) || (a.title < b.title ? -1 : 1); });
        });
      }
      Promise.all([load(), WBW.residents(), WBW.partners(), WB.bodySchema("POST", "/wishes")]).then(function (got) {
        got[1].forEach(function (r) { s.names[r.id] = r.name; });
        s.partners = got[2];
        f.s.options = { resident_id: WBW.choices(got[1]) };
        f.s.schema = WBW.reshape(got[3], { title: Object.assign({}, got[3].properties.title, { maxLength: 200 }) });
      }).catch(function (e) { s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function partnerName(id) { return (s.partners.filter(function (p) { return p.id === id; })[0] || {}).name || ""; }
      function act(w, which) {
        var body = which === "claim" ? { partner_id: s.pick[w.id] || "" } : (s.note[w.id] ? { note: s.note[w.id] } : {});
        if (which === "claim" && !body.partner_id) { s.rowError[w.id] = t("required"); return; }
        s.rowError[w.id] = null; s.busy[w.id] = true;
        Api.request("/wishes/" + encodeURIComponent(w.id) + "/" + which, { method: "POST", body: body })
          .then(load)
          .catch(function (e) {
            var fields = Object.keys(e.fields || {}).map(function (k) { return e.fields[k].join("；"); });
            s.rowError[w.id] = WB.message(e) + (fields.length ? "：" + fields.join("；") : "");
          }).finally(function () { s.busy[w.id] = false; });
      }
      function post() {
        if (WBW.missing(f, FIELDS)) return;
        var m = f.model, body = { resident_id: m.resident_id, title: m.title, expires_on: m.expires_on };
        WBW.create(f, { path: "/wishes", body: body, kind: "wish",
                        label: t("post_wish") + " · " + (s.names[m.resident_id] || "") + " · " + m.title },
          function () { m.title = ""; f.s.done = t("submitted"); return load(); });
      }
      function row(w) {
        var name = (s.names[w.resident_id] || "") + " · " + w.title, tid = "w-" + w.id;
        var controls = [];
        if (w.state === "posted") {
          controls = [h("div", { class: "wb-field" }, [
            h("label", { for: "p-" + w.id }, t("field_partner_id")),
            h("select", { id: "p-" + w.id, value: s.pick[w.id] || "", onChange: function (e) { s.pick[w.id] = e.target.value; } },
              [h("option", { value: "" }, t("choose"))].concat(s.partners.map(function (p) {
                return h("option", { value: p.id }, p.name); })))]),
            h(vant.Button, { type: "primary", size: "small", loading: !!s.busy[w.id], onClick: function () { act(w, "claim"); } },
              function () { return t("claim"); })];
        } else if (w.state === "claimed") {
          controls = [h("div", { class: "wb-field" }, [
            h("label", { for: "n-" + w.id }, t("field_note")),
            h("input", { id: "n-" + w.id, value: s.note[w.id] || "", onInput: function (e) { s.note[w.id] = e.target.value; } })]),
            h(vant.Button, { type: "success", size: "small", loading: !!s.busy[w.id], onClick: function () { act(w, "deliver"); } },
              function () { return t("deliver"); })];
        }
        return h("div", { class: "wb-item wb-wish", role: "group", "aria-labelledby": tid, "data-state": w.state }, [
          h("div", { class: "wb-item-main" }, [
            h("strong", { id: tid }, name),
            h("span", { class: "wb-state" }, WB.label("wish_state", w.state)),
            w.partner_id ? h("span", t("claimed_by") + " " + partnerName(w.partner_id)) : null,
            h("span", { class: "wb-time" }, t("field_expires_on") + " " + w.expires_on)]),
          controls.length ? h("div", { class: "wb-actions" }, controls) : null,
          s.rowError[w.id] ? h("p", { class: "wb-error", role: "alert" }, s.rowError[w.id]) : null]);
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_wishes")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.items ? h("div", { class: "wb-list", id: "wishes" }, s.items.length ? s.items.map(row) : [h("p", t("nothing"))]) : null,
          WBW.section("post-wish", "post_wish", [
            f.s.done ? h("p", { class: "wb-done", role: "status" }, f.s.done) : null,
            WBW.view(f, FIELDS, post, { title: "field_wish_title" })])]);
      };
    }
  });
})();
