/* 花名册导入 (#/import): a station head or supervisor brings a sheet in. Choose what the
   sheet holds (居民 / 社会组织及成员 / 志愿者), the file (XLSX or CSV), 检查 — a dry run that
   writes nothing and shows every problem row by row — then 确认导入. Refused rows can be
   downloaded as a workbook with a 问题 column, fixed and uploaded again; nothing is ever
   doubled (a row already imported is 未变). The template comes from the same page. */
"use strict";
(function () {
  var h = WB.h, t = WB.t;
  var KINDS = ["residents", "organizations", "volunteers"];
  var XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

  function path(kind, dryRun, format) {
    return "/imports/" + kind + "?station_id=" + encodeURIComponent(Api.station() || "") +
      "&dry_run=" + (dryRun ? "true" : "false") + (format ? "&format=" + format : "");
  }

  function typed(file) {   /* the browser may leave a CSV or XLSX file's type empty */
    if (file.type) return file;
    var type = /\.csv$/i.test(file.name) ? "text/csv" : XLSX;
    return new Blob([file], { type: type });
  }

  function save(response, name) {
    return response.blob().then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = name;
      document.body.appendChild(a); a.click(); a.remove();
    });
  }

  WB.register("import", {
    props: ["params", "ready"],
    setup: function (props) {
      var s = Vue.reactive({ kind: "residents", file: null, report: null, checked: false,
                             done: null, error: null, busy: false });
      Vue.nextTick(props.ready);

      function send(dryRun) {
        s.error = null; s.done = null;
        if (!s.file) { s.error = t("import_choose_file"); return; }
        s.busy = true;
        Api.request(path(s.kind, dryRun), { method: "POST", file: typed(s.file) }).then(function (report) {
          s.report = report; s.checked = dryRun;
          if (!dryRun) s.done = t("import_done");
        }).catch(function (e) { s.error = WB.message(e); s.report = null; })
          .finally(function () { s.busy = false; });
      }
      function refusedRows() {
        Api.request(path(s.kind, true, "xlsx"), { method: "POST", file: typed(s.file), raw: true })
          .then(function (r) {
            if (!r.ok) throw Api.ApiError(r.status, null);
            return save(r, t("import_refused_file"));
          }).catch(function (e) { s.error = WB.message(e); });
      }
      function template() {
        Api.request("/imports/" + s.kind + "/template.xlsx?station_id=" + encodeURIComponent(Api.station() || ""),
                    { raw: true }).then(function (r) {
          if (!r.ok) throw Api.ApiError(r.status, null);
          return save(r, t("import_template_file"));
        }).catch(function (e) { s.error = WB.message(e); });
      }

      function summary(r) {
        return h("dl", { class: "wb-summary", id: "import-summary" }, [
          ["rows", "import_rows"], ["new", "import_new"], ["unchanged", "import_unchanged"],
          ["updated", "import_updated"], ["refused", "import_refused"]].map(function (p) {
          return h("div", [h("dt", t(p[1])), h("dd", { "data-count": p[0] }, String(r[p[0]]))]);
        }));
      }
      function problems(r) {
        if (!r.errors.length) return h("p", { class: "wb-done", role: "status" }, t("import_no_problems"));
        var zh = WB.lang() !== "en";
        return h("table", { class: "wb-table", id: "import-errors" }, [
          h("caption", t("import_problems")),
          h("thead", [h("tr", [h("th", { scope: "col" }, t("import_row")), h("th", { scope: "col" }, t("import_column")),
                               h("th", { scope: "col" }, t("import_problem"))])]),
          h("tbody", r.errors.map(function (e) {
            return h("tr", [h("td", String(e.row)), h("td", e.column || ""),
                            h("td", zh ? (e.message_zh || e.message) : e.message)]);
          }))]);
      }

      return function () {
        var r = s.report;
        return h("section", { class: "wb-page" }, [
          h("h1", t("wb_import")),
          h("form", { class: "wb-form", id: "import-form", novalidate: true,
                      onSubmit: function (e) { e.preventDefault(); send(true); } }, [
            h("div", { class: "wb-field" }, [
              h("label", { for: "f-import-kind" }, t("import_kind")),
              h("select", { id: "f-import-kind", value: s.kind, onChange: function (e) {
                s.kind = e.target.value; s.report = null; s.done = null; } },
                KINDS.map(function (k) { return h("option", { value: k, selected: s.kind === k }, t("import_kind_" + k)); }))]),
            h("div", { class: "wb-field" }, [
              h("label", { for: "f-import-file" }, t("import_file")),
              h("input", { id: "f-import-file", type: "file", accept: ".xlsx,.csv", onChange: function (e) {
                s.file = e.target.files[0] || null; s.report = null; s.done = null; } })]),
            h("div", { class: "wb-actions" }, [
              h(vant.Button, { type: "primary", nativeType: "submit", id: "import-check", loading: s.busy },
                function () { return t("import_check"); }),
              h(vant.Button, { plain: true, id: "import-template", onClick: template }, function () { return t("import_template"); })])]),
          s.error ? h("p", { class: "wb-error", role: "alert" }, s.error) : null,
          s.done ? h("p", { class: "wb-done", role: "status", id: "import-done" }, s.done) : null,
          r ? summary(r) : null,
          r ? problems(r) : null,
          r && s.checked && r.refused === 0 && r.new + r.updated > 0
            ? h(vant.Button, { type: "primary", block: true, id: "import-confirm", loading: s.busy,
                             onClick: function () { send(false); } }, function () { return t("import_confirm"); }) : null,
          r && r.refused > 0
            ? h(vant.Button, { plain: true, block: true, id: "import-refused", onClick: refusedRows },
                function () { return t("import_download_refused"); }) : null]);
      };
    }
  });
})();
