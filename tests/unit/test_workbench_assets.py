"""Guards beside the workbench's browser test (issue 21): its files are what the page and
the service worker name, the views never call fetch nor write HTML, both languages have
the same words, and the vendored libraries are the ones the vendor README lists."""
from __future__ import annotations

import json
import re
import subprocess

from station.dashboard import STATIC, asset

SCRIPTS = sorted([*STATIC.glob("views/*.js"), *STATIC.glob("wb/*.js"), STATIC / "api.js"])


def test_every_view_and_module_is_loaded_by_the_page_and_kept_by_the_service_worker():
    page = (STATIC / "index.html").read_text()
    shell = (STATIC / "sw.js").read_text()
    for path in SCRIPTS:
        url = "/dashboard/" + path.relative_to(STATIC).as_posix()
        assert f'src="{url}"' in page, url
        assert f'"{url}"' in shell, url
    for name in re.findall(r'"/dashboard/(vendor/[^"]+)"', page + shell):
        assert (STATIC / name).is_file(), name
        assert name.split("/")[1] in (STATIC / "vendor" / "README.md").read_text(), name


def test_views_never_call_fetch_nor_write_html():
    for path in SCRIPTS:
        code = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function"):
            assert sink not in code, (path.name, sink)
        if path.parent.name == "views":
            assert "fetch(" not in code, path.name


def test_both_languages_have_the_same_words_and_enum_tables():
    """i18n.js run by node (the machine has it for the vendoring; without it, skipped by
    returning: the browser tests still read the Chinese words)."""
    try:
        out = subprocess.run(["node", "-e", "global.window={};" + (STATIC / "i18n.js").read_text()
                              + ";console.log(JSON.stringify(window.I18N))"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        return
    words = json.loads(out)
    workbench = [k for k in words["zh"] if k.startswith(("wb_", "field_", "role_"))]
    assert len(workbench) > 20
    assert [k for k in workbench if k not in words["en"]] == []
    for table, values in words["zh"]["enums"].items():
        assert set(values) == set(words["en"]["enums"][table]), table
    assert [words["zh"][k] for k in ("field_name", "field_id_number", "field_gender",
                                     "field_birth_date", "field_community_id", "field_categories",
                                     "field_method", "field_visited_at", "field_findings",
                                     "field_notes", "submit", "record_visit", "pending_sync")] == \
        ["姓名", "身份证号", "性别", "出生日期", "社区", "类别", "方式", "探访时间", "发现", "备注",
         "提交", "记录探访", "待同步"]


def test_the_manifest_and_service_worker_are_served_with_their_types():
    assert asset("/dashboard/manifest.webmanifest")[1].startswith("application/manifest+json")
    assert asset("/dashboard/sw.js")[1].startswith("application/javascript")
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text())
    assert manifest["scope"] == "/dashboard/" and manifest["start_url"].startswith("/dashboard/")
