"""Must show (issue 21), the workbench's other roles as the people they are for would use
it: `station up` with the small demo, Debian's chromium (Playwright) on a 1360×900 desktop
and, for the station head's 周报, on a phone (390×844). The station head's weekly report is
drafted from reporting's figures, its summary edited and submitted; the street returns it
with a reason, the station head sees the reason and submits it again on the phone. The
weekly meeting is recorded; a suggestion of the five-level chain is proposed and its answer
recorded. The supervisor records the month's supervision. The street leader finds last
week's report in 待审报表 by its name and accepts it on its page; the district accepts the
street's roll-up, and its page asks for the list (no 404 probing, no console error). A
second device changes the card of the resident a first device changed offline: on sync
the first is refused with the server's words and kept to fix or discard, the card stays
the second's. Each outcome is read back through the API; axe-core finds no serious or
critical violation on any of these pages."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest

from tests.conftest import free_port  # noqa: F401
from tests.e2e.demo_station import demo_station
from tests.e2e.test_dashboard_browser import LOCAL, STATION, Http, _scratch_broker_and_database
from tests.e2e.test_workbench_browser import PHONE, _axe, _go, _login, _ready, _shot, browser  # noqa: F401

# `station up` with the demo takes about a minute and a half on an idle machine; on a
# shared one under load (CI beside other runs) over five: the module's first test, which
# bears the fixture, gets more than pytest's default 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.whole_station, pytest.mark.timeout(900)]

DESKTOP = {"width": 1360, "height": 900}
STREET, DISTRICT = "xihulu", "nanming"


def _week_key(day) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_name(key: str) -> str:
    year, week = key.split("-W")
    return f"{year}年第{int(week)}周"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """`station up --demo-scale 0.05` (last week's report of each station submitted to its
    street, not yet accepted), and last month's station report accepted by the street and
    the street's roll-up of that month submitted to the district."""
    with demo_station(tmp_path_factory, "roles", "0.05") as up:
        port, data, logins = up.port, up.data, up.logins
        users = {name: Http(port, name, logins[name])
                 for name in ("demo-head", "demo-street", "demo-district", "demo-supervisor")}
        today = datetime.now(LOCAL).date()
        month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        monthly = users["demo-head"].ok("POST", f"/api/v1/reports/stations/{STATION}/reports",
                                        {"period": month, "summary": "上月工作小结"})["id"]
        users["demo-street"].ok("POST", f"/api/v1/reports/submissions/{monthly}/accept", {})
        rollup = users["demo-street"].ok("POST", f"/api/v1/reports/streets/{STREET}/reports",
                                         {"period": month, "summary": "街道月度汇总"})["id"]
        residents = users["demo-head"].ok(
            "GET", f"/api/v1/residents?station_id={STATION}&page_size=500")["items"]
        yield {"port": port, "logins": logins, "users": users, "today": today, "month": month,
               "rollup": rollup, "residents": residents, "output": up.output,
               "url": f"http://127.0.0.1:{port}/dashboard/"}


def _report(live, report_id: str) -> dict:
    return live["users"]["demo-street"].ok("GET", f"/api/v1/reports/submissions/{report_id}")


def test_the_end_screen_names_the_workbench_and_the_account_to_try_first(live):
    port, screen = live["port"], live["output"]
    assert f"workbench / 工作台: http://127.0.0.1:{port}/dashboard/ (try demo-worker first" in screen
    assert f"站长 周报 http://127.0.0.1:{port}/dashboard/#/weekly" in screen
    assert f"workbench / 工作台: http://127.0.0.1:{port}/dashboard/\n" in screen   # `station up`'s own
    worker = next(line for line in screen.splitlines() if line.strip().startswith("demo-worker "))
    password = worker.split()[1]
    assert Http(port, "demo-worker", password).ok("GET", "/api/v1/org")["districts"]   # as printed


def test_the_weekly_report_is_drafted_edited_submitted_returned_and_resubmitted_on_a_phone(
        browser, live):
    week = _week_key(live["today"])
    report_id = f"station-{STATION}-{week}"
    head = live["users"]["demo-head"]
    draft = head.ok("GET", f"/api/v1/reports/stations/{STATION}/weekly/{week}/draft")
    page = _login(browser, live, "demo-head", viewport=DESKTOP, bypass_csp=True)
    page.locator("#nav").get_by_role("link", name="周报").click()
    _ready(page)
    assert page.url.endswith("#/weekly")
    assert page.inner_text("#weekly-title") == f"西湖路街道社工站 · {_week_name(week)}"
    shown = dict(page.eval_on_selector_all(
        "#weekly-figures tr", "rs => rs.map(r => [r.cells[0].textContent, r.cells[1].textContent])"))
    assert shown["探访"] == str(draft["figures"]["visits"]["total"])
    assert shown["服务人次"] == str(draft["figures"]["activities"]["person_times"])
    assert page.get_by_label("工作小结").input_value() == draft["summary"]   # drafted by reporting
    assert _axe(page) == []
    marker = uuid.uuid4().hex[:6]
    page.get_by_label("工作小结").fill(f"本周入户探访，走访独居老人 {marker}")
    page.get_by_label("下步计划").fill("下周继续走访")
    page.get_by_role("button", name="提交").click()
    page.locator("#weekly-done").wait_for()
    assert "已提交" in page.inner_text("#weekly-state")
    sent = _report(live, report_id)
    assert (sent["status"], sent["summary"], sent["plan"], sent["submitted_by"]) == \
        ("submitted", f"本周入户探访，走访独居老人 {marker}", "下周继续走访", "demo-head")
    assert page.errors == []

    # the street returns it with a reason, from its own 待审报表
    street = _login(browser, live, "demo-street", viewport=DESKTOP)
    street.locator("#nav").get_by_role("link", name="待审报表").click()
    _ready(street)
    street.get_by_role("link", name=f"西湖路街道社工站 · {_week_name(week)}").click()
    street.wait_for_url(f"**#/reports/{report_id}")
    _ready(street)
    street.get_by_label("意见").fill("请补充走访户数")
    street.get_by_role("button", name="退回").click()
    street.get_by_text("已退回").first.wait_for()
    returned = _report(live, report_id)
    assert returned["status"] == "returned" and returned["trail"][-1]["note"] == "请补充走访户数"
    assert street.errors == []
    street.context.close()
    page.context.close()

    # the station head, on the phone, sees the reason and submits it again
    phone = _login(browser, live, "demo-head", viewport=PHONE, bypass_csp=True)
    _go(phone, "#/weekly")
    assert phone.inner_text("#return-reason") == "退回理由：请补充走访户数"
    assert phone.get_by_label("工作小结").input_value() == f"本周入户探访，走访独居老人 {marker}"
    assert _axe(phone) == []
    _shot(phone, "workbench-weekly-phone.png")
    phone.get_by_label("工作小结").fill(f"本周入户探访 12 户，走访独居老人 {marker}")
    phone.get_by_role("button", name="提交").click()
    phone.locator("#weekly-done").wait_for()
    again = _report(live, report_id)
    assert (again["status"], again["revision"], again["summary"]) == \
        ("submitted", 2, f"本周入户探访 12 户，走访独居老人 {marker}")
    assert phone.locator("#weekly-recent li[data-status=submitted]").first.inner_text() \
        .startswith(_week_name(week))
    assert phone.errors == []
    phone.context.close()


def test_the_station_head_records_the_weekly_meeting_and_answers_a_suggestion(browser, live):
    head = live["users"]["demo-head"]
    marker = uuid.uuid4().hex[:6]
    page = _login(browser, live, "demo-head", viewport=DESKTOP, bypass_csp=True)
    page.locator("#nav").get_by_role("link", name="周例会").click()
    _ready(page)
    assert page.get_by_label("周次").input_value() == _week_key(live["today"])
    assert _axe(page) == []
    page.get_by_label("参会人员（用顿号或逗号分隔）").fill("demo-head、demo-worker、demo-supervisor")
    page.get_by_label("会议纪要").fill(f"回顾本周个案，安排下周活动 {marker}")
    page.get_by_role("button", name="提交").click()
    page.locator("#meetings li", has_text=marker).wait_for()
    chain = head.ok("GET", f"/api/v1/reports/stations/{STATION}/chain")
    minutes = [m for m in chain["meetings"] if marker in m["text"]]
    assert [(m["kind"], m["period_key"], m["lead"]) for m in minutes] == \
        [("minutes", _week_key(live["today"]), "demo-head")]

    page.locator("#nav").get_by_role("link", name="五级联动").click()
    _ready(page)
    assert page.get_by_label("建议对象").input_value() == "西湖路街道"
    assert _axe(page) == []
    page.get_by_label("建议内容").fill(f"增设社区长者食堂 {marker}")
    page.get_by_role("button", name="提交").click()
    group = page.get_by_role("group", name=f"增设社区长者食堂 {marker}")
    group.wait_for()
    assert group.get_attribute("data-state") == "proposed"
    group.get_by_role("button", name="记录答复").click()
    group.get_by_label("答复结果").select_option(label="已采纳")
    group.get_by_label("意见").fill("街道已安排选址")
    group.get_by_role("button", name="提交").click()
    page.wait_for_function(
        "m => [...document.querySelectorAll('#suggestions [role=group]')].some(l => l.textContent.includes(m)"
        " && l.dataset.state === 'adopted')", arg=marker)
    found = [x for x in head.ok("GET", f"/api/v1/reports/stations/{STATION}/chain")["suggestions"]
             if marker in x["title"]]
    assert [(x["state"], x["comment"], x["addressed_to"]) for x in found] == \
        [("adopted", "街道已安排选址", "西湖路街道")]
    assert page.errors == []
    page.context.close()


def test_the_supervisor_records_the_months_supervision(browser, live):
    marker = uuid.uuid4().hex[:6]
    page = _login(browser, live, "demo-supervisor", viewport=DESKTOP, bypass_csp=True)
    page.locator("#nav").get_by_role("link", name="督导记录").click()
    _ready(page)
    month = live["today"].strftime("%Y-%m")
    assert page.get_by_label("月份").input_value() == month
    assert _axe(page) == []
    page.get_by_label("督导内容").fill(f"个案督导：独居老人照护计划 {marker}")
    page.get_by_role("button", name="提交").click()
    page.locator("#supervisions li", has_text=marker).wait_for()
    chain = live["users"]["demo-head"].ok(
        "GET", f"/api/v1/reports/stations/{STATION}/chain?period={live['today'].year}")
    records = [m for m in chain["meetings"] if marker in m["text"]]
    assert [(m["kind"], m["period_key"], m["lead"]) for m in records] == \
        [("supervision", month, "demo-supervisor")]
    assert page.errors == []
    page.context.close()


def test_the_street_leader_accepts_last_weeks_report_opened_by_its_name(browser, live):
    week = _week_key(live["today"] - timedelta(days=7))
    report_id = f"station-{STATION}-{week}"
    assert _report(live, report_id)["status"] == "submitted"    # the demo's, waiting
    page = _login(browser, live, "demo-street", viewport=DESKTOP, bypass_csp=True)
    _go(page, "#/inbox")
    assert _axe(page) == []
    inbox = page.inner_text("#inbox")
    assert f"西湖路街道社工站 · {_week_name(week)}" in inbox and "station-" not in inbox
    page.get_by_role("link", name=f"西湖路街道社工站 · {_week_name(week)}").click()
    page.wait_for_url(f"**#/reports/{report_id}")
    _ready(page)
    assert page.inner_text("#report-title") == f"西湖路街道社工站 · {_week_name(week)}"
    assert _axe(page) == []
    _shot(page, "workbench-report-street.png")
    page.get_by_label("意见").fill("已阅，同意")
    page.get_by_role("button", name="通过").click()
    page.get_by_text("已通过").first.wait_for()
    accepted = _report(live, report_id)
    assert (accepted["status"], accepted["trail"][-1]["by"], accepted["trail"][-1]["note"]) == \
        ("accepted", "demo-street", "已阅，同意")
    assert page.errors == []
    page.context.close()


def test_the_district_asks_for_its_list_and_accepts_the_streets_roll_up(browser, live):
    page = _login(browser, live, "demo-district", viewport=DESKTOP, bypass_csp=True)
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    _go(page, f"#/district/{DISTRICT}")
    page.reload()                            # the page as it opens, every request watched
    _ready(page)
    month = live["month"]
    row = page.locator("#awaiting-table tbody tr").filter(
        has=page.locator(f"a[href='#/reports/{live['rollup']}']"))
    year, number = month.split("-")
    assert row.locator("td").first.inner_text() == f"西湖路街道 · {year}年{int(number)}月"
    assert page.errors == [] and failed == []            # no console error, no 404 probing
    _go(page, f"#/street/{STREET}")
    assert page.errors == [] and failed == []
    _go(page, "#/inbox")
    assert _axe(page) == []
    page.get_by_role("link", name=f"西湖路街道 · {year}年{int(number)}月").click()
    page.wait_for_url(f"**#/reports/{live['rollup']}")
    _ready(page)
    page.get_by_role("button", name="通过").click()
    page.get_by_text("已通过").first.wait_for()
    assert _report(live, live["rollup"])["status"] == "accepted"
    assert page.errors == [] and failed == []
    page.context.close()


def test_a_card_changed_offline_and_meanwhile_on_a_second_device_is_shown_as_a_conflict(
        browser, live):
    resident = next(r for r in live["residents"] if r["card"] == "green" and not set(
        r["categories"]) & {"child_in_difficulty", "left_behind_child"})
    head = live["users"]["demo-head"]
    before = head.ok("GET", f"/api/v1/residents/{resident['id']}")
    first = _login(browser, live, "demo-supervisor", viewport=PHONE, bypass_csp=True)
    _go(first, f"#/card/{resident['id']}")
    first.context.set_offline(True)                # in the resident's home, no signal
    first.get_by_label("新卡别").select_option(label="红卡")
    first.get_by_label("调整理由").fill("独居且近期住院")
    first.get_by_role("button", name="提交").click()
    first.wait_for_url("**#/outbox")
    _ready(first)
    assert first.inner_text("#sync-status") == "待同步 1"

    second = _login(browser, live, "demo-head", viewport=DESKTOP)
    _go(second, f"#/residents/{resident['id']}")   # from the resident's page, by its link
    second.get_by_role("link", name="调整卡色").click()
    second.wait_for_url(f"**#/card/{resident['id']}")
    _ready(second)
    second.get_by_label("新卡别").select_option(label="蓝卡")
    second.get_by_label("调整理由").fill("复评后调整")
    second.get_by_role("button", name="提交").click()
    second.wait_for_url(f"**#/residents/{resident['id']}")
    changed = head.ok("GET", f"/api/v1/residents/{resident['id']}")
    assert changed["card"] == "blue" and changed["version"] > before["version"]
    assert second.errors == []
    second.context.close()

    # the server's own words for the stale change, asked for directly (a refusal writes nothing)
    status, refusal = head.call("POST", f"/api/v1/residents/{resident['id']}/card-override",
                                {"card": "red", "reason": "x", "version": before["version"]})
    assert status == 409
    first.context.set_offline(False)
    first.wait_for_function(
        "() => document.getElementById('sync-status').textContent === '同步被拒 1'", timeout=60_000)
    _ready(first)
    refused = first.locator("#outbox-items li[data-state=refused]")
    assert refusal["error"]["message_zh"] in refused.inner_text()
    assert _axe(first) == []
    first.locator("#lang-toggle").click()            # the same, in English
    _ready(first)
    assert refusal["error"]["message"] in first.locator(
        "#outbox-items li[data-state=refused]").inner_text()
    first.locator("#lang-toggle").click()
    _ready(first)
    after = head.ok("GET", f"/api/v1/residents/{resident['id']}")
    assert (after["card"], after["version"]) == ("blue", changed["version"])   # not last-write-wins
    first.locator("#outbox-items li[data-state=refused]").get_by_role("button", name="放弃").click()
    first.wait_for_function("() => Outbox.list().then(l => l.length === 0)")
    assert head.ok("GET", f"/api/v1/residents/{resident['id']}")["card"] == "blue"
    assert [e for e in first.errors if "409" not in e] == []   # the browser logs the refused POST
    first.context.close()


def _roster(tmp_path, name: str, rows: list[dict]) -> str:
    """A roster the way a station keeps it: an XLSX with the template's Chinese headers."""
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    headers = ["姓名", "身份证号", "性别", "出生日期", "社区", "类别", "电话"]
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    path = tmp_path / name
    book.save(path)
    return str(path)


def test_the_station_head_checks_a_roster_fixes_the_refused_row_and_imports_it(
        browser, live, tmp_path):
    """花名册导入: 检查 writes nothing and names the bad row; the refused rows come back as
    a workbook with a 问题 column; the fixed sheet imports; importing it again adds none."""
    import openpyxl
    from tests.e2e.test_dashboard_browser import _id_number
    head = live["users"]["demo-head"]
    community = head.ok("GET", "/api/v1/org")["districts"][0]["streets"][0]["stations"][0][
        "communities"][0]["name"]
    tag = uuid.uuid4().hex[:4]
    good = {"姓名": f"导入测试{tag}", "身份证号": _id_number(int(tag, 16) % 40 + 1), "性别": "女",
            "出生日期": "1950-05-05", "社区": community, "类别": "独居", "电话": "13800000000"}
    bad = {**good, "姓名": f"错号{tag}", "身份证号": good["身份证号"][:-1] + (
        "0" if good["身份证号"][-1] != "0" else "1")}
    before = head.ok("GET", f"/api/v1/residents?station_id={STATION}&page_size=1")["total"]

    page = _login(browser, live, "demo-head", viewport=DESKTOP, bypass_csp=True)
    page.get_by_role("link", name="花名册导入").click()
    _ready(page)
    page.get_by_label("文件（XLSX 或 CSV）").set_input_files(_roster(tmp_path, "a.xlsx", [good, bad]))
    page.get_by_role("button", name="检查").click()
    page.wait_for_selector("#import-errors")
    counts = {k: page.inner_text(f'[data-count="{k}"]') for k in ("rows", "new", "refused")}
    assert counts == {"rows": "2", "new": "1", "refused": "1"}
    problem = page.inner_text("#import-errors tbody tr")
    assert problem.startswith("3") and "身份证号" in problem        # the sheet's row 3
    assert page.locator("#import-confirm").count() == 0           # not with a refused row
    assert head.ok("GET", f"/api/v1/residents?station_id={STATION}&page_size=1")["total"] == before
    assert _axe(page) == []
    with page.expect_download() as got:
        page.get_by_role("button", name="下载问题行（XLSX）").click()
    assert got.value.suggested_filename == "花名册导入问题.xlsx"
    got.value.save_as(tmp_path / "refused.xlsx")
    refused = openpyxl.load_workbook(tmp_path / "refused.xlsx").active
    header = [c.value for c in refused[1]]
    assert "问题" in header and refused.max_row == 2
    assert refused.cell(2, header.index("姓名") + 1).value == bad["姓名"]

    page.get_by_label("文件（XLSX 或 CSV）").set_input_files(_roster(tmp_path, "b.xlsx", [good]))
    page.get_by_role("button", name="检查").click()
    page.wait_for_selector("#import-confirm")
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector("#import-done")
    after = head.ok("GET", f"/api/v1/residents?station_id={STATION}&page_size=1")["total"]
    assert after == before + 1
    page.get_by_role("button", name="检查").click()                 # the same sheet again
    page.wait_for_function(
        "() => document.querySelector('[data-count=\"unchanged\"]')?.textContent === '1'")
    assert page.inner_text('[data-count="new"]') == "0"
    assert page.errors == []
    page.context.close()
