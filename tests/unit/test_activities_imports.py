"""Organizations with their members, and volunteers, from real sheets (openpyxl writes
them here): each row checked as the API would, rows of one organization against each
other, and each row judged against the record (issue 22)."""
from __future__ import annotations

import io
from datetime import date
from itertools import count

import pytest
from openpyxl import Workbook, load_workbook

from shared import import_refused, import_sheet
from shared.kit.errors import Invalid
from services.activities import commands as c
from services.activities import import_run, imports
from services.activities.imports import KnownOrganization, KnownVolunteer

TODAY = date(2026, 12, 1)
COMMUNITIES = {"cm-1": "cm-1", "南明堂社区": "cm-1", "南明堂": "cm-1", "cm-2": "cm-2",
               "观风台社区": "cm-2", "观风台": "cm-2"}
ORG_HEADERS = ["组织名称", "社区", "类型", "负责人", "培育日期", "成员姓名", "党员", "加入日期"]
VOL_HEADERS = ["姓名", "电话", "社区", "所属组织", "登记日期"]


def xlsx(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table(kind, headers, rows):
    return import_sheet.read(xlsx(headers, rows), None, import_run.known_header(kind), 1000)


def organizations(rows, record=None):
    checked = imports.check_organizations(table("organizations", ORG_HEADERS, rows),
                                          COMMUNITIES, TODAY)
    columns = imports.Columns(imports.ORGANIZATION_COLUMNS, checked.headers)
    ids = count(1)
    verdicts = imports.judge_organizations(checked, record or {}, "st-1", "head",
                                           lambda: f"id-{next(ids)}", TODAY, columns)
    return checked, verdicts


def problems_by_row(checked) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for p in checked.problems:
        found.setdefault(p.row, set()).add(p.column)
        assert p.message and p.message_zh and p.message != p.message_zh
    return found


def test_an_organizations_rows_make_it_once_and_add_each_member():
    checked, verdicts = organizations([
        ["夕阳红舞蹈队", "南明堂社区", "广场舞", "张桂兰", "2024-03-01", "李秀珍", "是", "2024-03-08"],
        ["夕阳红舞蹈队", "", "", "", "", "王芳", "否", ""],
        ["书法社", "观风台", "书法", "", "", "", "", ""],
    ])
    assert checked.problems == ()
    first, second, third = (verdicts[n] for n in (2, 3, 4))
    incubate, join = first.commands
    assert isinstance(incubate, c.IncubateOrganization) and isinstance(join, c.JoinMember)
    assert (incubate.name, incubate.community_id, incubate.type, incubate.leader,
            incubate.incubated_on) == ("夕阳红舞蹈队", "cm-1", "dance", "张桂兰", date(2024, 3, 1))
    assert (join.organization_id, join.name, join.party_member, join.joined_on) == (
        incubate.organization_id, "李秀珍", True, date(2024, 3, 8))
    [join2] = second.commands   # the second row adds its member to the same organization
    assert (join2.organization_id, join2.name, join2.party_member, join2.joined_on) == (
        incubate.organization_id, "王芳", False, TODAY)
    [only] = third.commands
    assert isinstance(only, c.IncubateOrganization) and only.community_id == "cm-2"
    assert {v.kind for v in verdicts.values()} == {"new"}


def test_bad_organization_rows_are_refused_each_naming_its_column():
    checked, verdicts = organizations([
        ["夕阳红舞蹈队", "南明堂社区", "广场舞", "", "", "李秀珍", "是", ""],     # 2 good
        ["夕阳红舞蹈队", "观风台社区", "", "", "", "王芳", "否", ""],             # 3 other 社区
        ["读书会", "火星社区", "读书", "", "", "", "", ""],                        # 4 unknown 社区
        ["合唱团", "南明堂", "", "", "", "", "", ""],                              # 5 no 类型
        ["书法社", "南明堂", "书法", "", "2099-01-01", "", "", ""],                # 6 future
        ["棋社", "南明堂", "棋类", "", "2024-02-30", "", "", ""],                  # 7 not a date
        ["舞龙队", "南明堂", "舞龙", "", "", "赵六", "也许", ""],                  # 8 党员
        ["舞龙队", "", "", "", "", "", "是", ""],                                  # 9 党员 no name
        ["", "南明堂", "书法", "", "", "", "", ""],                                # 10 no name
        ["腰鼓队", "南明堂", "腰鼓", "", "", "孙七", "否", ""],                    # 11 twice
        ["腰鼓队", "", "", "", "", "孙七", "否", ""],                              # 12 twice
    ])
    assert problems_by_row(checked) == {
        3: {"社区"}, 4: {"社区"}, 5: {"类型"}, 6: {"培育日期"}, 7: {"培育日期"}, 8: {"党员"},
        9: {"成员姓名"}, 10: {"组织名称"}, 11: {"成员姓名"}, 12: {"成员姓名"}}
    assert [p.message_zh for p in checked.problems if p.row == 11] == ["与第 12 行为同一成员"]
    # a row joining an organization whose first row is refused is refused too
    checked, _ = organizations([["合唱团", "南明堂", "", "", "", "甲", "否", ""],
                                ["合唱团", "", "", "", "", "乙", "否", ""]])
    assert [(p.row, p.column) for p in checked.problems] == [(2, "类型"), (3, "组织名称")]
    assert checked.problems[1].message_zh == "该组织的第一行（第 2 行）未通过检查"
    assert set(verdicts) == {2}


def test_against_the_record_rows_are_unchanged_new_or_refused_never_overwriting():
    record = {"夕阳红舞蹈队": KnownOrganization("org-1", "cm-1", "dance", "filed",
                                             {"李秀珍": True}),
              "旧社团": KnownOrganization("org-2", "cm-1", "reading", "dissolved", {})}
    checked, verdicts = organizations([
        ["夕阳红舞蹈队", "南明堂社区", "广场舞", "", "", "李秀珍", "是", ""],     # unchanged
        ["夕阳红舞蹈队", "", "", "", "", "王芳", "否", ""],                        # new member
        ["夕阳红舞蹈队", "", "", "", "", "", "", ""],                              # unchanged
        ["旧社团", "南明堂", "读书", "", "", "周八", "否", ""],                    # dissolved
        ["另一队", "南明堂", "广场舞", "", "", "", "", ""],                        # new
    ], record)
    assert checked.problems == ()
    assert {n: v.kind for n, v in verdicts.items()} == {
        2: "unchanged", 3: "new", 4: "unchanged", 5: "refused", 6: "new"}
    [join] = verdicts[3].commands
    assert join.organization_id == "org-1" and join.name == "王芳"
    assert verdicts[5].problems[0].message_zh == "该组织已解散，不能加入成员"
    # the record's 社区 / 类型 / 党员 are not changed by a sheet
    _, verdicts = organizations([["夕阳红舞蹈队", "观风台", "广场舞", "", "", "", "", ""]], record)
    assert verdicts[2].kind == "refused" and verdicts[2].problems[0].column == "社区"
    _, verdicts = organizations([["夕阳红舞蹈队", "南明堂", "书法", "", "", "", "", ""]], record)
    assert verdicts[2].problems[0].column == "类型"
    _, verdicts = organizations([["夕阳红舞蹈队", "南明堂", "广场舞", "", "", "李秀珍", "否", ""]],
                                record)
    assert verdicts[2].kind == "refused" and verdicts[2].problems[0].column == "党员"


def test_volunteers_checked_and_judged_by_name_and_phone():
    rows = [
        ["陈志强", "13985000001", "南明堂社区", "夕阳红舞蹈队", "2024-05-01"],   # 2 unchanged
        ["刘洋", "13985000002", "", "", ""],                                      # 3 new
        ["刘洋", "13985000003", "观风台", "", ""],                               # 4 new (other phone)
        ["张伟", "13985000004", "", "", ""],                                      # 5 twice
        ["张伟", "13985000004", "", "", ""],                                      # 6 twice
        ["吴敏", "不是电话", "火星", "没有的组织", "2024-13-01"],                 # 7 four problems
        ["", "13985000005", "", "", ""],                                          # 8 no name
        ["陈志强", "13985000001", "观风台", "", ""],                              # 9 duplicate of 2
    ]
    checked = imports.check_volunteers(table("volunteers", VOL_HEADERS, rows[:-1]), COMMUNITIES,
                                       {"夕阳红舞蹈队": "org-1"}, TODAY)
    assert problems_by_row(checked) == {5: {"姓名"}, 6: {"姓名"},
                                        7: {"电话", "社区", "所属组织", "登记日期"}, 8: {"姓名"}}
    columns = imports.Columns(imports.VOLUNTEER_COLUMNS, checked.headers)
    record = {("陈志强", "13985000001"): KnownVolunteer("v-1", "cm-1", "org-1")}
    verdicts = imports.judge_volunteers(checked, record, "st-1", "head", lambda: "v-new", TODAY,
                                        columns)
    assert {n: v.kind for n, v in verdicts.items()} == {2: "unchanged", 3: "new", 4: "new"}
    [register] = verdicts[4].commands
    assert (register.name, register.phone, register.community_id, register.registered_on,
            register.actor) == ("刘洋", "13985000003", "cm-2", TODAY, "head")
    moved = imports.check_volunteers(table("volunteers", VOL_HEADERS, [rows[-1]]), COMMUNITIES,
                                     {}, TODAY)
    verdict = imports.judge_volunteers(moved, record, "st-1", "head", lambda: "x", TODAY,
                                       columns)[2]
    assert verdict.kind == "refused" and verdict.problems[0].column == "社区"


def test_a_formula_is_text_and_a_sheet_without_the_columns_is_refused_whole():
    checked, verdicts = organizations([['=HYPERLINK("http://x","点我")', "南明堂", "读书", "", "",
                                        "", "", ""]])
    [incubate] = verdicts[2].commands
    assert incubate.name == '=HYPERLINK("http://x","点我")'
    with pytest.raises(Invalid) as err:
        imports.check_organizations(table("organizations", ["组织名称", "成员姓名"],
                                          [["x", "y"]]), COMMUNITIES, TODAY)
    assert "社区" in err.value.message_zh and "类型" in err.value.message_zh


def test_the_templates_headers_read_back_as_the_columns_and_refused_rows_download():
    for kind, spec in import_run.SPECS.items():
        data = import_run.template(kind, ["南明堂社区"], ["夕阳红舞蹈队"])
        sheet = load_workbook(io.BytesIO(data)).active
        headers = [cell.value for cell in sheet[1]]
        assert headers == [zh for zh, _ in spec.values()]
        assert sheet.cell(row=2, column=headers.index("社区") + 1).value == "南明堂社区"
        read = import_sheet.read(data, None, import_run.known_header(kind), 10)
        assert read.headers[:len(headers)] == tuple(headers)
    checked, _ = organizations([["", "南明堂", "读书", "", "", "", "", ""]])
    report = import_run.Report(checked, {2: "refused"}, list(checked.problems), False, "x")
    sheet = load_workbook(io.BytesIO(import_refused.workbook(report))).active
    assert [cell.value for cell in sheet[1]][-2:] == ["问题", "原行号"]
    assert "组织名称" in sheet.cell(row=2, column=len(ORG_HEADERS) + 1).value
