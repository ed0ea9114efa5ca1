/* The station dashboard: one page, routes in the hash (#/station/ID, #/street/ID,
   #/district/ID, #/resident/ID, #/login). Every figure comes from /api/v1 with the
   bearer token the log-in returned: the API's roles, scopes and masking apply as they are.
   Data reaches the page only as text (textContent / text nodes), never as HTML. */
"use strict";
(function () {
  var TOKEN = "station.token", LANG = "station.lang";
  var state = { lang: localStorage.getItem(LANG) || "zh", charts: [], pending: [] };

  function t(key) { return (I18N[state.lang] || I18N.zh)[key] || key; }

  /* el("td", {class: "num"}, "12") -- children that are strings become text nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  var SCOPE_NAMES = "station.scopeNames";     // the organisation's names, no person's
  function token() { return Api.token(); }
  function claims() { return Api.claims(); }

  /* The one API client (api.js), its error worded in the page's language. */
  function api(path, options) {
    return Api.request(path, options).catch(function (err) {
      err.message = state.lang === "zh" ? err.message_zh : err.message_en;
      throw err;
    });
  }
  Api.hooks.unauthorized = function () { logout(); };

  /* The day in China (UTC+8), as the services count it. */
  function localDay(offsetDays) {
    var d = new Date(Date.now() + 8 * 3600 * 1000 + (offsetDays || 0) * 86400000);
    return d.toISOString().slice(0, 10);
  }
  function monthsBack(n) {
    var today = localDay(), y = +today.slice(0, 4), m = +today.slice(5, 7), out = [];
    for (var i = n - 1; i >= 0; i--) {
      var mm = m - i, yy = y;
      while (mm < 1) { mm += 12; yy -= 1; }
      out.push(yy + "-" + (mm < 10 ? "0" : "") + mm);
    }
    return out;
  }
  function yearToDate() { var d = localDay(); return d.slice(0, 4) + "-01-01.." + d; }

  /* -- the frame ------------------------------------------------------------------- */

  function setStatus(text) { document.getElementById("status").textContent = text || ""; }

  function translateStatic() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = t("brand");
    document.querySelectorAll("[data-i18n]").forEach(function (n) {
      n.textContent = t(n.getAttribute("data-i18n"));
    });
    document.getElementById("lang-toggle").textContent = t("toggle");
  }

  function frame() {
    var nav = document.getElementById("nav"), who = document.getElementById("who");
    nav.replaceChildren(); who.textContent = "";
    var c = claims();
    document.getElementById("logout").hidden = !c;
    if (!c) return;
    who.textContent = c.sub + " · " + t("role_" + c.role);
    (WORKBENCH_LINKS[c.role] || []).forEach(function (link) {
      nav.appendChild(el("a", { href: link[0] }, t(link[1])));
    });
    (c.scopes || []).forEach(function (scope) {
      var parts = scope.split(":");
      nav.appendChild(el("a", { href: "#/" + parts[0] + "/" + encodeURIComponent(parts[1]),
                                "data-scope": parts[1] }, t(parts[0]) + " " + parts[1]));
    });
    // names, not ids, once the organisation tree has come (kept in memory for the page)
    var kept = JSON.parse(sessionStorage.getItem(SCOPE_NAMES) || "null");
    (kept ? Promise.resolve(kept) : navigator.onLine ? WB.org().then(function (tree) {
      var names = {};
      (tree.districts || []).forEach(function (d) {
        names[d.id] = d.name;
        (d.streets || []).forEach(function (s) {
          names[s.id] = s.name;
          (s.stations || []).forEach(function (st) { names[st.id] = st.name; });
        });
      });
      sessionStorage.setItem(SCOPE_NAMES, JSON.stringify(names));
      return names;
    }) : Promise.resolve({})).then(function (names) {
      nav.querySelectorAll("a[data-scope]").forEach(function (a) {
        var id = a.getAttribute("data-scope");
        if (names[id]) a.textContent = names[id];
      });
    }).catch(function () {});
  }

  /* Logging out leaves nothing of the account on the device: the token, the outbox
     (what was not sent is lost, as the worker was told by 待同步), the names in memory. */
  function logout() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(SCOPE_NAMES);
    WB.forget();
    Outbox.clear().catch(function () {});
    location.hash = "#/login";
  }

  /* The workbench's pages in the header, by role. */
  var WORKBENCH_LINKS = {
    social_worker: [["#/today", "wb_today"], ["#/residents", "wb_search"], ["#/residents/new", "wb_register"],
                    ["#/attendance", "wb_attendance"]],
    supervisor: [["#/approvals", "wb_approvals"], ["#/today", "wb_today"]],
    station_head: [["#/approvals", "wb_approvals"]]
  };
  /* wb-lead: the station head's 周报, 周例会, 五级联动 and 督导; the supervisor's 督导记录;
     the street's and district's reports waiting for them. */
  [["station_head", [["#/weekly", "wb_weekly"], ["#/meetings", "wb_meetings"], ["#/chain", "wb_chain"],
                     ["#/supervision", "wb_supervision"]]],
   ["supervisor", [["#/supervision", "wb_supervision"]]],
   ["street_leader", [["#/inbox", "wb_inbox"]]],
   ["district_admin", [["#/inbox", "wb_inbox"]]]].forEach(function (more) {
    WORKBENCH_LINKS[more[0]] = (WORKBENCH_LINKS[more[0]] || []).concat(more[1]);
  });
  /* /wb-lead */

  /* wb-worker: the social worker's journeys (cases, activities, hours, donations,
     allocations, micro-wishes; a resident's assessment, need and new case). */
  WORKBENCH_LINKS.social_worker = WORKBENCH_LINKS.social_worker.concat([
    ["#/activities", "wb_activities"], ["#/hours", "wb_hours"], ["#/donations/new", "wb_donation"],
    ["#/wishes", "wb_wishes"]]);
  WORKBENCH_LINKS.supervisor = (WORKBENCH_LINKS.supervisor || []).concat([["#/allocations/new", "wb_allocation"]]);
  WORKBENCH_LINKS.station_head = (WORKBENCH_LINKS.station_head || []).concat([["#/allocations/new", "wb_allocation"]]);
  function workerView(parts) {
    var p1 = parts[1], p2 = parts[2];
    switch (parts[0]) {
      case "cases": return p1 ? ["case", [p1]] : null;
      case "activities": return !p1 ? ["activities", []] : p1 === "new" ? ["activity_new", []] : ["activity", [p1]];
      case "hours": return ["hours", []];
      case "volunteers": return p1 === "new" ? ["volunteer_new", []] : null;
      case "partners": return p1 === "new" ? ["partner_new", []] : null;
      case "donations": return ["donation", []];
      case "allocations": return ["allocation", []];
      case "wishes": return ["wishes", []];
      case "residents":
        var views = { assess: "assess", need: "need", "case": "case_new" };
        return p1 && views[p2] ? [views[p2], [p1]] : null;
    }
    return null;
  }
  /* end wb-worker */

  /* import: 花名册导入 for the station head and the supervisor (views/import.js) */
  WORKBENCH_LINKS.station_head = WORKBENCH_LINKS.station_head.concat([["#/import", "wb_import"]]);
  WORKBENCH_LINKS.supervisor = WORKBENCH_LINKS.supervisor.concat([["#/import", "wb_import"]]);
  /* /import */

  /* Route parts -> [view, params] for the workbench's views (views/*.js). */
  function workbenchView(parts) {
    var p1 = parts[1], p2 = parts[2];
    var worker = workerView(parts); if (worker) return worker;   /* wb-worker */
    switch (parts[0]) {
      case "today": return ["today", []];
      case "approvals": return ["approvals", []];
      case "outbox": return ["outbox", []];
      case "reports": return p1 ? ["report", [p1]] : null;
      case "attendance": return p1 ? ["attendance", [p1]] : ["attendance_list", []];
      case "residents":
        if (!p1) return ["residents", []];
        if (p1 === "new") return ["resident_new", []];
        return p2 === "visit" ? ["visit", [p1]] : ["resident", [p1]];
      /* wb-lead */
      case "weekly": return ["weekly", p1 ? [p1] : []];
      case "meetings": return ["meetings", []];
      case "chain": return ["chain", []];
      case "supervision": return ["supervision", []];
      case "inbox": return ["inbox_reports", []];
      case "card": return p1 ? ["card", [p1]] : null;
      case "import": return ["import", []];   /* import */
      /* /wb-lead */
    }
    return null;
  }

  /* 待同步 N while submissions wait on the device, 已同步 once they are sent. */
  function syncStatus(c) {
    var node = document.getElementById("sync-status");
    if (!node) return;
    var words = [];
    if (c.pending) words.push(t("pending_sync") + " " + c.pending);
    if (c.refused) words.push(t("refused_sync") + " " + c.refused);
    if (!c.pending && !c.refused && c.synced) words.push(t("synced"));
    node.textContent = words.join(" · ");
    node.hidden = !words.length || !token();
  }

  function clearCharts() {
    state.charts.forEach(function (c) { c.dispose(); });
    state.charts = [];
    state.pending = [];
  }

  function route() {
    WB.unmount(); clearCharts(); translateStatic(); frame();
    Outbox.counts().then(syncStatus);
    var main = document.getElementById("main");
    main.replaceChildren();
    main.removeAttribute("data-ready");
    var parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    if (!token() || parts[0] === "login") return loginPage(main);
    var wb = workbenchView(parts);
    if (wb) {
      main.setAttribute("data-page", parts[0]);
      return WB.mount(main, wb[0], wb[1]).then(function () { main.setAttribute("data-ready", "1"); });
    }
    var pages = { station: stationPage, street: unitPage, district: unitPage,
                  resident: residentPage };
    var page = pages[parts[0]];
    if (!page) return home();
    main.setAttribute("data-page", parts[0]);
    setStatus(t("loading"));
    Promise.resolve(page(main, parts[1], parts[0])).then(function () {
      state.pending.splice(0).forEach(function (drawIt) { drawIt(); });
      setStatus(""); main.setAttribute("data-ready", "1");
    }).catch(function (e) {
      setStatus("");
      main.appendChild(el("p", { class: "error", id: "page-error" }, t("error") + ": " + e.message));
      main.setAttribute("data-ready", "1");
    });
  }

  /* The landing page by role: a worker's 今日工作, a supervisor's 待审批, the others
     their first scope's dashboard (an auditor opens a resident's timeline from there). */
  function home() {
    var c = claims(), first = (c && c.scopes && c.scopes[0]) || "";
    if (c && c.role === "social_worker") { location.hash = "#/today"; return; }
    if (c && c.role === "supervisor") { location.hash = "#/approvals"; return; }
    var parts = first.split(":");
    location.hash = parts.length === 2 ? "#/" + parts[0] + "/" + encodeURIComponent(parts[1])
                                       : "#/login";
  }

  /* -- building blocks ------------------------------------------------------------- */

  function panel(id, titleKey) {
    var section = el("section", { class: "panel", id: id }, el("h2", { text: t(titleKey) }));
    return section;
  }

  /* A table: columns [[key, labelKey, numeric?]], rows of objects. */
  function table(id, columns, rows) {
    var head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", { text: t(c[1]) })); });
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      columns.forEach(function (c) {
        var value = row[c[0]], td = el("td", c[2] ? { class: "num", "data-key": c[0] } : { "data-key": c[0] });
        if (value instanceof Node) td.appendChild(value);
        else td.textContent = value === null || value === undefined ? "" : String(value);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (!rows.length) body.appendChild(el("tr", {}, el("td", { colspan: columns.length, text: t("nothing") })));
    return el("table", { id: id }, el("thead", {}, head), body);
  }

  /* A bar (or line) chart drawn by ECharts; labels are drawn on canvas, the tooltip too
     (richText), so no data string ever becomes HTML. */
  function chart(parent, categories, series, kind) {
    var box = el("div", { class: "chart" });
    parent.appendChild(box);
    state.pending.push(function () { draw(box, categories, series, kind); });
    return box;
  }

  /* Drawn once the page is in the document (ECharts needs the box's size). */
  function draw(box, categories, series, kind) {
    if (!window.echarts) return;
    var c = echarts.init(box, null, { renderer: "canvas" });
    c.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: categories },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map(function (s) {
        return { name: s.name, type: kind || "bar", data: s.data, stack: s.stack,
                 itemStyle: s.color ? { color: s.color } : undefined };
      })
    });
    state.charts.push(c);
  }

  function kpi(key, value, cls) {
    return el("div", { class: "kpi " + (cls || ""), "data-figure": key },
              el("div", { class: "label", text: t(key) }),
              el("div", { class: "value", text: String(value) }));
  }

  function communitiesOf(org, stationId) {
    var found = null;
    (org.districts || []).forEach(function (d) {
      (d.streets || []).forEach(function (s) {
        (s.stations || []).forEach(function (st) { if (st.id === stationId) found = st; });
      });
    });
    return found;
  }

  function download(path, filename) {
    return api(path, { raw: true }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.blob();
    }).then(function (blob) {
      var a = el("a", { href: URL.createObjectURL(blob), download: filename });
      document.body.appendChild(a); a.click(); a.remove();
    });
  }

  /* -- pages ----------------------------------------------------------------------- */

  function loginPage(main) {
    main.setAttribute("data-page", "login");
    var user = el("input", { id: "username", name: "username", autocomplete: "username" });
    var pass = el("input", { id: "password", name: "password", type: "password",
                             autocomplete: "current-password" });
    var message = el("p", { class: "error", id: "login-error" });
    var form = el("form", { class: "login", id: "login-form" },
                  el("h1", { text: t("login_title") }),
                  el("label", {}, t("username"), user), el("label", {}, t("password"), pass),
                  el("button", { type: "submit", id: "login-button", text: t("login") }), message);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      message.textContent = "";
      api("/auth/token", { method: "POST", body: { username: user.value, password: pass.value } })
        .then(function (answer) { sessionStorage.setItem(TOKEN, answer.access_token); home(); })
        .catch(function (e) { message.textContent = e.message; });
    });
    main.appendChild(form);
    main.setAttribute("data-ready", "1");
  }

  function stationPage(main, stationId) {
    var today = localDay(), ytd = yearToDate(), base = "/reports/stations/" + encodeURIComponent(stationId);
    var q = encodeURIComponent;
    return api("/org").then(function (org) {
      var station = communitiesOf(org, stationId) || { id: stationId, name: stationId, communities: [] };
      main.appendChild(el("h1", { id: "page-title" }, t("station") + "：" + station.name));
      var slot = {};   /* each panel in its place, whichever answer comes first */
      ["summary", "followups", "cards", "months", "year", "partners", "orglist", "suggestions",
       "roster", "exports"]
        .forEach(function (k) { main.appendChild(slot[k] = el("div", { class: "slot" })); });
      var residents = api("/residents?page_size=500&station_id=" + q(stationId));
      var jobs = [
        api(base + "/summary?as_of=" + today).then(function (s) { summaryPanel(slot.summary, s); }),
        Promise.all(station.communities.map(function (c) {
          return api(base + "/figures?community_id=" + q(c.id)).then(function (f) {
            return { community: c.name, by_card: f.figures.residents.by_card };
          });
        })).then(function (rows) { cardsPanel(slot.cards, rows); }),
        followupsPanel(slot.followups, stationId, residents),
        Promise.all(monthsBack(6).map(function (m) {
          return api(base + "/figures?period=" + m).then(function (f) {
            return { month: m, person_times: f.figures.activities.person_times,
                     visits: f.figures.visits.total };
          });
        })).then(function (rows) { monthsPanel(slot.months, rows); }),
        api(base + "/figures?period=" + q(ytd)).then(function (f) { yearPanels(slot.year, f.figures); }),
        api(base + "/chain").then(function (c) { suggestionsPanel(slot.suggestions, c.suggestions || []); }),
        residents.then(function (page) { rosterPanel(slot.roster, page); }),
        optional(api("/donations/totals?station_id=" + q(stationId)))
          .then(function (totals) { partnersPanel(slot.partners, totals); }),
        optional(api("/organizations?page_size=500&station_id=" + q(stationId)))
          .then(function (page) { orgListPanel(slot.orglist, page); }),
      ];
      exportsPanel(slot.exports, stationId);
      return Promise.all(jobs);
    });
  }

  function summaryPanel(main, s) {
    var box = panel("summary", "summary"), grid = el("div", { class: "kpis" });
    ["cases_open", "cases_closed", "visits", "activities", "person_times", "organizations",
     "members", "party_members", "resources_rmb", "followups_overdue"].forEach(function (k) {
      grid.appendChild(kpi(k, s[k]));
    });
    ["red", "blue", "green"].forEach(function (k) { grid.appendChild(kpi(k, s.cards[k], k)); });
    box.appendChild(grid);
    main.appendChild(box);
  }

  function cardsPanel(main, rows) {
    var box = panel("cards-by-community", "cards_by_community");
    var names = rows.map(function (r) { return r.community; });
    chart(box, names, ["red", "blue", "green"].map(function (k) {
      return { name: t(k), stack: "cards", color: { red: "#d9363e", blue: "#2f6fd6", green: "#2e9a4b" }[k],
               data: rows.map(function (r) { return r.by_card[k]; }) };
    }));
    box.appendChild(table("cards-table", [["community", "community"], ["red", "red", 1],
      ["blue", "blue", 1], ["green", "green", 1], ["none", "none", 1], ["total", "total", 1]],
      rows.map(function (r) {
        var b = r.by_card;
        return { community: r.community, red: b.red, blue: b.blue, green: b.green, none: b.none,
                 total: b.red + b.blue + b.green + b.none };
      })));
    main.appendChild(box);
  }

  function followupsPanel(main, stationId, residents) {
    var path = "/followups?page_size=500&station_id=" + encodeURIComponent(stationId) + "&status=";
    return Promise.all([api(path + "overdue"), api(path + "due"), residents]).then(function (pages) {
      var box = panel("followups", "followups"), names = {};
      pages[2].items.forEach(function (r) { names[r.id] = r.name; });
      var rows = pages[0].items.concat(pages[1].items).map(function (f) {
        return { resident: names[f.resident_id] || f.resident_id, card: t(f.card || "none"),
                 due_at: (f.due_at || "").slice(0, 10),
                 status: el("span", { class: f.status === "overdue" ? "overdue" : "", text: t(f.status) }),
                 worker: f.worker };
      });
      box.appendChild(el("p", { id: "followup-counts" },
        t("overdue") + " " + pages[0].total + " · " + t("due") + " " + pages[1].total));
      box.appendChild(table("followups-table", [["resident", "resident"], ["card", "card"],
        ["due_at", "due_at"], ["status", "status"], ["worker", "worker"]], rows));
      main.appendChild(box);
    });
  }

  function monthsPanel(main, rows) {
    var box = panel("by-month", "by_month");
    chart(box, rows.map(function (r) { return r.month; }), [
      { name: t("person_times"), data: rows.map(function (r) { return r.person_times; }) },
      { name: t("visits"), data: rows.map(function (r) { return r.visits; }) }]);
    box.appendChild(table("months-table", [["month", "month"], ["person_times", "person_times", 1],
      ["visits", "visits", 1]], rows));
    main.appendChild(box);
  }

  function yearPanels(main, f) {
    var areas = Object.keys(f.activities.by_area).map(function (k) {
      return { area: k === "null" || k === "None" ? t("unspecified") : k, sessions: f.activities.by_area[k] };
    });
    var box = panel("by-area", "by_area");
    chart(box, areas.map(function (r) { return r.area; }),
          [{ name: t("sessions"), data: areas.map(function (r) { return r.sessions; }) }]);
    box.appendChild(table("areas-table", [["area", "area"], ["sessions", "sessions", 1]], areas));
    main.appendChild(box);

    var o = f.organizations, orgs = panel("orgs", "orgs");
    orgs.appendChild(table("orgs-table", [["label", "state"], ["count", "count", 1]],
      [{ label: t("organizations"), count: o.organizations }, { label: t("members"), count: o.members },
       { label: t("party_members"), count: o.party_members }].concat(Object.keys(o.by_state).map(
        function (k) { return { label: t(k), count: o.by_state[k] }; }))));
    main.appendChild(orgs);

    var r = f.resources, res = panel("resources", "resources");
    res.appendChild(table("resources-table", [["label", "state"], ["count", "count", 1]],
      [{ label: t("donations_rmb"), count: r.donations_rmb }, { label: t("allocations_rmb"), count: r.allocations_rmb }]
        .concat(Object.keys(r.wishes).map(function (k) { return { label: t("wishes") + " · " + t(k), count: r.wishes[k] }; }))));
    main.appendChild(res);
  }

  /* A figure another service answers: null (shown as not available) if it cannot. */
  function optional(promise) { return promise.catch(function () { return null; }); }

  function partnersPanel(main, totals) {
    var box = panel("by-partner-type", "by_partner_type");
    if (!totals) {
      box.appendChild(el("p", { class: "note", text: t("not_available") }));
    } else {
      var byType = totals.by_partner_type || {}, rows = Object.keys(byType).map(function (k) {
        return { type: t(k), value: byType[k] };
      });
      chart(box, rows.map(function (r) { return r.type; }),
            [{ name: t("donations_rmb"), data: rows.map(function (r) { return Number(r.value); }) }]);
      box.appendChild(table("partner-types-table", [["type", "partner_type"], ["value", "donations_rmb", 1]],
                            rows.concat([{ type: t("total"), value: totals.total }])));
    }
    main.appendChild(box);
  }

  function orgListPanel(main, page) {
    var box = panel("org-list", "org_list");
    if (!page) box.appendChild(el("p", { class: "note", text: t("not_available") }));
    else box.appendChild(table("org-list-table", [["name", "name"], ["type", "org_type"], ["state", "state"],
      ["members", "members", 1], ["party_members", "party_members", 1]],
      page.items.map(function (o) { return Object.assign({}, o, { state: t(o.state) }); })));
    main.appendChild(box);
  }

  function suggestionsPanel(main, suggestions) {
    var open = suggestions.filter(function (s) { return s.state !== "adopted" && s.state !== "declined"; });
    var box = panel("suggestions", "suggestions");
    box.appendChild(table("suggestions-table", [["title", "proposal"], ["proposed_on", "proposed_on"],
      ["addressed_to", "district"], ["state", "stage"]], open));
    main.appendChild(box);
  }

  function rosterPanel(main, page) {
    {
      var box = panel("roster", "roster");
      box.appendChild(table("roster-table", [["name", "name"], ["card", "card"], ["id_number", "id_number"],
        ["phone", "phone"], ["categories", "categories"], ["link", "open_timeline"]],
        page.items.map(function (r) {
          return { name: r.name, card: t(r.card || "none"), id_number: r.id_number, phone: r.phone,
                   categories: (r.categories || []).map(t).join("、"),
                   link: el("a", { href: "#/resident/" + encodeURIComponent(r.id), text: t("open_timeline") }) };
        })));
      main.appendChild(box);
    }
  }

  function exportsPanel(main, stationId) {
    var box = panel("exports", "exports"), row = el("div", { class: "exports" });
    var s = encodeURIComponent(stationId), month = localDay().slice(0, 7);
    var ledgers = [["monthly", "/reports/stations/" + s + "/exports/monthly?period=" + month],
                   ["roster", "/residents/roster?station_id=" + s],
                   ["visits", "/reports/stations/" + s + "/exports/visits?period=" + month],
                   ["activities", "/reports/stations/" + s + "/exports/activities?period=" + month],
                   ["donations", "/reports/stations/" + s + "/exports/donations?period=" + month]];
    ledgers.forEach(function (l) {
      ["xlsx", "csv"].forEach(function (fmt) {
        row.appendChild(el("button", { type: "button", "data-export": l[0] + "." + fmt,
          onclick: function () { download(l[1] + (l[1].indexOf("?") < 0 ? "?" : "&") + "format=" + fmt,
                                          stationId + "-" + l[0] + "." + fmt); } },
          t("export_" + l[0]) + " (" + fmt.toUpperCase() + ")"));
      });
    });
    box.appendChild(row);
    main.appendChild(box);
  }

  /* A street's or the district's page: stations side by side, overdue follow-ups per
     station, and the reports waiting for an approver. */
  function unitPage(main, unitId, level) {
    var path = "/reports/" + level + "s/" + encodeURIComponent(unitId) + "/figures?period=" + encodeURIComponent(yearToDate());
    return Promise.all([api(path), api("/org")]).then(function (both) {
      var answer = both[0];
      main.appendChild(el("h1", { id: "page-title" }, t(level) + "：" + unitName(both[1], level, unitId)));
      var ids = Object.keys(answer.stations || {}), rows = ids.map(function (id) {
        var s = answer.stations[id];
        return { id: id, station: el("a", { href: "#/station/" + encodeURIComponent(id), text: s.name || id }),
                 name: s.name || id, red: s.cards.red, blue: s.cards.blue, green: s.cards.green,
                 visits: s.visits, activities: s.activities, person_times: s.person_times,
                 cases_open: s.cases_open, followups_overdue: s.followups_overdue };
      });
      var box = panel("side-by-side", "side_by_side");
      chart(box, rows.map(function (r) { return r.name; }), ["red", "blue", "green"].map(function (k) {
        return { name: t(k), color: { red: "#d9363e", blue: "#2f6fd6", green: "#2e9a4b" }[k],
                 data: rows.map(function (r) { return r[k]; }) };
      }));
      box.appendChild(table("stations-table", [["station", "station"], ["red", "red", 1], ["blue", "blue", 1],
        ["green", "green", 1], ["visits", "visits", 1], ["activities", "activities", 1],
        ["person_times", "person_times", 1], ["cases_open", "cases_open", 1],
        ["followups_overdue", "followups_overdue", 1]], rows));
      main.appendChild(box);
      var overdue = panel("overdue-by-station", "overdue_by_station");
      chart(overdue, rows.map(function (r) { return r.name; }),
            [{ name: t("followups_overdue"), color: "#d9363e", data: rows.map(function (r) { return r.followups_overdue; }) }]);
      overdue.appendChild(table("overdue-table", [["name", "station"], ["followups_overdue", "followups_overdue", 1]], rows));
      main.appendChild(overdue);
      return awaitingPanel(main, level, unitId);
    });
  }

  function unitName(org, level, unitId) {
    var found = unitId;
    (org.districts || []).forEach(function (d) {
      if (level === "district" && d.id === unitId) found = d.name;
      (d.streets || []).forEach(function (s) { if (level === "street" && s.id === unitId) found = s.name; });
    });
    return found;
  }

  /* The reports waiting for an approver under this unit, asked for as one list (never
     guessed id by id): on a street's page its stations' reports, on the district's its
     stations' and streets'. Each by its name, opening as a readable page (views/report.js). */
  function awaitingPanel(main, level, unitId) {
    var query = "/reports/submissions?status=submitted&" + (level === "district" ? "district_id=" : "street_id=") +
                encodeURIComponent(unitId);
    return Promise.all([Api.all(query), WBLead.names()]).then(function (got) {
      var box = panel("awaiting", "awaiting");
      var waiting = got[0].map(function (r) {
        return { report: WBLead.reportTitle(r, got[1]), period: WBLead.periodName(r.period),
                 submitted_by: r.submitted_by, submitted_at: Fmt.time(r.submitted_at),   // China time
                 open: el("a", { href: "#/reports/" + encodeURIComponent(r.id) }, t("open_report")) };
      });
      box.appendChild(table("awaiting-table", [["report", "report"], ["period", "period"],
        ["submitted_by", "submitted_by"], ["submitted_at", "submitted_at"], ["open", "open_report"]], waiting));
      main.appendChild(box);
    });
  }

  /* One resident's history across services, for auditors: each event with its hash
     chain's verdict. Red-card and children's records need a reason (X-Access-Reason). */
  function residentPage(main, residentId) {
    main.appendChild(el("h1", { id: "page-title" }, t("timeline") + "：" + residentId));
    var reason = el("input", { id: "reason", size: 40 });
    var result = el("div", { id: "timeline-result" });
    var load = function () {
      result.replaceChildren();
      return api("/residents/" + encodeURIComponent(residentId) + "/timeline", { reason: reason.value })
        .then(function (answer) { result.appendChild(timelineView(answer)); })
        .catch(function (e) { result.appendChild(el("p", { class: "error", text: e.message })); });
    };
    main.appendChild(el("p", { class: "actions" }, el("label", {}, t("reason") + " ", reason), " ",
                        el("button", { type: "button", id: "load-timeline", onclick: load, text: t("load") })));
    main.appendChild(result);   /* nothing read (and audited) until the reason is given */
  }

  function timelineView(answer) {
    var box = el("section", { class: "panel" });
    box.appendChild(el("p", { id: "timeline-verified", class: answer.verified ? "ok" : "bad",
                              text: (answer.verified ? "✔ " + t("verified") : "✘ " + t("not_verified")) }));
    box.appendChild(table("timeline-table", [["recorded_at", "time"], ["service", "service"],
      ["type", "type"], ["actor", "actor"], ["chain", "chain"], ["payload", "payload"]],
      answer.events.map(function (e) {
        return { recorded_at: e.recorded_at, service: e.service, type: e.type, actor: e.actor,
                 chain: el("span", { class: e.verified ? "ok" : "bad", text: e.verified ? "✔" : "✘" }),
                 payload: JSON.stringify(e.payload) };
      })));
    return box;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("lang-toggle").addEventListener("click", function () {
      state.lang = state.lang === "zh" ? "en" : "zh";
      localStorage.setItem(LANG, state.lang);
      route();
    });
    document.getElementById("logout").addEventListener("click", logout);
    window.addEventListener("hashchange", route);
    Outbox.subscribe(syncStatus);
    if (token() && navigator.onLine) Outbox.flush();
    /* The app shell kept by a service worker: the page opens with no network once it
       has been opened online. */
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/dashboard/sw.js", { scope: "/dashboard/" }).catch(function () {});
    }
    route();
  });
})();
