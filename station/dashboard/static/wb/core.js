/* The workbench's frame: the words (t, enum labels), the API's schemas (OpenAPI, kept in
   memory and, by the service worker, in its cache: no personal data), the one form
   builder (SchemaForm) and the mounting of one view (a file under views/) at a time. */
"use strict";
(function () {
  var h = Vue.h, LANG = "station.lang";
  var views = {}, current = null, openapi = null;

  function lang() { return localStorage.getItem(LANG) || "zh"; }
  function t(key) { var d = I18N[lang()] || I18N.zh; return d[key] !== undefined ? d[key] : (I18N.zh[key] || key); }
  /* An enum value's name: the table of that enum in the current language. */
  function label(table, value) {
    var e = (I18N[lang()] || I18N.zh).enums[table] || {};
    return e[value] || value;
  }
  /* An error from the API client in the current language. */
  function message(err) { return lang() === "zh" ? err.message_zh : (err.message_en || err.message); }

  function schemas() {
    if (openapi) return Promise.resolve(openapi);
    return fetch("/api/v1/openapi.json").then(function (r) {
      if (!r.ok) throw Api.ApiError(r.status, null);
      return r.json();
    }).then(function (doc) { openapi = doc; return doc; });
  }

  /* The request body's schema of METHOD PATH, references resolved one level. */
  function bodySchema(method, path) {
    return schemas().then(function (doc) {
      var op = doc.paths["/api/v1" + path][method.toLowerCase()];
      var ref = op.requestBody.content["application/json"].schema.$ref;
      return doc.components.schemas[ref.split("/").pop()];
    });
  }

  /* What kind of control a property gets, from its schema alone. */
  function kindOf(prop) {
    if (prop.type === "array") return "checks";
    if (prop.enum) return "select";
    if (prop.format === "date") return "date";
    if (prop.format === "date-time") return "datetime";
    if (prop.type === "integer") return "number";
    if ((prop.maxLength || 0) > 200) return "textarea";
    return "text";
  }

  /* One field: a visible label naming it (field_<name>), its control, its error (the
     device's check or the server's bilingual field message) under it. */
  function field(name, prop, model, errors, required, options, labels) {
    var id = "f-" + name, kind = kindOf(prop), error = errors[name];
    if (options[name] && kind !== "checks") kind = "select";   // the view names the choices
    var choices = options[name] || (prop.enum || (prop.items && prop.items.enum) || []).map(function (v) {
      return [v, label(name, v)];
    });
    var common = { id: id, name: name, "aria-invalid": error ? "true" : "false",
                   "aria-describedby": error ? id + "-error" : undefined };
    var control;
    function set(e) { model[name] = e.target.value; errors[name] = null; }
    if (kind === "select") {
      control = h("select", Object.assign({ value: model[name] || "", onChange: set, required: required }, common),
        [h("option", { value: "" }, t("choose"))].concat(choices.map(function (c) {
          return h("option", { value: c[0], selected: model[name] === c[0] }, c[1]);
        })));
    } else if (kind === "checks") {
      var chosen = model[name] || [];
      return h("fieldset", { class: "wb-field wb-checks", id: id }, [
        h("legend", t((labels || {})[name] || "field_" + name))
      ].concat(choices.map(function (c) {
        var cid = id + "-" + c[0];
        return h("span", { class: "wb-check" }, [
          h("input", { type: "checkbox", id: cid, value: c[0], checked: chosen.indexOf(c[0]) >= 0,
                       onChange: function (e) {
                         var now = (model[name] || []).filter(function (v) { return v !== c[0]; });
                         if (e.target.checked) now.push(c[0]);
                         model[name] = now;
                       } }),
          h("label", { for: cid }, c[1])]);
      })).concat(error ? [h("p", { class: "wb-error", id: id + "-error", role: "alert" }, error)] : []));
    } else if (kind === "textarea") {
      control = h("textarea", Object.assign({ value: model[name] || "", onInput: set, rows: 3,
                                              maxlength: prop.maxLength, required: required }, common));
    } else {
      /* A time is typed and shown as 2026-12-03 15:00 (China time) whatever the browser's
         locale: a datetime-local control would show the device's format (12/03/2026, 03:00 PM). */
      var type = { date: "date", datetime: "text", number: "number", text: "text" }[kind];
      control = h("input", Object.assign({ type: type, value: model[name] === undefined ? "" : model[name],
                                           onInput: set, required: required, maxlength: prop.maxLength,
                                           min: kind === "number" ? 0 : undefined,
                                           placeholder: kind === "datetime" ? "2026-12-03 15:00" : undefined,
                                           pattern: kind === "datetime" ? "\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}" : undefined,
                                           autocomplete: kind === "datetime" ? "off" : undefined }, common));
    }
    return h("div", { class: "wb-field" + (error ? " has-error" : "") }, [
      h("label", { for: id }, [t((labels || {})[name] || "field_" + name),
        required ? h("span", { class: "wb-required", "aria-hidden": "true" }, " *") : null]),
      control,
      error ? h("p", { class: "wb-error", id: id + "-error", role: "alert" }, error) : null]);
  }

  /* A form from a request schema: `fields` (their order), `model` and `errors` reactive,
     `options` choices the view supplies (a community's name for its id), `onSubmit`. */
  var SchemaForm = {
    props: ["schema", "fields", "model", "errors", "options", "onSubmit", "onEdit", "busy", "formError", "labels"],
    setup: function (props) {
      return function () {
        var s = props.schema, required = s.required || [];
        return h("form", { class: "wb-form", novalidate: true, onInput: function () {
          if (props.onEdit) props.onEdit();
        }, onSubmit: function (e) {
          e.preventDefault(); props.onSubmit();
        } }, props.fields.map(function (name) {
          return field(name, s.properties[name], props.model, props.errors,
                       required.indexOf(name) >= 0, props.options || {}, props.labels);
        }).concat([
          props.formError ? h("p", { class: "wb-error", role: "alert", id: "form-error" }, props.formError) : null,
          h(vant.Button, { type: "primary", block: true, nativeType: "submit", loading: !!props.busy,
                           class: "wb-submit" }, function () { return t("submit"); })]));
      };
    }
  };

  /* Required fields the device can check before sending (the server checks again). */
  function missing(schema, fields, model, errors) {
    var bad = false;
    (schema.required || []).forEach(function (name) {
      if (fields.indexOf(name) < 0) return;
      var v = model[name];
      if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length && false)) {
        errors[name] = t("required"); bad = true;
      }
    });
    return bad;
  }

  /* The server's field errors next to their fields ("English / 中文" halves by language). */
  function serverErrors(err, errors) {
    var shown = false;
    Object.keys(err.fields || {}).forEach(function (name) {
      var text = (err.fields[name] || []).map(function (m) {
        var halves = String(m).split(" / ");
        return halves.length === 2 ? (lang() === "zh" ? halves[1] : halves[0]) : m;
      }).join("；");
      if (name in errors || true) { errors[name] = text; shown = true; }
    });
    return shown;
  }

  function register(name, component) { views[name] = component; }

  /* Mounts the view NAME with its route's parts in MAIN; resolves when it is ready. */
  function mount(main, name, params) {
    unmount();
    var holder = document.createElement("div");
    holder.className = "wb-view";
    main.appendChild(holder);
    return new Promise(function (resolve) {
      current = Vue.createApp(views[name], { params: params, ready: resolve });
      current.use(vant);
      current.config.errorHandler = function (e) { console.warn(e); resolve(); };
      current.mount(holder);
    });
  }
  function unmount() { if (current) { current.unmount(); current = null; } }
  function has(name) { return !!views[name]; }

  /* The station's communities by id -> name (the org tree the caller's scope shows). */
  var orgCache = null;
  function org() {
    if (orgCache) return Promise.resolve(orgCache);
    return Api.request("/org").then(function (tree) { orgCache = tree; return tree; });
  }
  function communities() {
    return org().then(function (tree) {
      var found = {};
      (tree.districts || []).forEach(function (d) { (d.streets || []).forEach(function (s) {
        (s.stations || []).forEach(function (st) { (st.communities || []).forEach(function (c) {
          found[c.id] = c.name; }); }); }); });
      return found;
    });
  }
  function forget() { orgCache = null; names = {}; sensitive = {}; }

  /* Names of residents seen in this page (memory only), so a form opened offline can
     still say whose visit it is. */
  var names = {}, sensitive = {};
  function remember(resident) {
    if (!resident || !resident.id) return;
    names[resident.id] = resident.name;
    sensitive[resident.id] = resident.card === "red" || (resident.categories || []).some(function (c) {
      return c === "child_in_difficulty" || c === "left_behind_child";
    });
  }
  function nameOf(id) { return names[id] || ""; }
  /* True when a list already said this record needs a reason to be read (Red card, child). */
  function needsReason(id) { return !!sensitive[id]; }

  window.WB = { h: h, t: t, lang: lang, label: label, message: message, schemas: schemas, bodySchema: bodySchema,
                SchemaForm: SchemaForm, missing: missing, serverErrors: serverErrors,
                register: register, mount: mount, unmount: unmount, has: has,
                communities: communities, org: org, forget: forget, remember: remember, nameOf: nameOf, needsReason: needsReason,
                lang: lang };
})();
