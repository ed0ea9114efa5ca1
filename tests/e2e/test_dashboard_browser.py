"""Must show (issue 14), as a person would: `station up` with its demo station, then
headless Chromium (Debian's `chromium`, driven by Playwright) logs in at /dashboard/,
opens the station page and checks the figures it shows equal the API's, switches to
English, opens the district page and an auditor's resident timeline; a screenshot of each
page is kept in docs/screenshots/ (the README shows the station's). A resident named with
a script or HTML is shown as text and never run. The exports, opened with openpyxl, equal
the API's figures, and names that start like formulas come back neutralised."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from shared import db
from tests.conftest import free_port, rabbitmqctl  # noqa: F401
from tests.e2e.demo_station import demo_station

pytestmark = [pytest.mark.e2e, pytest.mark.whole_station, pytest.mark.timeout(900)]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).parents[2] / "docs" / "screenshots"))
STATION, STREET, DISTRICT = "xihulu-station", "xihulu", "nanming"
XSS = "<img src=x onerror=window.__pwned=1>"        # names are at most 50 characters
SCRIPT = "<script>window.__pwned=2</script>"
FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+86 1390", "-1+2", "@SUM(A1:A9)"]
LOCAL = timezone(timedelta(hours=8))
DONATED = "1250.50"


class Http:
    """The API as one user (urllib: nothing between the test and the edge)."""

    def __init__(self, port: int, username: str, password: str):
        self.base = f"http://127.0.0.1:{port}"
        self.token = self.call("POST", "/api/v1/auth/token",
                               {"username": username, "password": password})[1]["access_token"]

    def raw(self, method: str, path: str, body=None, reason: str | None = None):
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        if reason:
            headers["X-Access-Reason"] = quote(reason)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def call(self, method: str, path: str, body=None):
        status, data, _ = self.raw(method, path, body)
        return status, json.loads(data or b"null")

    def ok(self, method: str, path: str, body=None):
        status, answer = self.call(method, path, body)
        assert status in (200, 201), (path, status, answer)
        return answer


def _scratch_broker_and_database():
    """A virtual host and a PostgreSQL database of this module's own."""
    broker = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    pg = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    vhost, name = f"test-dash-{uuid.uuid4().hex[:8]}", f"t_dash_{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, urlsplit(broker).username or "guest",
                ".*", ".*", ".*")
    admin = sa.create_engine(db.normalise_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        rabbitmqctl("delete_vhost", vhost)
    amqp = urlunsplit(urlsplit(broker)._replace(path="/" + quote(vhost, safe="")))
    return amqp, urlunsplit(urlsplit(pg)._replace(path="/" + name)), drop


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """`station up` with the demo station, plus residents named like an attack; returned
    once reporting has folded every one of them."""
    with demo_station(tmp_path_factory, "dashboard", "0.05") as up:
        port, data, logins = up.port, up.data, up.logins
        try:
            worker = Http(port, "demo-worker", logins["demo-worker"])
            named = {}
            for name in [XSS, SCRIPT, *FORMULAS]:
                named[name] = worker.ok("POST", "/api/v1/residents", {
                    "station_id": STATION, "community_id": "nanmingtang", "name": name,
                    "gender": "female", "birth_date": "1950-05-05",
                    "id_number": _id_number(len(named)), "categories": ["living_alone"]})["id"]
            # this month's own visits (to the demo's residents, long known to casework), so the
            # month the exports ask for is never empty: the demo's visits fall on earlier days,
            # and on the 1st or 3rd of a month it may have none yet
            moment = datetime.now(LOCAL).replace(microsecond=0) - timedelta(seconds=5)
            listed = worker.ok("GET", f"/api/v1/residents?station_id={STATION}&page_size=20")
            known = [r["id"] for r in listed["items"] if r["id"] not in named.values()]  # the demo's
            for resident in known[:2]:
                worker.ok("POST", "/api/v1/visits", {"resident_id": resident, "method": "home",
                                                     "visited_at": moment.isoformat()})
            head = Http(port, "demo-head", logins["demo-head"])
            # the demo's own donations (its end screen is printed: reporting has them all)
            donated = str(Decimal(_registered(head)[1]) + Decimal(DONATED))
            partner = head.ok("POST", "/api/v1/partners", {"station_id": STATION,
                                                          "name": "=1+1 爱心超市", "type": "business"})["id"]
            head.ok("POST", "/api/v1/donations", {"station_id": STATION, "partner_id": partner,
                                                  "kind": "cash", "value": DONATED})
            week = datetime.now(LOCAL).date().isocalendar()
            report = head.ok("POST", f"/api/v1/reports/stations/{STATION}/reports",
                             {"period": f"{week[0]}-W{week[1]:02d}", "summary": "本周探访",
                              "plan": "下周继续"})["id"]
            total = worker.ok("GET", f"/api/v1/residents?station_id={STATION}&page_size=1")["total"]
            _wait(lambda: _registered(head) == (total, donated), "reporting folds every resident")
            month = moment.strftime("%Y-%m")
            _wait(lambda: head.ok("GET", f"/api/v1/reports/stations/{STATION}/figures?period={month}")
                  ["figures"]["visits"]["total"] >= 2, "reporting folds this month's visits")
            yield {"port": port, "logins": logins, "named": named, "head": head, "report": report,
                   "donated": donated, "month": month,
                   "url": f"http://127.0.0.1:{port}/dashboard/"}
        finally:
            shutil.copy(data.parent / "stderr.log", os.environ.get("DASHBOARD_STDERR", os.devnull))


def _registered(head: Http) -> tuple[int, str]:
    figures = head.ok("GET", f"/api/v1/reports/stations/{STATION}/figures")["figures"]
    return figures["residents"]["total"], figures["resources"]["donations_rmb"]


def _wait(check, what: str, seconds: float = 90.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.5)


def _id_number(n: int) -> str:
    """A valid 18-digit ID number (GB 11643 check digit), a woman's (even serial)."""
    body = f"520102195005050{n * 2 + 10:02d}"[:17]
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + check


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _page(browser, live, username: str):
    """A fresh browser context logged in through the log-in form."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.errors.append("dialog " + d.message), d.dismiss()))
    page.goto(live["url"])
    page.wait_for_selector("#login-form")
    page.fill("#username", username)
    page.fill("#password", live["logins"][username])
    page.click("#login-button")
    _ready(page)
    return page


def _ready(page, hash_: str | None = None):
    if hash_ is not None:
        page.evaluate("h => { location.hash = h; }", hash_)
    page.wait_for_function(
        "() => { const m = document.getElementById('main');"
        " return m.dataset.ready === '1' && m.dataset.page !== 'login'; }", timeout=60_000)
    page.wait_for_timeout(300)   # the charts' last frame


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def _table(page, table_id: str) -> list[dict]:
    return page.eval_on_selector(f"#{table_id}", """t => [...t.tBodies[0].rows].map(r =>
        Object.fromEntries([...r.cells].map(c => [c.dataset.key, c.textContent])))""")


def test_station_page_shows_the_apis_figures_in_chinese_then_english(browser, live):
    page = _page(browser, live, "demo-head")
    assert page.url.endswith(f"#/station/{STATION}")
    assert page.locator("#page-error").count() == 0, page.inner_text("#page-error")
    head = live["head"]
    today = datetime.now(LOCAL).date().isoformat()
    summary = head.ok("GET", f"/api/v1/reports/stations/{STATION}/summary?as_of={today}")
    shown = page.eval_on_selector_all(
        "[data-figure]", "ks => Object.fromEntries(ks.map(k => [k.dataset.figure,"
        " k.querySelector('.value').textContent]))")
    expected = {k: str(v) for k, v in summary.items() if k != "cards"} | \
        {c: str(n) for c, n in summary["cards"].items()}
    assert shown == expected
    assert sum(summary["cards"].values()) > len(FORMULAS) + 2   # the demo's and the test's

    org = head.ok("GET", "/api/v1/org")
    communities = org["districts"][0]["streets"][0]["stations"][0]["communities"]
    rows = {r["community"]: r for r in _table(page, "cards-table")}
    for community in communities:
        by_card = head.ok("GET", f"/api/v1/reports/stations/{STATION}/figures?community_id="
                                 f"{community['id']}")["figures"]["residents"]["by_card"]
        assert {c: int(rows[community["name"]][c]) for c in by_card} == by_card

    due = head.ok("GET", f"/api/v1/followups?station_id={STATION}&status=due&page_size=1")
    overdue = head.ok("GET", f"/api/v1/followups?station_id={STATION}&status=overdue&page_size=1")
    assert page.inner_text("#followup-counts") == f"已逾期 {overdue['total']} · 应跟进 {due['total']}"
    assert len(_table(page, "followups-table")) == due["total"] + overdue["total"] > 0

    month = datetime.now(LOCAL).strftime("%Y-%m")
    figures = head.ok("GET", f"/api/v1/reports/stations/{STATION}/figures?period={month}")
    this_month = _table(page, "months-table")[-1]
    assert this_month == {"month": month,
                          "person_times": str(figures["figures"]["activities"]["person_times"]),
                          "visits": str(figures["figures"]["visits"]["total"])}

    totals = head.ok("GET", f"/api/v1/donations/totals?station_id={STATION}")
    by_type = {r["type"]: r["value"] for r in _table(page, "partner-types-table")}
    assert by_type["企业"] == totals["by_partner_type"]["business"]
    assert by_type["合计"] == totals["total"] == live["donated"]
    assert len(by_type) == 1 + sum(1 for v in totals["by_partner_type"].values()
                                   if Decimal(v) > 0)

    # the resident named with a script and an image: shown as text, nothing ran
    names = [r["name"] for r in _table(page, "roster-table")]
    assert XSS in names and SCRIPT in names and FORMULAS[0] in names
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#roster-table img, #roster-table script").count() == 0
    assert "*" in _table(page, "roster-table")[0]["id_number"]          # masked as the API does
    assert page.errors == []
    _shot(page, "station.png")

    page.click("#lang-toggle")
    _ready(page)
    assert page.inner_text("#cards-by-community h2") == "Cards by community"
    assert page.inner_text("#followup-counts") == f"overdue {overdue['total']} · due {due['total']}"
    assert page.evaluate("document.documentElement.lang") == "en"
    _shot(page, "station-en.png")
    page.context.close()


def test_district_and_street_pages_show_stations_side_by_side(browser, live):
    page = _page(browser, live, "demo-district")
    assert page.url.endswith(f"#/district/{DISTRICT}")
    district = Http(live["port"], "demo-district", live["logins"]["demo-district"])
    year = datetime.now(LOCAL).date()
    period = urllib.parse.quote(f"{year.year}-01-01..{year.isoformat()}")
    answer = district.ok("GET", f"/api/v1/reports/districts/{DISTRICT}/figures?period={period}")
    row = next(r for r in _table(page, "stations-table") if r["station"] == "西湖路街道社工站")
    ours = answer["stations"][STATION]
    assert {k: int(row[k]) for k in ("visits", "person_times", "cases_open",
                                     "followups_overdue")} == \
        {k: ours[k] for k in ("visits", "person_times", "cases_open", "followups_overdue")}
    assert {c: int(row[c]) for c in ("red", "blue", "green")} == ours["cards"]
    overdue = {r["name"]: r["followups_overdue"] for r in _table(page, "overdue-table")}
    assert overdue["西湖路街道社工站"] == str(ours["followups_overdue"])
    ours = page.locator("#awaiting-table tbody tr").filter(   # by its link: no id on screen
        has=page.locator(f"a[href='#/reports/{live['report']}']"))
    assert ours.count() == 1                                    # beside the demo's last weeks
    assert ours.locator("td[data-key='submitted_by']").inner_text() == "demo-head"
    assert ours.locator("td[data-key='report']").inner_text().startswith("西湖路街道社工站 · ")
    assert live["report"] not in page.inner_text("#awaiting-table")
    _shot(page, "district.png")
    page.context.close()

    street = _page(browser, live, "demo-street")
    assert street.url.endswith(f"#/street/{STREET}")
    assert street.locator("#stations-table tbody tr").count() >= 1
    _shot(street, "street.png")
    street.context.close()


def test_an_auditor_reads_a_timeline_with_verified_chains_and_the_name_as_text(browser, live):
    page = _page(browser, live, "demo-auditor")
    resident = live["named"][XSS]
    page.evaluate("h => { location.hash = h; }", f"#/resident/{resident}")
    page.wait_for_selector("#reason", timeout=60_000)
    assert page.locator("#timeline-table").count() == 0      # no read before a reason
    page.fill("#reason", "年度审计 / annual audit")
    page.click("#load-timeline")
    page.wait_for_selector("#timeline-table, #timeline-result .error", timeout=90_000)
    assert page.locator("#timeline-result .error").count() == 0, \
        page.inner_text("#timeline-result")
    assert page.inner_text("#timeline-verified").startswith("✔")
    types = [r["type"] for r in _table(page, "timeline-table")]
    assert "ResidentRegistered" in types
    assert page.evaluate("() => window.__pwned") is None
    _shot(page, "timeline.png")
    page.context.close()


def _xlsx(answer) -> list[list]:
    status, data, headers = answer
    assert status == 200, data[:300]
    assert headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def test_the_monthly_export_equals_the_apis_figures(live):
    from services.reporting.figures import flatten
    head, month = live["head"], live["month"]
    rows, sheet = _xlsx(head.raw(
        "GET", f"/api/v1/reports/stations/{STATION}/exports/monthly?period={month}&format=xlsx"))
    assert rows[0][0] == "社工站月度工作数据" and rows[1][0] == "社工站：西湖路街道社工站"
    assert rows[1][1].startswith(f"统计期间：{month}") and rows[2] == ["指标", "数值", "指标代码"]
    assert sheet.freeze_panes == "A4" and sheet.column_dimensions["A"].width > 8
    api = flatten(head.ok("GET", f"/api/v1/reports/stations/{STATION}/figures?period={month}")
                  ["figures"])
    exported = {code: value for _, value, code in rows[3:]}
    assert set(exported) == set(api)
    for code, value in api.items():
        assert exported[code] == (float(value) if isinstance(value, str) else value), code
    assert exported["residents.total"] > len(FORMULAS) + 2

    visits = _xlsx(head.raw("GET", f"/api/v1/reports/stations/{STATION}/exports/visits"
                                   f"?period={month}"))[0]
    assert visits[2][:3] == ["探访日期", "社区", "居民编号"]
    assert len(visits) - 3 == api["visits.total"] >= 2      # the fixture's own, at least
    donations = _xlsx(head.raw("GET", f"/api/v1/reports/stations/{STATION}/exports/donations"
                                      f"?period={month}"))[0]
    assert ("business", "现金", float(DONATED)) in [(r[2], r[3], r[4]) for r in donations[3:]]
    assert sum(Decimal(str(r[4])) for r in donations[3:]) == Decimal(api["resources.donations_rmb"])
    for ledger in ("activities", "donations"):
        status, data, _ = head.raw("GET", f"/api/v1/reports/stations/{STATION}/exports/"
                                          f"{ledger}?period={month}&format=csv")
        assert status == 200 and data.startswith("\ufeff".encode())
        assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[0][0] in ("活动台账", "捐赠台账")


def test_names_written_like_formulas_come_back_neutralised_and_exports_are_scoped(live):
    head = live["head"]
    rows, sheet = _xlsx(head.raw("GET", f"/api/v1/residents/roster?station_id={STATION}"))
    assert rows[0][0] == "重点对象花名册（按卡别）" and rows[2][:3] == ["卡别", "社区", "姓名"]
    names = [r[2] for r in rows[3:]]
    for name in FORMULAS:
        assert "'" + name in names and name not in names
    assert XSS in names and SCRIPT in names
    assert all(isinstance(r[2], str) and not r[2].startswith(("=", "+", "-", "@")) for r in rows[3:])
    assert all("*" in (r[5] or "*") for r in rows[3:])               # ID numbers masked
    assert [r[0] for r in rows[3:]] == sorted((r[0] for r in rows[3:]),
                                              key=["红卡", "蓝卡", "绿卡", "未评级"].index)
    status, data, _ = head.raw("GET", f"/api/v1/residents/roster?station_id={STATION}&format=csv")
    text = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert status == 200 and "'" + FORMULAS[0] in [r[2] for r in text[3:]]

    outsider = Http(live["port"], "demo-worker", live["logins"]["demo-worker"])
    for path in ("/api/v1/residents/roster?station_id=nowhere",
                 "/api/v1/reports/stations/nowhere/exports/monthly"):
        assert outsider.raw("GET", path)[0] == 404
    anonymous = Http.__new__(Http)
    anonymous.base = head.base
    assert anonymous.raw("GET", f"/api/v1/residents/roster?station_id={STATION}")[0] == 401
