/* The workbench's service worker: keeps the app shell (the page, its scripts, styles and
   vendored libraries) and the API's OpenAPI document (schemas, no personal data) so the
   app opens and its forms render with no network once it has been opened online. Never
   keeps an API answer about a person: those stay on the server. Network first, so a
   station that updates its software is seen at once when online. */
"use strict";
var CACHE = "workbench-shell-v5";
var SHELL = [
  "/dashboard/", "/dashboard/app.css", "/dashboard/app.js", "/dashboard/i18n.js", "/dashboard/api.js",
  "/dashboard/manifest.webmanifest", "/dashboard/icon.svg",
  "/dashboard/wb/format.js", "/dashboard/wb/outbox.js", "/dashboard/wb/core.js",
  "/dashboard/views/today.js", "/dashboard/views/residents.js", "/dashboard/views/resident_new.js",
  "/dashboard/views/resident.js", "/dashboard/views/visit.js", "/dashboard/views/attendance.js",
  "/dashboard/views/approvals.js", "/dashboard/views/outbox.js", "/dashboard/views/report.js",
  "/dashboard/vendor/echarts-6.1.0.min.js", "/dashboard/vendor/vue-3.5.45.runtime.global.prod.js",
  "/dashboard/vendor/vant-4.10.2.min.js", "/dashboard/vendor/vant-4.10.2.css",
  "/dashboard/vendor/dexie-4.4.7.min.js", "/api/v1/openapi.json"
];
/* wb-lead */
SHELL.push("/dashboard/views/lead_common.js", "/dashboard/views/weekly.js", "/dashboard/views/meetings.js",
           "/dashboard/views/chain.js", "/dashboard/views/supervision.js", "/dashboard/views/inbox_reports.js",
           "/dashboard/views/card.js");
/* /wb-lead */

/* wb-worker: the social worker's views */
SHELL.push("/dashboard/wb/worker.js", "/dashboard/views/today_cases.js", "/dashboard/views/assess.js",
           "/dashboard/views/need.js", "/dashboard/views/case.js", "/dashboard/views/activity_new.js",
           "/dashboard/views/activity.js", "/dashboard/views/hours.js", "/dashboard/views/volunteer_new.js", "/dashboard/views/partner_new.js", "/dashboard/views/donation.js",
           "/dashboard/views/wish.js");
SHELL.push("/dashboard/views/import.js");   /* import */
/* end wb-worker */

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(url) {
  return url.origin === self.location.origin &&
    (url.pathname.indexOf("/dashboard/") === 0 || url.pathname === "/api/v1/openapi.json") &&
    url.pathname !== "/dashboard/sw.js";
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || !kept(url)) return;
  var key = request.mode === "navigate" ? "/dashboard/" : url.pathname;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && SHELL.indexOf(key) >= 0) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (hit) { return hit || Response.error(); });
  }));
});
