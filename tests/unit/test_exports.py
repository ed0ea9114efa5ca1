"""shared.exports: the layout a street office files, and formula injection neutralised."""
from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shared.exports import Sheet, cell, neutralise, to_csv, to_xlsx

NASTY = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", NASTY)
def test_a_formula_start_is_made_plain_text(text):
    assert neutralise(text) == "'" + text
    assert cell(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "a=b", "1-2", "", "'quoted"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_numbers_stay_numbers_and_negative_numbers_are_not_text():
    assert cell(-3) == -3 and cell(Decimal("-1.50")) == Decimal("-1.50") and cell(None) == ""


def sheet(rows):
    return Sheet("探访台账", "西湖路街道社工站", "2026-11", (("name", "姓名"), ("n", "次数")), rows)


def test_xlsx_has_title_station_period_headers_frozen_and_widths():
    data = to_xlsx(sheet([{"name": "=cmd|' /C calc'!A0", "n": 3}, {"name": "李四", "n": 1}]))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "探访台账"
    assert ws["A2"].value == "社工站：西湖路街道社工站" and ws["B2"].value == "统计期间：2026-11"
    assert [c.value for c in ws[3]] == ["姓名", "次数"]
    assert ws.freeze_panes == "A4"
    assert ws["A4"].value == "'=cmd|' /C calc'!A0" and ws["A4"].data_type == "s"
    assert ws["B4"].value == 3 and ws["B5"].value == 1
    assert ws.column_dimensions["A"].width >= len("=cmd|' /C calc'!A0")


def test_csv_has_the_same_rows_with_a_bom_for_excel():
    data = to_csv(sheet([{"name": "@SUM(1)", "n": 2}]))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["探访台账"] and rows[2] == ["姓名", "次数"] and rows[3] == ["'@SUM(1)", "2"]


def test_the_vendored_chart_library_is_the_one_named_in_its_readme():
    from station.dashboard import STATIC
    vendor = STATIC / "vendor"
    digest = hashlib.sha256((vendor / "echarts-6.1.0.min.js").read_bytes()).hexdigest()
    assert digest in (vendor / "README.md").read_text()
    assert "echarts-6.1.0.min.js" in (STATIC / "index.html").read_text()


def test_dashboard_assets_never_leave_the_static_folder():
    from station.dashboard import asset
    assert asset("/dashboard/")[1].startswith("text/html")
    assert asset("/dashboard/app.js")[1].startswith("application/javascript")
    for bad in ("/dashboard/../__init__.py", "/dashboard/vendor/../../__init__.py",
                "/dashboard/%2e%2e/x", "/dashboard/nothing.js", "/dashboard//etc/passwd"):
        assert asset(bad) is None, bad


def test_the_page_script_writes_data_as_text_only():
    """A guard beside the browser test: no HTML sink in the dashboard's own code."""
    from station.dashboard import STATIC
    for name in ("app.js", "i18n.js"):
        code = (STATIC / name).read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, (name, sink)
