/* 查找居民 (#/residents): by name, the last digits of the ID number, community or card.
   The API's own search (?q=) covers names and ID digits; community and card are its
   filters. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  WB.register("residents", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ q: "", community: "", card: "", items: null, error: null, communities: {} });
      WB.communities().then(function (c) { s.communities = c; }).catch(function () {})
        .finally(function () { Vue.nextTick(props.ready); });
      function search() {
        var path = "/residents?page_size=100&station_id=" + encodeURIComponent(Api.station() || "");
        if (s.q.trim()) path += "&q=" + encodeURIComponent(s.q.trim());
        if (s.community) path += "&community_id=" + encodeURIComponent(s.community);
        if (s.card) path += "&card=" + s.card;
        s.error = null;
        Api.request(path).then(function (page) {
          page.items.forEach(WB.remember); s.items = page.items;
        }).catch(function (e) { s.error = WB.message(e); });
      }
      return function () {
        var ids = Object.keys(s.communities);
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_search")),
          h("form", { class: "wb-form", role: "search", onSubmit: function (e) { e.preventDefault(); search(); } }, [
            h("div", { class: "wb-field" }, [h("label", { for: "f-q" }, t("search_hint")),
              h("input", { id: "f-q", type: "search", value: s.q, onInput: function (e) { s.q = e.target.value; } })]),
            h("div", { class: "wb-field" }, [h("label", { for: "f-community_id" }, t("field_community_id")),
              h("select", { id: "f-community_id", value: s.community, onChange: function (e) { s.community = e.target.value; } },
                [h("option", { value: "" }, t("choose"))].concat(ids.map(function (id) {
                  return h("option", { value: id }, s.communities[id]); })))]),
            h("div", { class: "wb-field" }, [h("label", { for: "f-card" }, t("field_card")),
              h("select", { id: "f-card", value: s.card, onChange: function (e) { s.card = e.target.value; } },
                [h("option", { value: "" }, t("choose"))].concat(["red", "blue", "green", "none"].map(function (c) {
                  return h("option", { value: c }, WB.label("card", c)); })))]),
            h(vant.Button, { type: "primary", block: true, nativeType: "submit" }, function () { return t("search"); })]),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.items ? h("ul", { class: "wb-list", id: "search-results", "aria-label": t("results") },
            s.items.length ? s.items.map(function (r) {
              return h("li", { class: "wb-item card-" + r.card }, [
                h("a", { href: "#/residents/" + r.id, class: "wb-name" }, r.name),
                h("span", WB.label("card", r.card || "none")),
                h("span", s.communities[r.community_id] || ""),
                h("span", { class: "wb-masked" }, r.id_number)]);
            }) : [h("li", t("nothing"))]) : null]);
      };
    }
  });
})();
