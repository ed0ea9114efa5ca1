/* 待同步记录 (#/outbox): what waits on this device, in the order it will be sent; what
   the server refused, with its message in the worker's language, to send again or discard.
   Read from IndexedDB only, so it opens with no network. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  WB.register("outbox", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ items: [], counts: { pending: 0, refused: 0, synced: 0 } });
      function reload() { return Outbox.list().then(function (items) { s.items = items; }); }
      reload().finally(function () { Vue.nextTick(props.ready); });
      Vue.onUnmounted(Outbox.subscribe(function (c) { s.counts = c; reload(); }));
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_outbox")),
          !s.items.length ? h("p", { class: "wb-done", id: "outbox-empty" },
                              s.counts.synced ? t("synced") : t("nothing")) : null,
          h("ol", { class: "wb-list", id: "outbox-items" }, s.items.map(function (item) {
            var e = item.error;
            return h("li", { class: "wb-item state-" + item.state, "data-state": item.state }, [
              h("div", { class: "wb-item-main" }, [
                h("strong", item.label || item.path),
                h("span", { class: "wb-time" }, Fmt.time(item.created)),
                h("span", item.state === "refused" ? t("refused_sync") : t("pending_sync"))]),
              e ? h("p", { class: "wb-error", role: "alert" },
                    (WB.lang() === "zh" ? e.message_zh : e.message) +
                    Object.keys(e.fields || {}).map(function (f) { return " · " + t("field_" + f) + ": " + e.fields[f].join("; "); }).join("")) : null,
              e ? h("div", { class: "wb-actions" }, [
                h(vant.Button, { size: "small", type: "primary", onClick: function () { Outbox.retry(item.seq, item.body); } },
                  function () { return t("retry"); }),
                h(vant.Button, { size: "small", type: "danger", plain: true, onClick: function () { Outbox.discard(item.seq); } },
                  function () { return t("discard"); })]) : null]);
          }))]);
      };
    }
  });
})();
