/* Resources (wb-worker):
   - 登记捐赠 (#/donations/new): the API's DonationRequest — 捐赠方 by name, 捐赠方式 现金 or
     物资, 金额(元) typed and sent as an exact decimal string (never a float), 物品, 单位,
     数量, 捐赠日期 — through the outbox (a create). The station's recent donations listed.
   - 物资分配 (#/allocations/new): stock or cash given to a resident (by name), 数量 for
     goods, 金额(元) for cash (a decimal string); a step the API lets supervisors and station
     heads take (resources.allocate), so a worker is told who does it. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  WB.register("donation", {
    props: ["params", "ready"],
    setup: function (props) {
      var FIELDS = ["partner_id", "kind", "value", "item", "unit", "quantity", "donated_on"];
      var f = WBW.form({ kind: "cash", donated_on: WBW.today() }), s = Vue.reactive({ partners: {}, items: [] });
      function recent() {
        return Api.request("/donations?page_size=10&station_id=" + WBW.q(WBW.station())).then(function (p) { s.items = p.items; });
      }
      Promise.all([WB.bodySchema("POST", "/donations"), WBW.partners(), recent()]).then(function (got) {
        got[1].forEach(function (p) { s.partners[p.id] = p.name; });
        f.s.options = { partner_id: WBW.choices(got[1]) };
        f.s.schema = got[0];
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        var m = f.model;
        if (WBW.missing(f, FIELDS)) return;
        var value = Fmt.amount(m.value);
        if (!value) { f.errors.value = t("money_invalid"); f.s.formError = t("fix_hint"); return; }
        var body = { station_id: WBW.station(), partner_id: m.partner_id, kind: m.kind, value: value };
        if (m.kind === "in_kind") {
          ["item", "unit"].forEach(function (k) { if (m[k]) body[k] = m[k]; });
          if (m.quantity) body.quantity = Number(m.quantity);
        }
        if (m.donated_on) body.donated_on = m.donated_on;
        WBW.create(f, { path: "/donations", body: body, kind: "donation",
                        label: t("wb_donation") + " · " + (s.partners[m.partner_id] || "") + " · " + Fmt.money(value) },
          function () { m.value = ""; m.item = ""; m.quantity = ""; f.s.done = t("submitted"); return recent(); });
      }
      return function () {
        var shown = f.model.kind === "in_kind" ? FIELDS : ["partner_id", "kind", "value", "donated_on"];
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_donation")),
          h("p", [h("a", { class: "wb-link-button", href: "#/partners/new", id: "partner-new" }, t("wb_partner_new"))]),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          f.s.done ? h("p", { class: "wb-done", role: "status" }, f.s.done) : null,
          WBW.view(f, shown, submit),
          h("h2", t("donations_rmb")),
          h("ul", { class: "wb-list", id: "donations" }, s.items.map(function (d) {
            return h("li", { class: "wb-item" }, [h("span", { class: "wb-name" }, s.partners[d.partner_id] || ""),
              h("span", WB.label("kind", d.kind) + (d.item ? " · " + d.item + (d.quantity ? " ×" + d.quantity : "") : "")),
              h("span", { class: "wb-money" }, Fmt.money(d.value)), h("span", { class: "wb-time" }, d.donated_on)]);
          }))]);
      };
    }
  });

  WB.register("allocation", {
    props: ["params", "ready"],
    setup: function (props) {
      var FIELDS = ["stock_id", "target_id", "quantity", "amount", "note"];
      var f = WBW.form({}), s = Vue.reactive({ stock: [], names: {} });
      var role = (Api.claims() || {}).role, may = role === "supervisor" || role === "station_head";
      function stock() {
        return Api.all("/stock?station_id=" + WBW.q(WBW.station())).then(function (items) { s.stock = items; return items; });
      }
      function stockName(x) {
        return x.kind === "cash" ? t("cash") + " · " + t("stock_left") + " " + Fmt.money(x.value)
                                 : x.item + " · " + t("stock_left") + " " + x.quantity + (x.unit || "");
      }
      Promise.all([WB.bodySchema("POST", "/allocations"), stock(), WBW.residents()]).then(function (got) {
        got[2].forEach(function (r) { s.names[r.id] = r.name; });
        f.s.options = { stock_id: WBW.choices(got[1], stockName), target_id: WBW.choices(got[2]) };
        f.s.schema = WBW.reshape(got[0], { note: Object.assign({}, got[0].properties.note, { maxLength: 200 }) });
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function chosen() { return s.stock.filter(function (x) { return x.id === f.model.stock_id; })[0]; }
      function submit() {
        var m = f.model, x = chosen();
        if (WBW.missing(f, ["stock_id", "target_id"])) return;
        var body = { stock_id: m.stock_id, target_type: "resident", target_id: m.target_id };
        if (x && x.kind === "cash") {
          var amount = Fmt.amount(m.amount);
          if (!amount) { f.errors.amount = t("money_invalid"); f.s.formError = t("fix_hint"); return; }
          body.amount = amount;
        } else if (m.quantity) body.quantity = Number(m.quantity);
        if (m.note) body.note = m.note;
        WBW.step(f, "/allocations", body, function () {
          m.amount = ""; m.quantity = ""; f.s.done = t("submitted") + " · " + (s.names[m.target_id] || ""); return stock(); });
      }
      return function () {
        var x = chosen(), shown = ["stock_id", "target_id"].concat(x && x.kind === "cash" ? ["amount"] : ["quantity"], ["note"]);
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_allocation")),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          may ? null : h("p", { class: "wb-note", id: "allocate-leads-only" }, t("allocate_leads_only")),
          f.s.done ? h("p", { class: "wb-done", role: "status" }, f.s.done) : null,
          may ? WBW.view(f, shown, submit) : null]);
      };
    }
  });
})();
