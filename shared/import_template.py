"""An import's template workbook: its Chinese headers, a sample row, choice lists. Pure.

    workbook("组织花名册", HEADERS, SAMPLE, choices={"社区": names}, text=("电话",),
             prompts={"党员": "是 / 否"})

Text columns are formatted as text (Excel would otherwise turn a phone number or an ID
number into 1.39E+10); a column with choices gets a drop-down list; a prompt shows when
a cell of its column is selected.
"""
from __future__ import annotations

import io
from typing import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

LAST_ROW = 5001


def workbook(title: str, headers: Sequence[str], sample: Mapping[str, str],
             choices: Mapping[str, Sequence[str]] = {}, text: Sequence[str] = (),
             prompts: Mapping[str, str] = {}) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(headers))
    sheet.append([sample.get(h, "") for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, 2 * len(header) + 4)
        if header in text:
            for row in range(2, LAST_ROW + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        cells = f"{letter}2:{letter}{LAST_ROW}"
        if choices.get(header):
            values = list(choices[header])
            rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                  allow_blank=True, showErrorMessage=True,
                                  errorTitle="请从列表中选择", error="只能填写：" + "、".join(values))
            rule.add(cells)
            sheet.add_data_validation(rule)
        elif prompts.get(header):
            rule = DataValidation(allow_blank=True, showInputMessage=True, promptTitle=header,
                                  prompt=prompts[header][:255])
            rule.add(cells)
            sheet.add_data_validation(rule)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
