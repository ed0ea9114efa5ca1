/* The social worker's forms, one way to send them (wb-worker):
   - a create goes through the outbox (its Idempotency-Key made on the device): sent at once
     when online, kept on the device (待同步) when not; a refusal while the worker is still
     on the form is shown by its fields (the server's bilingual words) and leaves nothing
     in the outbox;
   - a step on something that exists (a plan, a claim) is sent directly, online only, and a
     refusal is shown the same way.
   Also the lookups most forms need: the station's residents, partners, volunteers by name. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;

  /* {s, model, errors}: a form's reactive state. */
  function form(defaults) {
    return { s: Vue.reactive({ schema: null, options: {}, error: null, busy: false, formError: null, done: null }),
             model: Vue.reactive(Object.assign({}, defaults || {})), errors: Vue.reactive({}) };
  }

  function clear(f) {
    Object.keys(f.errors).forEach(function (k) { f.errors[k] = null; });
    f.s.formError = null; f.s.done = null;
  }

  /* The server's field errors by their fields; a nested one (answers.<question>) by its
     dotted name. */
  function refused(f, err) {
    var flat = {};
    Object.keys(err.fields || {}).forEach(function (name) {
      var v = err.fields[name];
      if (v && !Array.isArray(v) && typeof v === "object") {
        Object.keys(v).forEach(function (sub) { flat[name + "." + sub] = v[sub]; });
      } else flat[name] = v;
    });
    WB.serverErrors({ fields: flat }, f.errors);
    f.s.formError = WB.message(err);
  }

  /* The device's checks: required fields (of FIELDS) filled. True when something is missing. */
  function missing(f, fields) {
    clear(f);
    if (WB.missing(f.s.schema, fields, f.model, f.errors)) { f.s.formError = t("fix_hint"); return true; }
    return false;
  }

  /* A create through the outbox. ITEM {path, body, label, kind}; AFTER(answer) when it was
     accepted now. Offline (or the server unreachable) it waits on the device: 待同步. */
  function create(f, item, after) {
    f.s.busy = true;
    return Outbox.add(item).then(function (seq) {
      if (!navigator.onLine) return { retry: true };
      return Outbox.flush().then(function (outcome) { return outcome[seq] || { retry: true }; })
        .then(function (o) {
          if (o.ok || o.retry) return o;
          return Outbox.discard(seq).then(function () { return o; });   // still on the form: fix it here
        });
    }).then(function (o) {
      if (o.ok) return after(o.answer);       // the page shows the result itself (no toast: a dialog to screen readers)
      if (o.retry) { location.hash = "#/outbox"; return; }    // 待同步 N there and in the header
      refused(f, o.error);
    }).catch(function (e) { f.s.formError = e.message_zh ? WB.message(e) : String(e); })
      .finally(function () { f.s.busy = false; });
  }

  /* A step sent directly (POST PATH BODY); AFTER(answer) when accepted. */
  function step(f, path, body, after) {
    f.s.busy = true;
    return Api.request(path, { method: "POST", body: body }).then(function (answer) {
      return after(answer);
    }).catch(function (e) { refused(f, e); }).finally(function () { f.s.busy = false; });
  }

  /* The form itself (the API's schema, the view's choices and labels). */
  function view(f, fields, onSubmit, labels) {
    return f.s.schema ? h(WB.SchemaForm, { schema: f.s.schema, fields: fields, model: f.model, errors: f.errors,
      options: f.s.options, labels: labels, onSubmit: onSubmit, busy: f.s.busy, formError: f.s.formError,
      onEdit: function () { f.s.formError = null; } }) : null;
  }

  /* A section with its own heading, named by it (a landmark a screen reader can jump to). */
  function section(id, titleKey, children) {
    return h("section", { class: "wb-section", id: id, "aria-labelledby": id + "-title" },
             [h("h2", { id: id + "-title" }, t(titleKey))].concat(children));
  }

  function station() { return Api.station() || ""; }
  function q(v) { return encodeURIComponent(v); }

  /* The station's residents (masked list), remembered by name. */
  function residents() {
    return Api.all("/residents?station_id=" + q(station())).then(function (items) {
      items.forEach(WB.remember); return items;
    });
  }
  function partners() { return Api.all("/partners?station_id=" + q(station())); }
  /* [[id, name]] choices from a list. */
  function choices(items, nameOf) {
    return items.map(function (x) { return [x.id, nameOf ? nameOf(x) : x.name]; });
  }
  /* A vocabulary of /rubrics ([{code, name, name_zh}]) as choices in the page's language. */
  function vocabulary(list) {
    return (list || []).map(function (v) { return [v.code, WB.lang() === "zh" ? v.name_zh : v.name]; });
  }
  /* The rubrics and vocabularies (no personal data), kept on the device so a form opened
     offline still has its choices. */
  var RUBRICS = "station.rubrics";
  function rubrics() {
    return Api.request("/rubrics").then(function (r) {
      localStorage.setItem(RUBRICS, JSON.stringify(r)); return r;
    }, function (e) {
      var kept = localStorage.getItem(RUBRICS);
      if (kept) return JSON.parse(kept);
      throw e;
    });
  }
  /* Names are a nicety on a form: offline, the form still opens without them. */
  function residentsIfOnline() { return residents().catch(function () { return []; }); }

  function today() { return Fmt.nowLocal().slice(0, 10); }

  /* A schema with some properties replaced (a list of goals typed as lines, a number typed
     as a decimal string). */
  function reshape(schema, props) {
    return Object.assign({}, schema, { properties: Object.assign({}, schema.properties, props) });
  }

  window.WBW = { form: form, clear: clear, refused: refused, missing: missing, create: create,
                    step: step, view: view, section: section, station: station, q: q,
                    residents: residents, partners: partners, choices: choices,
                    vocabulary: vocabulary, today: today, reshape: reshape,
                    rubrics: rubrics, residentsIfOnline: residentsIfOnline };
})();
