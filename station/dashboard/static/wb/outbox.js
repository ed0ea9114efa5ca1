/* The outbox on the device (IndexedDB through Dexie), in the spirit of Workbox's
   background-sync Queue: a submission is stored with its Idempotency-Key, replayed in
   order when the network is back, each sent once; what the server refuses is kept with its
   bilingual message for the worker to fix or discard, never dropped silently. Logging out
   deletes the whole database. */
"use strict";
(function () {
  var db = new Dexie("station-outbox");
  db.version(1).stores({ items: "++seq, state" });

  var listeners = [], flushing = null, synced = 0;

  function notify() {
    return counts().then(function (c) {
      listeners.forEach(function (fn) { fn(c); });
      return c;
    });
  }

  /* {pending, refused, synced}: synced counts what this page sent since it opened. */
  function counts() {
    return db.items.toArray().then(function (items) {
      return { pending: items.filter(function (i) { return i.state === "pending"; }).length,
               refused: items.filter(function (i) { return i.state === "refused"; }).length,
               synced: synced };
    });
  }

  /* Stores one submission ({path, body, label}) with a key made now; returns its seq. */
  function add(item) {
    // a plain copy: IndexedDB cannot clone a view's reactive proxies
    var row = { path: item.path, method: item.method || "POST", body: JSON.parse(JSON.stringify(item.body)),
                label: item.label || "", kind: item.kind || "", key: Api.newKey(),
                state: "pending", created: new Date().toISOString(), error: null };
    return db.items.add(row).then(function (seq) { notify(); return seq; });
  }

  /* Sends what is pending, oldest first, one at a time. Stops at the first that cannot
     reach the server (it stays pending, in its place); a refusal (4xx) is kept as
     refused and the next is sent. Only one flush runs at once. */
  function flush() {
    if (flushing) return flushing;
    flushing = db.items.where("state").equals("pending").sortBy("seq").then(function (items) {
      var outcome = {};
      function next(i) {
        if (i >= items.length) return outcome;
        var item = items[i];
        return Api.request(item.path, { method: item.method, body: item.body, key: item.key })
          .then(function (answer) {
            synced += 1; outcome[item.seq] = { ok: true, answer: answer };
            return db.items.delete(item.seq).then(function () { return next(i + 1); });
          }, function (err) {
            if (err.status === 0 || err.status >= 500 || err.status === 401 || err.status === 429) {
              outcome[item.seq] = { ok: false, retry: true, error: err };
              return outcome;
            }
            var error = { status: err.status, code: err.code, message: err.message_en,
                          message_zh: err.message_zh, fields: err.fields };
            outcome[item.seq] = { ok: false, error: err };
            return db.items.update(item.seq, { state: "refused", error: error })
              .then(function () { return next(i + 1); });
          });
      }
      return next(0);
    }).finally(function () { flushing = null; notify(); });
    return flushing;
  }

  function list() { return db.items.orderBy("seq").toArray(); }
  function discard(seq) { return db.items.delete(seq).then(notify); }
  /* A refused submission, corrected by the worker, goes back in the queue (same key:
     the server never wrote the refused one). */
  function retry(seq, body) {
    return db.items.update(seq, { state: "pending", error: null, body: body })
      .then(notify).then(flush);
  }
  function clear() { synced = 0; return db.items.clear().then(notify); }
  /* Calls FN with the counts now and on every change; returns how to stop. */
  function subscribe(fn) {
    listeners.push(fn); counts().then(fn);
    return function () { listeners = listeners.filter(function (f) { return f !== fn; }); };
  }

  window.addEventListener("online", function () { flush(); });
  setInterval(function () { if (navigator.onLine) flush(); }, 20000);

  window.Outbox = { add: add, flush: flush, list: list, discard: discard, retry: retry,
                    clear: clear, subscribe: subscribe, counts: counts };
})();
