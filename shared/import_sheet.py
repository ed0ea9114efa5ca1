"""A roster file's cells as text: XLSX (openpyxl) or CSV, read as data, never run. Pure.

Cells are data: a cell holding a formula is read as the formula's text (`=HYPERLINK(…)`
stays those characters), never evaluated and never replaced by a value cached by the
program that saved it. Dates become YYYY-MM-DD; whole numbers their digits; everything
is stripped text ("" for an empty cell).

Rows are numbered as the sheet numbers them (the header is row 1 in the template). The
header row is the first of the first ten rows naming at least two known columns, so a
sheet with a title row above its headers still reads.

Limits, so that a small upload cannot become a large job: the file's bytes (the HTTP
edge checks them first), the XLSX's unpacked size (a zip bomb) and the number of rows.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from datetime import date, datetime
from typing import Callable, Iterable, Sequence

from shared.kit.errors import Invalid

XLSX_MAGIC = b"PK\x03\x04"
MAX_UNPACKED = 200_000_000      # bytes an XLSX may unpack to
HEADER_SEARCH = 10              # rows looked at for the header


class TooLarge(Exception):
    """The file exceeds a limit; message and message_zh say which."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message, self.message_zh = message, message_zh


@dataclasses.dataclass(frozen=True)
class Table:
    """headers: the header row's texts; rows: (sheet row number, cell texts)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def kind_of(data: bytes, content_type: str | None) -> str:
    """"xlsx" or "csv": by the bytes first (an XLSX is a zip), then the content type."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if content_type and "spreadsheetml" in content_type:
        return "xlsx"
    return "csv"


def read(data: bytes, content_type: str | None, known: Callable[[str], bool],
         max_rows: int) -> Table:
    """The table of `data`; Invalid if it has no header row, TooLarge past a limit.
    `known(header)`: whether a header text names a column."""
    raw = _xlsx_rows(data) if kind_of(data, content_type) == "xlsx" else _csv_rows(data)
    return _table(raw, known, max_rows)


def _table(raw: Iterable[Sequence], known: Callable[[str], bool], max_rows: int) -> Table:
    headers, rows = None, []
    for number, values in enumerate(raw, start=1):
        cells = tuple(text(v) for v in values)
        if headers is None:
            if sum(1 for c in cells if c and known(c)) >= 2:
                headers = cells
            elif number >= HEADER_SEARCH:
                break
            continue
        if not any(cells):
            continue
        if len(rows) >= max_rows:
            raise TooLarge(f"More than {max_rows:,} rows: split the file and import each part",
                           f"超过 {max_rows:,} 行：请拆分文件后分别导入")
        rows.append((number, cells))
    if headers is None:
        raise Invalid("No header row: the first row must name the columns (姓名, 身份证号, …)",
                      "未找到表头：第一行应为列名（姓名、身份证号……）",
                      fields={"file": ["No header row / 未找到表头"]})
    return Table(headers, tuple(rows))


def text(value) -> str:
    """One cell as text: dates as YYYY-MM-DD, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if not isinstance(value, (str, int, float)):  # an array formula: its text
        value = getattr(value, "text", None) or ""
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterable[Sequence]:
    from openpyxl import load_workbook
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise TooLarge(f"The workbook unpacks to more than {MAX_UNPACKED:,} bytes",
                           f"工作簿解压后超过 {MAX_UNPACKED:,} 字节")
        # data_only=False: a formula cell gives its formula's text, never a cached value.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read every row there is, whatever <dimension> claims
        rows = list(sheet.iter_rows(values_only=True))
        book.close()
        return rows
    except TooLarge:
        raise
    except Exception:  # not a zip, not a workbook: the user's file, not our fault
        raise Invalid("Not a readable XLSX workbook", "无法读取该 XLSX 工作簿",
                      fields={"file": ["Save it again as .xlsx or .csv / 请另存为 .xlsx 或 .csv"]}
                      ) from None


def _csv_rows(data: bytes) -> Iterable[Sequence]:
    """UTF-8 (with or without a byte-order mark) or GB18030, as Excel in China saves CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("The CSV file is neither UTF-8 nor GB18030 text",
                      "CSV 文件不是 UTF-8 或 GB18030 编码的文本",
                      fields={"file": ["Save it as CSV UTF-8 / 请另存为 CSV UTF-8"]})
    try:
        return list(csv.reader(io.StringIO(content, newline="")))
    except csv.Error:
        raise Invalid("Not a readable CSV file", "无法读取该 CSV 文件",
                      fields={"file": ["Save it again as CSV / 请重新另存为 CSV"]}) from None
