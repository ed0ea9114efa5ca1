"""The refused rows of an import as a workbook to fix and upload again. Pure.

The sheet's own headers and cells, row by row as they were sent (each cell written as
text: a cell that reads `=…` stays those characters, never becomes a formula), with a
问题 column saying what to fix, in Chinese then English, and 原行号 the row it was.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

PROBLEM, ROW = "问题", "原行号"


def workbook(report) -> bytes:
    """`report`: an import_run.Report."""
    checked = report.checked
    by_row: dict[int, list[str]] = {}
    for p in report.problems:
        by_row.setdefault(p.row, []).append(f"{p.column}：{p.message_zh}（{p.message}）")
    book = Workbook()
    sheet = book.active
    sheet.title = "需修改的行"
    _text_row(sheet, 1, [*checked.headers, PROBLEM, ROW])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    width = len(checked.headers)
    for out, number in enumerate(sorted(by_row), start=2):
        cells = list(checked.cells.get(number, ()))[:width]
        cells += [""] * (width - len(cells))
        _text_row(sheet, out, [*cells, "；".join(by_row[number]), str(number)])
    sheet.freeze_panes = "A2"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _text_row(sheet, row: int, values) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.data_type = "s"   # text, even when it starts with "="
