/* 登记资源方 (#/partners/new): the API's PartnerRequest as a form — 名称, 类型 (企业, 学校,
   慈善组织, 社会组织, 政府部门 by their Chinese names), 部门 when a government one, 社区 by
   name, 所在阵地 (1+7+N), 联系方式; through the outbox (a create); then back to 登记捐赠,
   where the new partner can be chosen as the donor. (wb-worker) */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var FIELDS = ["name", "type", "department", "community_id", "hub", "contact"];

  WB.register("partner_new", {
    props: ["params", "ready"],
    setup: function (props) {
      var f = WBW.form({ hub: "other" });
      Promise.all([WB.bodySchema("POST", "/partners"), WB.communities()]).then(function (got) {
        f.s.options = { community_id: Object.keys(got[1]).map(function (id) { return [id, got[1][id]]; }) };
        f.s.schema = got[0];
      }).catch(function (e) { f.s.error = WB.message(e); }).finally(function () { Vue.nextTick(props.ready); });

      function submit() {
        var shown = fields();
        if (WBW.missing(f, shown)) return;
        var m = f.model, body = { station_id: WBW.station(), name: m.name, type: m.type, hub: m.hub || "other" };
        shown.forEach(function (k) { if (m[k] && !(k in body)) body[k] = m[k]; });
        WBW.create(f, { path: "/partners", body: body, kind: "partner",
                        label: t("wb_partner_new") + " · " + m.name },
          function () { location.hash = "#/donations/new"; });
      }
      /* 部门 only for a government partner. */
      function fields() {
        return f.model.type === "government" ? FIELDS : FIELDS.filter(function (k) { return k !== "department"; });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_partner_new")),
          f.s.error ? h("p", { class: "wb-error", role: "alert" }, f.s.error) : null,
          WBW.view(f, fields(), submit, { name: "field_partner_name" })]);
      };
    }
  });
})();
