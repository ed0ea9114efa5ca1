/* The station head's, supervisor's, street's and district's views share these: a labelled
   field, the names of units and periods ("西湖路街道社工站 · 2026年第48周", never an id),
   this week's and month's keys in China time, a list of reports asked for in one request. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var CHINA = 8 * 3600 * 1000;

  /* The day in China, offset by some days: "2026-12-03". */
  function day(offset) {
    return new Date(Date.now() + CHINA + (offset || 0) * 86400000).toISOString().slice(0, 10);
  }
  /* ISO week key of a day: "2026-W49". */
  function weekOf(d) {
    var x = new Date(d + "T00:00:00Z"), dow = (x.getUTCDay() + 6) % 7;
    x.setUTCDate(x.getUTCDate() - dow + 3);
    var first = new Date(Date.UTC(x.getUTCFullYear(), 0, 4));
    var n = 1 + Math.round(((x - first) / 86400000 - 3 + ((first.getUTCDay() + 6) % 7)) / 7);
    return x.getUTCFullYear() + "-W" + (n < 10 ? "0" : "") + n;
  }

  /* "2026-W48" -> 2026年第48周 / 2026 week 48; "2026-11" -> 2026年11月. */
  function periodName(key) {
    var w = /^(\d{4})-W(\d{2})$/.exec(key || ""), m = /^(\d{4})-(\d{2})$/.exec(key || "");
    if (w) return WB.lang() === "zh" ? w[1] + "年第" + Number(w[2]) + "周" : w[1] + " week " + Number(w[2]);
    if (m) return WB.lang() === "zh" ? m[1] + "年" + Number(m[2]) + "月" : key;
    return key || "";
  }

  /* "level:id" -> name, from the organisation tree the caller's scope shows (a street and
     a community may share an id: each is named by its level). */
  function names() {
    return WB.org().then(function (tree) {
      var found = {};
      (tree.districts || []).forEach(function (d) {
        found["district:" + d.id] = d.name;
        (d.streets || []).forEach(function (s) {
          found["street:" + s.id] = s.name;
          (s.stations || []).forEach(function (st) {
            found["station:" + st.id] = st.name;
            (st.communities || []).forEach(function (c) { found["community:" + c.id] = c.name; });
          });
        });
      });
      return found;
    }).catch(function () { return {}; });
  }
  function reportTitle(report, known) {
    return (known[report.level + ":" + report.unit_id] || "") + " · " + periodName(report.period);
  }

  /* The reports the caller may see, filtered (status, level, unit_id, street_id, ...). */
  function reports(query) {
    var q = Object.keys(query || {}).filter(function (k) { return query[k]; }).map(function (k) {
      return k + "=" + encodeURIComponent(query[k]);
    }).join("&");
    return Api.all("/reports/submissions" + (q ? "?" + q : ""));
  }

  /* The last word of the level above on a report (its return's reason, say). */
  function lastNote(report) {
    var trail = report.trail || [], last = trail[trail.length - 1];
    return last && last.step !== "submitted" ? last.note || "" : "";
  }

  /* A labelled field: <label for=id>, the control, its error under it. */
  function field(id, labelKey, control, error) {
    return h("div", { class: "wb-field" + (error ? " has-error" : "") }, [
      h("label", { for: id }, t(labelKey)), control,
      error ? h("p", { class: "wb-error", id: id + "-error", role: "alert" }, error) : null]);
  }
  function input(id, model, key, attrs) {
    return h("input", Object.assign({ id: id, value: model[key], type: "text",
      onInput: function (e) { model[key] = e.target.value; } }, attrs || {}));
  }
  function textarea(id, model, key, rows) {
    return h("textarea", { id: id, rows: rows || 3, value: model[key],
      onInput: function (e) { model[key] = e.target.value; } });
  }
  function submitButton(busy, id) {
    return h(vant.Button, { type: "primary", block: true, nativeType: "submit", loading: !!busy,
                            class: "wb-submit", id: id }, function () { return t("submit"); });
  }
  /* A field error from the API's answer (the half in the page's language). */
  function fieldError(err, name) {
    return ((err && err.fields && err.fields[name]) || []).map(function (m) {
      var halves = String(m).split(" / ");
      return halves.length === 2 ? (WB.lang() === "zh" ? halves[1] : halves[0]) : m;
    }).join("；") || null;
  }

  window.WBLead = { day: day, weekOf: weekOf, periodName: periodName, names: names,
                    reportTitle: reportTitle, reports: reports, lastNote: lastNote, field: field,
                    input: input, textarea: textarea, submitButton: submitButton, fieldError: fieldError };
})();
