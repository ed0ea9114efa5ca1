/* The one API client: the base path, the bearer token, the API's bilingual error shape,
   the purpose of access (X-Access-Reason) and an Idempotency-Key made on the device for
   each submission. Views and the dashboard never call fetch themselves. */
"use strict";
(function () {
  var BASE = "/api/v1", TOKEN = "station.token";

  function token() { return sessionStorage.getItem(TOKEN); }

  /* A key per submission, made here so a repeat (a retry, a sync after a week offline)
     carries the same one and the server writes once. */
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  /* An error carrying the API's answer: status, code, both messages, the fields'. A
     failure to reach the server at all has status 0 (offline). */
  function ApiError(status, body) {
    var e = (body && body.error) || {};
    var err = new Error(e.message || ("HTTP " + status));
    err.status = status; err.code = e.code || (status ? "http_" + status : "offline");
    err.message_en = e.message || (status ? "HTTP " + status : "The network is unreachable");
    err.message_zh = e.message_zh || (status ? "请求失败 (" + status + ")" : "网络不可用");
    err.fields = e.fields || {};
    return err;
  }

  var hooks = { unauthorized: function () {} };

  /* request(path, {method, body, file, reason, key, raw}) -> the answer's JSON (or the Response
     when raw). A POST gets an Idempotency-Key: the caller's (the outbox keeps one per
     submission) or a fresh one. */
  function request(path, options) {
    options = options || {};
    var method = options.method || "GET";
    var headers = { "Accept": "application/json" };
    if (token()) headers["Authorization"] = "Bearer " + token();
    if (options.reason) headers["X-Access-Reason"] = encodeURIComponent(options.reason);
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.file) headers["Content-Type"] = options.file.type || "text/csv";   /* an upload: the file is the body */
    if (method !== "GET" && path !== "/auth/token") headers["Idempotency-Key"] = options.key || newKey();
    return fetch(BASE + path, {
      method: method, headers: headers,
      body: options.file ? options.file : options.body !== undefined ? JSON.stringify(options.body) : undefined
    }).catch(function () { throw ApiError(0, null); }).then(function (response) {
      if (response.status === 401 && path !== "/auth/token") {
        hooks.unauthorized(); throw ApiError(401, null);
      }
      if (options.raw) return response;
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!response.ok) throw ApiError(response.status, body);
        return body;
      });
    });
  }

  /* The list pages of a query, all of them (page_size 500). */
  function all(path) {
    var sep = path.indexOf("?") < 0 ? "?" : "&", items = [];
    function next(page) {
      return request(path + sep + "page_size=500&page=" + page).then(function (answer) {
        items = items.concat(answer.items);
        return items.length < answer.total && answer.items.length ? next(page + 1) : items;
      });
    }
    return next(1);
  }

  function claims() {
    try {
      var part = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(decodeURIComponent(escape(atob(part))));
    } catch (e) { return null; }
  }

  /* The caller's station (its first station scope), for forms that name one. */
  function station() {
    var c = claims(), found = null;
    ((c && c.scopes) || []).forEach(function (s) {
      if (!found && s.indexOf("station:") === 0) found = s.slice(8);
    });
    return found;
  }

  window.Api = { request: request, all: all, newKey: newKey, ApiError: ApiError, hooks: hooks,
                 token: token, claims: claims, station: station, TOKEN: TOKEN };
})();
