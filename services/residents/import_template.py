"""The roster template (花名册导入模板): the import's columns, a sample row, choice lists. Pure.

Headers are the ones services.residents.imports reads; 身份证号, 电话 and 出生日期 are
text columns (Excel would otherwise turn an 18-digit number into 5.20102E+17); 性别 and
卡色 offer their choices as a drop-down list, 社区 too when the station is known (its
communities' names), 类别 shows its names as a prompt (several may be given, so no list).
"""
from __future__ import annotations

import io
from typing import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from services.residents import configuration
from services.residents.imports import COLUMNS

HEADERS = [zh for zh, _ in COLUMNS.values()]
LAST_ROW = 5001
SAMPLE = {"姓名": "王秀英", "身份证号": "520102193805021225", "性别": "女",
          "出生日期": "1938-05-02", "社区": "南明堂社区", "类别": "独居、低保",
          "电话": "13985000000", "住址": "南明堂社区 3 栋 2 单元", "卡色": "蓝",
          "备注": "示例行，导入前请删除 / sample row: delete it before importing"}
TEXT_COLUMNS = ("身份证号", "电话", "出生日期")


def workbook(communities: Sequence[str] = ()) -> bytes:
    """The template as XLSX bytes; `communities`: the station's community names, if known."""
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(HEADERS)
    sample = dict(SAMPLE, 社区=communities[0] if communities else SAMPLE["社区"])
    sheet.append([sample[h] for h in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(HEADERS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24 if header in ("身份证号", "住址", "类别") else 12
        if header in TEXT_COLUMNS:
            for row in range(2, LAST_ROW + 1):
                sheet.cell(row=row, column=index).number_format = "@"
    _choices(sheet, "性别", ["男", "女"])
    _choices(sheet, "卡色", ["红", "蓝", "绿"])
    if communities:
        _choices(sheet, "社区", list(communities))
    names = "、".join(e["name_zh"] for e in configuration.settings().categories.entries)
    _prompt(sheet, "类别", f"可填多个，用“、”分隔：{names}")
    _prompt(sheet, "身份证号", "18 位，末位可为 X；出生日期与性别须与身份证号一致")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _range(header: str) -> str:
    letter = get_column_letter(HEADERS.index(header) + 1)
    return f"{letter}2:{letter}{LAST_ROW}"


def _choices(sheet, header: str, values: list[str]) -> None:
    rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                          showErrorMessage=True, errorTitle="请从列表中选择",
                          error="只能填写：" + "、".join(values))
    rule.add(_range(header))
    sheet.add_data_validation(rule)


def _prompt(sheet, header: str, text: str) -> None:
    rule = DataValidation(allow_blank=True, showInputMessage=True, promptTitle=header,
                          prompt=text[:255])
    rule.add(_range(header))
    sheet.add_data_validation(rule)
