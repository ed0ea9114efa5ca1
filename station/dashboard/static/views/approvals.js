/* 待审批 (#/approvals): the supervisor's work: case plans and closures
   (/cases/approvals), card downgrades (/residents?pending=true) and volunteers'
   self-reported hours; each approved, or sent back with a reason the worker will see. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  function stationQuery() { return "station_id=" + encodeURIComponent(Api.station() || ""); }

  /* Everything waiting, as rows {id, kind, title, detail, approve(), sendBack(reason)}. */
  function load() {
    var st = stationQuery();
    return Promise.all([
      Api.all("/cases/approvals?status=pending&" + st),
      Api.all("/cases?" + st),
      Api.all("/residents?" + st),
      Api.all("/residents?pending=true&" + st).catch(function () { return []; }),
      Api.all("/volunteers?" + st).catch(function () { return []; })
    ]).then(function (got) {
      var names = {}, caseResident = {};
      got[2].forEach(function (r) { names[r.id] = r.name; });
      got[1].forEach(function (c) { caseResident[c.id] = c.resident_id; });
      var rows = got[0].map(function (a) {
        var base = "/cases/" + encodeURIComponent(a.case_id) + "/approvals/" + encodeURIComponent(a.id);
        return { id: "case-" + a.id, kind: a.subject, title: names[caseResident[a.case_id]] || "",
                 detail: t("requested_by") + " " + a.requested_by + " · " + Fmt.time(a.requested_at),
                 approve: function () { return Api.request(base + "/approve", { method: "POST", body: {} }); },
                 sendBack: function (why) { return Api.request(base + "/send-back", { method: "POST", body: { comments: why } }); } };
      });
      got[3].filter(function (r) { return r.pending_card; }).forEach(function (r) {
        var base = "/residents/" + encodeURIComponent(r.id) + "/card-downgrade/";
        rows.push({ id: "card-" + r.id, kind: "card_downgrade", title: r.name,
                    detail: WB.label("card", r.card || "none") + " → " + WB.label("card", r.pending_card),
                    approve: function () { return Api.request(base + "confirm", { method: "POST", body: {} }); },
                    sendBack: function (why) { return Api.request(base + "reject", { method: "POST", body: { reason: why } }); } });
      });
      return { rows: rows, later: hours(got[4]) };
    });
  }

  /* Volunteers' self-reported hours, one request per volunteer: shown when they come,
     after the rest of the page. */
  function hours(volunteers) {
    var rows = [];
    return function () { return Promise.all(volunteers.map(function (v) {
        return Api.all("/volunteers/" + encodeURIComponent(v.id) + "/service?status=pending").then(function (logs) {
          logs.forEach(function (l) {
            var base = "/volunteers/" + encodeURIComponent(v.id) + "/service/" + encodeURIComponent(l.id) + "/";
            rows.push({ id: "hours-" + l.id, kind: "volunteer_hours", title: v.name,
                        detail: l.served_on + " · " + l.hours + " " + t("hours"),
                        approve: function () { return Api.request(base + "confirm", { method: "POST", body: {} }); },
                        sendBack: function (why) { return Api.request(base + "reject", { method: "POST", body: { reason: why } }); } });
          });
        }).catch(function () {});
      })).then(function () { return rows; }); };
  }

  WB.register("approvals", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ rows: null, error: null, open: null, reason: "", done: {}, rowError: {} });
      load().then(function (got) {
        s.rows = got.rows;
        got.later().then(function (more) { s.rows = s.rows.concat(more); });
      })
        .catch(function (e) { s.error = WB.message(e); })
        .finally(function () { Vue.nextTick(props.ready); });
      function act(row, which) {
        if (which === "back" && !s.reason.trim()) { s.rowError[row.id] = t("required"); return; }
        var call = which === "back" ? row.sendBack(s.reason.trim()) : row.approve();
        call.then(function () {
          s.done[row.id] = which === "back" ? t("sent_back_done") : t("approved_done");
          s.open = null; s.reason = ""; s.rowError[row.id] = null;
        }).catch(function (e) { s.rowError[row.id] = WB.message(e); });
      }
      return function () {
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_approvals")),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.rows && !s.rows.length ? h(vant.Empty, { description: t("nothing") }) : null,
          s.rows ? h("div", { class: "wb-list", id: "approvals" }, s.rows.map(function (row) {
            var titleId = "t-" + row.id;
            return h("div", { class: "wb-item wb-approval", role: "group", "aria-labelledby": titleId,
                             "data-kind": row.kind }, [
              h("div", { class: "wb-item-main" }, [
                h("strong", { id: titleId }, t(row.kind) + " · " + row.title),
                h("span", { class: "wb-time" }, row.detail)]),
              s.done[row.id] ? h("p", { class: "wb-done", role: "status" }, s.done[row.id]) :
              h("div", { class: "wb-actions" }, [
                h(vant.Button, { type: "success", size: "small", onClick: function () { act(row, "approve"); } },
                  function () { return t("approve"); }),
                h(vant.Button, { type: "warning", size: "small", plain: true,
                                 onClick: function () { s.open = s.open === row.id ? null : row.id; s.reason = ""; } },
                  function () { return t("send_back"); })]),
              s.open === row.id && !s.done[row.id] ? h("form", { class: "wb-form", onSubmit: function (e) {
                e.preventDefault(); act(row, "back"); } }, [
                h("div", { class: "wb-field" }, [
                  h("label", { for: "f-back-" + row.id }, t("send_back_reason")),
                  h("textarea", { id: "f-back-" + row.id, rows: 2, value: s.reason,
                                  onInput: function (e) { s.reason = e.target.value; } })]),
                h(vant.Button, { type: "primary", size: "small", nativeType: "submit" }, function () { return t("submit"); })]) : null,
              s.rowError[row.id] ? h("p", { class: "wb-error", role: "alert" }, s.rowError[row.id]) : null]);
          })) : null]);
      };
    }
  });
})();
