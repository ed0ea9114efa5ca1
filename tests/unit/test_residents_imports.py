"""The roster import's pure part (issue 22): real XLSX and CSV files written in the test,
read as data, each row checked by the registration's rules, and judged against a record."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook, load_workbook

from services.residents import commands as c
from services.residents import configuration, handlers, import_template, imports, org
from services.residents.import_run import Report
from shared import import_refused, import_sheet
from services.residents.resident import Resident

from tests.support.rosters import BAD, HEADERS, STATION, csv_bytes, person, roster, xlsx

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
TREE = org.fold(org.seed_events(configuration.org_seed()))
POLICY = handlers.policy_for(TREE, STATION)


def check(data: bytes, content_type: str | None = None) -> imports.Checked:
    table = import_sheet.read(data, content_type, imports.known_header, 10_000)
    return imports.check_table(table, TREE, STATION, POLICY, NOW)


def named(checked: imports.Checked) -> dict[int, str]:
    return {p.row: p.column for p in checked.problems}


@pytest.mark.parametrize("write", [xlsx, csv_bytes, lambda rows: csv_bytes(rows, "gb18030")],
                         ids=["xlsx", "csv utf-8", "csv gb18030"])
def test_a_300_row_file_refuses_each_bad_row_naming_its_row_and_column(write):
    rows, bad = roster(300)
    checked = check(write(rows))
    assert checked.total == 300
    assert named(checked) == bad
    assert len(checked.rows) == 300 - len(bad)
    for problem in checked.problems:   # both languages, each in its own field
        assert problem.message and problem.message_zh and problem.message != problem.message_zh
    assert len(BAD) >= 12 and set(bad.values()) >= {"身份证号", "性别", "出生日期", "社区", "类别"}


def test_rows_sharing_an_id_number_are_both_refused_each_naming_the_other():
    rows, _ = roster(300)
    doubled = [p for p in check(xlsx(rows)).problems if p.row in (152, 153)]
    assert {(p.row, p.message_zh) for p in doubled} == {(152, "与第 153 行身份证号相同"),
                                                       (153, "与第 152 行身份证号相同")}


def test_a_formula_is_read_as_its_text_never_evaluated():
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    good = person(1)
    sheet.append([{**good, "姓名": '=HYPERLINK("http://x.example","王")'}[h] for h in HEADERS])
    sheet.append([{**person(2), "身份证号": "=SUM(1,2)"}[h] for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    assert load_workbook(io.BytesIO(out.getvalue()))["Sheet"]["A2"].data_type == "f"

    checked = check(out.getvalue())
    [kept] = checked.rows
    assert kept.name == '=HYPERLINK("http://x.example","王")'   # a name, stored as written
    assert named(checked) == {3: "身份证号"}


def test_headers_in_english_and_in_any_order_with_a_title_row_above():
    good = person(3)
    book = Workbook()
    sheet = book.active
    sheet.append(["西湖路街道重点对象花名册"])
    fields = ["id_number", "name", "community", "birth_date", "gender", "categories"]
    sheet.append(fields)
    sheet.append([good["身份证号"], good["姓名"], "南明堂", date(int(good["出生日期"][:4]),
                  int(good["出生日期"][5:7]), int(good["出生日期"][8:])), "male" if good["性别"] == "男"
                  else "female", "living_alone,低保"])
    out = io.BytesIO()
    book.save(out)
    [row] = check(out.getvalue()).rows
    assert (row.number, row.community_id, row.categories) == (3, "nanmingtang",
                                                              ("living_alone", "low_income"))


def test_a_file_without_the_required_columns_is_refused_whole():
    with pytest.raises(imports.Invalid) as caught:
        check(csv_bytes([person(1)], headers=["姓名", "电话"]))
    assert "身份证号" in caught.value.message_zh


def test_too_many_rows_is_too_large():
    rows = [person(i) for i in range(30)]
    with pytest.raises(import_sheet.TooLarge):
        import_sheet.read(csv_bytes(rows), "text/csv", imports.known_header, 20)


# -- a row against the record ----------------------------------------------------------------

def row_of(data: dict) -> imports.Row:
    checked = check(xlsx([data]))
    assert not checked.problems, checked.problems
    return checked.rows[0]


def recorded(row: imports.Row, station_id: str = STATION, card: str | None = None) -> Resident:
    return Resident(id="r1", station_id=station_id, community_id=row.community_id, name=row.name,
                    gender=row.gender, birth_date=row.birth_date.isoformat(),
                    id_number=row.id_number, phone=row.phone, address=row.address,
                    categories=tuple(sorted(row.categories or ())), card=card)


def judge(row, state):
    return imports.judge(row, state, STATION, "new-id", "digest", "head", "station_head",
                         imports.Columns(HEADERS))


def test_a_new_person_is_registered_with_the_card_as_the_importers_override():
    row = row_of({**person(4), "卡色": "红"})
    verdict = judge(row, None)
    register, override = verdict.commands
    assert verdict.kind == "new" and isinstance(register, c.RegisterResident)
    assert (register.id_digest, register.actor) == ("digest", "head")
    assert isinstance(override, c.OverrideCard)
    assert (override.card, override.role, override.reason) == ("red", "station_head",
                                                              imports.IMPORT_REASON)


def test_an_agreeing_row_is_unchanged_and_a_differing_one_updated_by_correction_commands():
    row = row_of({**person(5), "卡色": ""})
    assert judge(row, recorded(row)).kind == "unchanged"
    moved = row_of({**person(5), "社区": "观风台社区", "电话": "13800000000", "卡色": ""})
    verdict = judge(moved, recorded(row))
    assert verdict.kind == "updated"
    move, update = verdict.commands
    assert isinstance(move, c.MoveResident) and move.community_id == "guanfengtai"
    assert isinstance(update, c.UpdateResident) and update.changes == {"phone": "13800000000"}


def test_empty_optional_cells_keep_what_the_record_says():
    row = row_of(person(6))
    blank = row_of({**person(6), "电话": "", "住址": "", "类别": "", "卡色": ""})
    assert judge(blank, recorded(row, card="blue")).kind == "unchanged"


def test_a_person_of_another_station_is_refused_without_naming_it():
    row = row_of(person(7))
    verdict = judge(row, recorded(row, station_id="zh-station"))
    [problem] = verdict.problems
    assert verdict.kind == "refused" and problem.column == "身份证号"
    assert "zh-station" not in problem.message + problem.message_zh


def test_a_card_differing_from_the_records_is_refused_not_overridden():
    row = row_of({**person(8), "卡色": "绿"})
    verdict = judge(row, recorded(row, card="red"))
    assert verdict.kind == "refused" and verdict.problems[0].column == "卡色"
    assert judge(row_of({**person(8), "卡色": "红"}), recorded(row, card="red")).kind == "unchanged"


# -- the template and the refused rows' workbook ----------------------------------------------

def test_the_templates_sample_row_imports_cleanly_and_it_offers_choice_lists():
    data = import_template.workbook(["南明堂社区", "观风台社区"])
    checked = check(data)
    assert checked.total == 1 and not checked.problems
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == HEADERS
    lists = {v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert {'"男,女"', '"红,蓝,绿"', '"南明堂社区,观风台社区"'} <= lists


def test_the_refused_rows_come_back_as_text_with_a_problem_column():
    rows, bad = roster(300)
    checked = check(xlsx(rows))
    report = Report(checked, {}, list(checked.problems), True, "x")
    sheet = load_workbook(io.BytesIO(import_refused.workbook(report))).active
    assert [c.value for c in sheet[1]] == [*HEADERS, "问题", "原行号"]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [int(r[-1]) for r in body] == sorted(bad)
    formula_row = next(r for r in body if r[1] == "=A1&B1")
    assert "身份证号" in formula_row[-2]
    assert all(cell.data_type == "s" for cell in sheet["B"])   # never a formula again
