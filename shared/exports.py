"""Spreadsheets a street office can file as they are: XLSX (openpyxl) and CSV.

One layout for every ledger: a title row, a row naming the station and the period, the
Chinese column headers (frozen), then the rows; column widths fitted to the text. Every
text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a
carriage return first) is neutralised with a leading `'` (OWASP's CSV-injection advice):
a resident named `=HYPERLINK(...)` stays a name. Numbers stay numbers.

Pure: rows in, bytes out; the services decide what the rows are and who may have them.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
HEADER_ROW = 3            # title, then station and period, then the headers


@dataclasses.dataclass(frozen=True)
class Sheet:
    """title: 标题; station, period: what it covers; columns: (key, 中文表头) in order."""

    title: str
    station: str
    period: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[dict]

    def headers(self) -> list[str]:
        return [zh for _, zh in self.columns]

    def cells(self) -> Iterable[list]:
        for row in self.rows:
            yield [cell(row.get(key)) for key, _ in self.columns]


def neutralise(text: str) -> str:
    """A text a spreadsheet would run as a formula, made plain text."""
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


def cell(value: Any):
    """What one cell holds: numbers as numbers (money as Decimal text kept exact in CSV,
    a number in XLSX), lists joined, everything else neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, (list, tuple)):
        value = "、".join(str(v) for v in value)
    return neutralise(str(value))


def _width(values: Iterable) -> int:
    """Characters wide, CJK counted double, within 8..60."""
    longest = max((sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(v)) for v in values),
                  default=8)
    return max(8, min(60, longest + 2))


def to_xlsx(sheet: Sheet) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet.title[:31]
    width = max(1, len(sheet.columns))
    ws.append([neutralise(sheet.title)])
    ws.append([f"社工站：{neutralise(sheet.station)}", f"统计期间：{sheet.period}"])
    ws.append(sheet.headers())
    rows = list(sheet.cells())
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    for column in ws[HEADER_ROW]:
        column.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    for index, header in enumerate(sheet.headers(), start=1):
        ws.column_dimensions[get_column_letter(index)].width = _width(
            [header] + [r[index - 1] for r in rows])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark (so Excel opens the Chinese right), same rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(sheet.title)])
    writer.writerow([f"社工站：{neutralise(sheet.station)}", f"统计期间：{sheet.period}"])
    writer.writerow(sheet.headers())
    writer.writerows(sheet.cells())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render(sheet: Sheet, fmt: str) -> tuple[bytes, str]:
    """(bytes, content type) of the sheet in `fmt` (xlsx or csv)."""
    return (to_xlsx(sheet), XLSX_TYPE) if fmt == "xlsx" else (to_csv(sheet), CSV_TYPE)


def response(sheet: Sheet, fmt: str, filename: str):
    """A werkzeug answer carrying the file (an @api handler may return it as it is)."""
    from urllib.parse import quote

    from werkzeug.wrappers import Response
    data, content_type = render(sheet, fmt)
    name = f"{filename}.{fmt}"
    return Response(data, status=200, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"export.{fmt}\"; "
                               f"filename*=UTF-8''{quote(name)}"})
