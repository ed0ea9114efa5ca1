"""Must show (issue 21), as the people it is for would: `station up` with the small demo,
then Debian's chromium (Playwright) on a phone (390×844): the social worker lands on
今日工作 (Red first), registers a resident (the ID's check digit checked on the device, the
server's field errors by their fields), opens the resident's page (a reason asked for a
Red card), records a visit; records three visits and an attendance sheet with no network,
reloads while offline (still 待同步 4), goes online and each reaches the reporting
figures exactly once; a refused sync is kept with the server's words; logging out clears
the device. The supervisor approves and sends back on 待审批. axe-core finds no serious or
critical violation on any workbench page. Screenshots go to docs/screenshots/."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from station.dashboard import STATIC
from tests.conftest import free_port  # noqa: F401
from tests.e2e.demo_station import demo_station
from tests.e2e.test_dashboard_browser import (CHROMIUM, LOCAL, SHOTS, STATION, Http,
                                              _id_number, _scratch_broker_and_database)

pytestmark = [pytest.mark.e2e, pytest.mark.whole_station, pytest.mark.timeout(900)]

PHONE = {"width": 390, "height": 844}
AXE = STATIC / "vendor" / "axe-core-4.14.1.min.js"


def _wait(check, what: str, seconds: float = 90.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """`station up --demo-scale 0.05`, and a case of the worker's waiting for the
    supervisor's approval of its plan (two: one to approve, one to send back)."""
    with demo_station(tmp_path_factory, "workbench", "0.05") as up:
        port, data, logins = up.port, up.data, up.logins
        try:
            worker = Http(port, "demo-worker", logins["demo-worker"])
            residents = worker.ok("GET", f"/api/v1/residents?station_id={STATION}&page_size=500")["items"]
            plans = []
            for n in range(2):
                resident = worker.ok("POST", "/api/v1/residents", {
                    "station_id": STATION, "community_id": "nanmingtang", "name": f"待审{n}号",
                    "gender": "female", "birth_date": "1950-05-05", "id_number": _id_number(40 + n),
                    "categories": ["living_alone"]})["id"]
                # at once: casework waits for the registration's events itself (issue 20, item 1)
                case = worker.ok("POST", "/api/v1/cases", {
                    "resident_id": resident, "domain": "elderly", "problem": "独居老人需要照护"})["id"]
                worker.ok("POST", f"/api/v1/cases/{case}/assessment", {"summary": "需要上门照护"})
                worker.ok("POST", f"/api/v1/cases/{case}/plan", {"goals": ["每周探访一次"]})
                worker.ok("POST", f"/api/v1/cases/{case}/plan/approval", {})
                plans.append(case)
            held = (datetime.now(LOCAL) - timedelta(hours=1)).replace(microsecond=0)
            activity = worker.ok("POST", "/api/v1/activities", {
                "station_id": STATION, "community_id": "nanmingtang", "area": "culture",
                "title": "书法课堂", "held_at": held.isoformat()})["id"]
            head = Http(port, "demo-head", logins["demo-head"])
            week = datetime.now(LOCAL).date().isocalendar()
            report = head.ok("POST", f"/api/v1/reports/stations/{STATION}/reports",
                             {"period": f"{week[0]}-W{week[1]:02d}", "summary": "本周入户探访",
                              "plan": "下周继续"})["id"]
            yield {"port": port, "logins": logins, "worker": worker, "residents": residents,
                   "plans": plans, "report": report, "week": week, "activity": activity,
                   "url": f"http://127.0.0.1:{port}/dashboard/"}
        finally:
            shutil.copy(data.parent / "stderr.log", os.environ.get("WORKBENCH_STDERR", os.devnull))


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"])
        yield chromium
        chromium.close()


def _login(browser, live, username: str, viewport=PHONE, bypass_csp=False):
    """A fresh phone (or desktop) logged in through the log-in form; page.errors collects
    uncaught errors and console errors. (bypass_csp only lets the test inject axe-core.)"""
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=bypass_csp)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.goto(live["url"])
    page.wait_for_selector("#login-form")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(live["logins"][username])
    page.get_by_role("button", name="登录").click()
    _ready(page)
    return page


def _ready(page):
    page.wait_for_function(
        "() => { const m = document.getElementById('main');"
        " return m.dataset.ready === '1' && m.dataset.page !== 'login'; }", timeout=120_000)


def _go(page, hash_: str):
    page.evaluate("h => { location.hash = h; }", hash_)
    _ready(page)


def _shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _visits(live, resident: str) -> list[dict]:
    return live["worker"].ok("GET", f"/api/v1/visits?resident_id={resident}&page_size=500")["items"]


def test_a_social_worker_registers_a_resident_and_records_a_visit_on_a_phone(browser, live):
    page = _login(browser, live, "demo-worker")
    assert page.url.endswith("#/today")
    cards = page.eval_on_selector_all("#followups li", "ls => ls.map(l => l.className)")
    assert cards, "the demo's follow-ups are listed"
    order = [next(c for c in ("red", "blue", "green", "null") if f"card-{c}" in k) for k in cards]
    assert order == sorted(order, key=["red", "blue", "green", "null"].index)   # Red first
    names = {r["id"]: r["name"] for r in live["residents"]}
    first = page.locator("#followups li").first
    assert first.locator(".wb-name").inner_text() == names[first.get_attribute("data-resident")]
    assert first.get_by_role("link", name="记录探访").count() == 1
    _shot(page, "workbench-today-phone.png")

    page.get_by_role("link", name="登记居民").first.click()
    _ready(page)
    assert page.url.endswith("#/residents/new")
    page.get_by_label("姓名").fill("工作台新居民")
    number = _id_number(30)
    page.get_by_label("身份证号").fill(number[:-1] + ("0" if number[-1] != "0" else "1"))
    page.get_by_label("性别").select_option(label="女")
    page.get_by_label("出生日期").fill("1950-05-05")
    page.get_by_label("社区").select_option(label="南明堂社区")
    page.get_by_label("独居").check()
    page.get_by_role("button", name="提交").click()
    assert page.locator("#f-id_number-error").inner_text() == "身份证号校验位不正确"   # on the device
    page.get_by_label("身份证号").fill(number)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**#/residents/*-*")
    _ready(page)
    resident = page.url.rsplit("/", 1)[1]
    assert page.get_by_role("heading", name="工作台新居民").count() == 1

    page.get_by_role("link", name="记录探访").click()
    _ready(page)
    assert page.url.endswith(f"#/residents/{resident}/visit")
    shown = page.get_by_label("探访时间").input_value()          # now, China time
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", shown)   # 2026-12-03 15:00, any locale
    now = datetime.now(LOCAL)
    assert abs(datetime.fromisoformat(shown).replace(tzinfo=LOCAL) - now) < timedelta(minutes=5)
    _shot(page, "workbench-visit-phone.png")
    # a time in the future: the server's own field error, under its field
    page.get_by_label("探访时间").fill((now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"))
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector("#f-visited_at-error")
    assert page.locator("#f-visited_at-error").inner_text() == "时间晚于当前时间"
    assert _visits(live, resident) == []
    assert [e for e in page.errors if "400" not in e] == []   # the browser logs the refused POST
    page.errors.clear()
    page.get_by_label("探访时间").fill(shown)
    page.get_by_label("方式").select_option(label="电话探访")
    page.get_by_label("发现").fill("身体尚可，独自生活")
    page.get_by_label("备注").fill("下周再访")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(f"**#/residents/{resident}")
    _ready(page)
    visits = _visits(live, resident)
    assert [v["method"] for v in visits] == ["phone"]
    assert page.locator("#visits li").first.inner_text().startswith("电话探访")
    assert page.errors == []
    page.context.close()


def test_a_red_card_record_is_read_only_with_a_reason_given_in_a_dialog(browser, live):
    red = next(r for r in live["residents"] if r["card"] == "red")
    page = _login(browser, live, "demo-worker")
    _go(page, f"#/residents/{red['id']}")
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert page.get_by_role("heading", name=red["name"]).count() == 0   # nothing read yet
    dialog.get_by_label("查阅事由").fill("入户探访前核对信息")
    dialog.get_by_role("button", name="确定").click()
    page.get_by_role("heading", name=red["name"]).wait_for()
    assert page.errors == []
    page.context.close()


def _figures(live) -> dict:
    return live["worker"].ok("GET", f"/api/v1/reports/stations/{STATION}/figures")["figures"]


def test_visits_and_attendance_taken_offline_reach_the_figures_exactly_once(browser, live):
    worker = live["worker"]
    before = _figures(live)
    activity = worker.ok("GET", f"/api/v1/activities/{live['activity']}")
    page = _login(browser, live, "demo-worker")
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=30_000)
    residents = page.eval_on_selector_all("#followups li", "ls => ls.map(l => l.dataset.resident)")[:3]
    assert len(residents) == 3
    _go(page, f"#/attendance/{activity['id']}")
    context = page.context
    context.set_offline(True)                      # the hall has no signal
    page.get_by_label("姓名、身份证号后几位、社区或卡别").fill("待审0号")
    page.get_by_label("待审0号").check()          # registered by the fixture: a first attendance
    page.get_by_label("匿名人数").fill("5")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**#/outbox")
    marker = uuid.uuid4().hex[:8]
    for resident in residents:
        _go(page, f"#/residents/{resident}/visit")
        page.get_by_label("发现").fill(f"离线记录 {marker}")
        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**#/outbox")
    _ready(page)
    assert page.inner_text("#sync-status") == "待同步 4"
    page.reload()                                   # still offline: the shell from the cache
    _ready(page)
    assert page.inner_text("#sync-status") == "待同步 4"
    assert page.locator("#outbox-items li[data-state=pending]").count() == 4
    _shot(page, "workbench-pending-phone.png")
    assert worker.ok("GET", f"/api/v1/activities/{activity['id']}")["person_times"] == \
        activity["person_times"]                    # nothing left the phone

    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('sync-status').textContent === '已同步'",
                           timeout=60_000)
    for resident in residents:
        assert len([v for v in _visits(live, resident) if v["visited_at"]]) >= 1
    expected_visits = before["visits"]["total"] + 3
    expected_people = before["activities"]["person_times"] + 6
    _wait(lambda: (_figures(live)["visits"]["total"], _figures(live)["activities"]["person_times"])
          == (expected_visits, expected_people), "reporting folds the synced work")
    page.reload()                                   # online again: nothing is sent twice
    _ready(page)
    page.wait_for_timeout(1000)
    after = _figures(live)
    assert (after["visits"]["total"], after["activities"]["person_times"]) == \
        (expected_visits, expected_people)

    # a visit the server refuses is kept with its words, to send again or discard
    context.set_offline(True)
    _go(page, f"#/residents/{residents[0]}/visit")
    page.get_by_label("探访时间").fill((datetime.now(LOCAL) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M"))
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**#/outbox")
    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('sync-status').textContent === '同步被拒 1'",
                           timeout=60_000)
    _ready(page)
    refused = page.locator("#outbox-items li[data-state=refused]")
    assert "不能提前记录探访" in refused.inner_text()
    # logging out leaves nothing on the device
    page.get_by_role("button", name="退出").click()
    page.wait_for_selector("#login-form")
    page.wait_for_function("() => Outbox.list().then(l => l.length === 0)")
    context.close()


def test_a_supervisor_approves_one_plan_and_sends_another_back(browser, live):
    page = _login(browser, live, "demo-supervisor")
    assert page.url.endswith("#/approvals")
    ours = page.get_by_role("group", name="服务计划审批 · 待审0号")
    other = page.get_by_role("group", name="服务计划审批 · 待审1号")
    assert ours.count() == 1 and other.count() == 1
    _shot(page, "workbench-approvals-phone.png")
    ours.get_by_role("button", name="通过").click()
    ours.get_by_text("已通过").wait_for()
    other.get_by_role("button", name="退回").click()
    other.get_by_label("退回理由").fill("请补充服务频次")
    other.get_by_role("button", name="提交").click()
    other.get_by_text("已退回").wait_for()
    worker = live["worker"]
    decided = {a["status"]: a for a in worker.ok(
        "GET", f"/api/v1/cases/approvals?station_id={STATION}&page_size=500")["items"]
        if a["case_id"] in live["plans"]}
    assert decided["sent_back"]["comments"] == "请补充服务频次"
    assert decided["approved"]["case_id"] == live["plans"][0]
    assert page.errors == []
    page.context.close()


def test_a_street_leader_reads_a_weekly_report_as_a_page_and_accepts_it(browser, live):
    page = _login(browser, live, "demo-street", viewport={"width": 1360, "height": 900},
                  bypass_csp=True)
    row = page.locator("#awaiting-table tbody tr").filter(     # by its name: no id on screen
        has=page.locator(f"a[href='#/reports/{live['report']}']"))
    year, week, _ = live["week"]
    assert row.locator("td").first.inner_text() == f"西湖路街道社工站 · {year}年第{week}周"
    row.get_by_role("link", name="查看").click()
    page.wait_for_url(f"**#/reports/{live['report']}")
    _ready(page)
    assert page.inner_text("#report-title") == f"西湖路街道社工站 · {year}年第{week}周"
    assert page.inner_text("#report-summary") == "本周入户探访"
    assert _axe(page) == []
    _shot(page, "workbench-report-street.png")
    page.get_by_role("button", name="通过").click()
    page.get_by_text("已通过").first.wait_for()
    street = Http(live["port"], "demo-street", live["logins"]["demo-street"])
    assert street.ok("GET", f"/api/v1/reports/submissions/{live['report']}")["status"] == "accepted"
    page.context.close()


PAGES = ["#/today", "#/residents", "#/residents/new", "#/attendance", "#/outbox"]


def test_no_serious_or_critical_accessibility_violation_on_any_workbench_page(browser, live):
    resident = next(r for r in live["residents"] if r["card"] != "red")["id"]
    page = _login(browser, live, "demo-worker", bypass_csp=True)
    found = {}
    for hash_ in PAGES + [f"#/residents/{resident}", f"#/residents/{resident}/visit"]:
        _go(page, hash_)
        found[hash_] = _axe(page)
    page.context.close()
    page = _login(browser, live, "demo-supervisor", bypass_csp=True)
    found["#/approvals"] = _axe(page)
    page.context.close()
    assert found == {k: [] for k in found}


def _axe(page) -> list[str]:
    """axe-core (vendored from npm) on the page: the serious and critical violations."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]
