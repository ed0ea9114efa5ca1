"""Roster files for the import's tests, written by openpyxl (XLSX) or csv (CSV) in the test.

    rows, bad = roster(300)         # good rows, then one bad row of each kind (BAD)
    data = xlsx(rows)               # bytes of a real workbook (header row 1)
    data = csv_bytes(rows, "gb18030")

`bad` maps each bad row's sheet row number to the column the report must name. Good rows
have distinct, valid ID numbers whose birth date and gender agree with the row.
"""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from services.residents.idnumber import check_char

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "社区", "类别", "电话", "住址", "卡色", "备注"]
STATION, COMMUNITY = "xihulu-station", "南明堂社区"


def id_number(birth: str, seq: str, region: str = "520102") -> str:
    return region + birth + seq + check_char(region + birth + seq)


def person(i: int, region: str = "520102") -> dict:
    """The i-th good row: born 1930-1989, a distinct ID number, every column filled."""
    year, month, day = 1930 + i % 60, 1 + i % 12, 1 + i % 28
    birth, seq = f"{year}{month:02d}{day:02d}", f"{i % 1000:03d}"
    return {"姓名": f"居民{i}", "身份证号": id_number(birth, seq, region),
            "性别": "男" if int(seq[-1]) % 2 else "女", "出生日期": f"{year}-{month:02d}-{day:02d}",
            "社区": COMMUNITY, "类别": "独居、低保", "电话": f"139850{i:05d}",
            "住址": f"南明堂社区 {i} 栋", "卡色": ["红", "蓝", "绿", ""][i % 4], "备注": ""}


def _broken_id(row: dict) -> dict:
    number = row["身份证号"]
    return {**row, "身份证号": number[:-1] + ("1" if number[-1] != "1" else "2")}


def _other_gender(row: dict) -> dict:
    return {**row, "性别": "女" if row["性别"] == "男" else "男"}


# kind -> (how a good row is spoilt, the column the report names)
BAD = {
    "check digit": (_broken_id, "身份证号"),
    "gender against the ID": (_other_gender, "性别"),
    "birth date against the ID": (lambda r: {**r, "出生日期": "1901-01-01"}, "出生日期"),
    "not a date": (lambda r: {**r, "出生日期": "去年"}, "出生日期"),
    "community of no station of ours": (lambda r: {**r, "社区": "不存在社区"}, "社区"),
    "unknown category": (lambda r: {**r, "类别": "独居、外星人"}, "类别"),
    "高龄 under 80": (lambda r: {**r, "类别": "高龄"}, "类别"),
    "name missing": (lambda r: {**r, "姓名": ""}, "姓名"),
    "phone malformed": (lambda r: {**r, "电话": "call me"}, "电话"),
    "card unknown": (lambda r: {**r, "卡色": "紫"}, "卡色"),
    "gender unknown": (lambda r: {**r, "性别": "未知"}, "性别"),
    "a formula for an ID number": (lambda r: {**r, "身份证号": "=A1&B1"}, "身份证号"),
}


def roster(size: int, start: int = 0) -> tuple[list[dict], dict[int, str]]:
    """`size` rows: good ones, with one bad row of each kind of BAD and one pair of rows
    sharing an ID number among them. Returns the rows and {sheet row: column named}."""
    rows = [person(start + i) for i in range(size)]
    bad = {}
    for k, (kind, (spoil, column)) in enumerate(BAD.items()):
        index = 10 + 7 * k
        rows[index] = spoil(rows[index])
        bad[index + 2] = column
    first, second = 150, 151
    rows[second] = {**rows[second], "身份证号": rows[first]["身份证号"], "性别": rows[first]["性别"],
                    "出生日期": rows[first]["出生日期"]}
    bad[first + 2] = bad[second + 2] = "身份证号"
    return rows, bad


def xlsx(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[dict], encoding: str = "utf-8-sig", headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue().encode(encoding)
