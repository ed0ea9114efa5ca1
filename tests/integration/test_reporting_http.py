"""Must show (issue 13), through the public HTTP APIs with `station serve` residents,
casework and reporting on the real broker and PostgreSQL, each person logging in:

- two stations of one street: residents registered and graded, visits, a case with a
  referral; reporting's figures equal the tally this test keeps, station A's reports
  never contain station B's data, and station B's people asking for A's report get 404;
- last week's report of station A submitted, then a late visit for last week: the
  submitted report is unchanged and this week's report names the correction;
- the audit timeline over HTTP agrees with `station audit resident` (the offline view);
- `station projections rebuild --service reporting` gives the same read models, table by
  table, as the incrementally kept ones.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.stores import open_store
from station import catalog
from station.audit import resident_timeline, table_snapshot

from services.reporting import periods, projections

from tests.integration.test_residents_http import answers, valid_id
from tests.support.auth import People, call
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

A, B, STREET, DISTRICT = "xihulu-station", "xh-b", "xihulu", "nanming"
USERS = {
    "worker-a": ("social_worker", f"station:{A}"),
    "sup-a": ("supervisor", f"station:{A}"),
    "head-a": ("station_head", f"station:{A}"),
    "worker-b": ("social_worker", f"station:{B}"),
    "head-b": ("station_head", f"station:{B}"),
    "leader": ("street_leader", f"street:{STREET}"),
    "admin": ("district_admin", f"district:{DISTRICT}"),
    "auditor": ("auditor", f"district:{DISTRICT}"),
}
SERVICES = ("residents", "casework", "reporting")
TODAY = datetime.now(periods.LOCAL).date()
LAST_WEEK = periods.containing("week", TODAY - timedelta(days=7))
THIS_WEEK = LAST_WEEK.following()


class World:
    def __init__(self, services, env, people):
        self.services, self.env = services, env
        self.tokens = {u: people.token(self.url("residents"), u, role, scope)
                       for u, (role, scope) in USERS.items()}
        self.tally = {A: _empty(), B: _empty()}
        self.seq = 100

    def url(self, service: str) -> str:
        return self.services.url(service)

    def call(self, service, method, path, body=None, user="head-a", reason=None):
        return call(self.url(service), method, "/api/v1" + path, body, self.tokens[user],
                    reason=reason)

    def ok(self, service, method, path, body=None, user="head-a", status=(200, 201, 202)):
        got, answer = self.call(service, method, path, body, user)
        assert got in status, (path, got, answer)
        return answer

    # -- what the other services are told, and the tally kept alongside ---------------

    def resident(self, station: str, community: str, card: str, user: str) -> str:
        self.seq += 2   # an even sequence digit: a woman's ID number
        rid = self.ok("residents", "POST", "/residents", {
            "station_id": station, "community_id": community, "name": "测试居民",
            "gender": "female", "birth_date": "1940-03-15",
            "id_number": valid_id("19400315", str(self.seq)), "categories": ["living_alone"]},
            user)["id"]
        self.ok("residents", "POST", f"/residents/{rid}/assessments",
                {"domain": "elderly", "answers": answers("elderly", card)}, user)
        self.tally[station]["cards"][card] += 1
        return rid

    def visit(self, station: str, rid: str, day: date, user: str, method="home",
              case_id=None) -> str:
        body = {"resident_id": rid, "method": method,
                "visited_at": f"{day.isoformat()}T10:00:00+08:00"}
        if case_id:
            body["case_id"] = case_id
        vid = self.ok("casework", "POST", "/visits", body, user)["id"]
        self.tally[station]["visits"] += 1
        return vid

    def caught_up(self) -> None:
        """Reporting has folded every event the sources have stored."""
        stores = self.stores(("residents", "casework"))
        with ClusterRpcProxy({"AMQP_URI": self.env["AMQP_URI"]}, timeout=10) as rpc:
            wait_until(lambda: all(rpc.reporting.positions()[name] ==
                                   store.last_position() for name, store in stores.items()),
                       timeout=60, what="reporting caught up")

    def stores(self, names):
        config = {"DATABASE_URL": self.env.get("DATABASE_URL"),
                  "STATION_DATA_DIR": self.env["STATION_DATA_DIR"]}
        return {n: open_store(n, config, catalog.registry(n), catalog.projections(n))
                for n in names}


def _empty() -> dict:
    return {"cases_open": 0, "cases_closed": 0, "visits": 0, "activities": 0,
            "person_times": 0, "organizations": 0, "members": 0, "party_members": 0,
            "resources_rmb": "0.00", "cards": {"red": 0, "blue": 0, "green": 0},
            "followups_overdue": 0}


@pytest.fixture
def world(database_url, services, service_env):
    services.start(*SERVICES)
    people = People(service_env)
    try:
        w = World(services, service_env, people)
        for path, body in (("/org/stations", {"street_id": STREET, "id": B, "name": "B站"}),
                           ("/org/communities", {"station_id": B, "id": "b-1",
                                                 "name": "B社区"})):
            w.ok("residents", "POST", path, body, "admin")
        yield w
    finally:
        people.close()


def scenario(w: World) -> dict:
    """Residents graded at A and B, visits last week, a case with a referral at A."""
    ra1 = w.resident(A, "nanmingtang", "red", "worker-a")
    ra2 = w.resident(A, "xihulu", "green", "worker-a")
    rb1 = w.resident(B, "b-1", "red", "worker-b")
    wait_until(lambda: w.call("casework", "POST", "/cases", {
        "resident_id": ra1, "domain": "elderly", "problem": "独居跌倒"}, "worker-a")[0] == 201,
        what="casework knows ra1")
    case_id = w.ok("casework", "GET", f"/cases?resident_id={ra1}", user="worker-a")["items"][0]["id"]
    w.tally[A]["cases_open"] += 1
    w.ok("casework", "POST", f"/cases/{case_id}/referrals",
         {"agency": "hospital", "reason": "体检", "due_date": TODAY.isoformat()}, "worker-a")
    monday = LAST_WEEK.start
    w.visit(A, ra1, monday + timedelta(days=1), "worker-a", case_id=case_id)
    w.visit(A, ra2, monday + timedelta(days=2), "worker-a", method="consolation")
    w.visit(B, rb1, monday + timedelta(days=2), "worker-b")
    w.caught_up()
    return {"ra1": ra1, "ra2": ra2, "rb1": rb1, "case": case_id}


def test_figures_equal_the_tally_stations_stay_apart_and_reports_freeze(world):
    w = world
    ids = scenario(w)
    for station, user in ((A, "head-a"), (B, "head-b")):
        got = w.ok("reporting", "GET", f"/reports/stations/{station}/summary", user=user)
        assert got == w.tally[station], station
    # A's figures in detail: last week's two visits are A's only.
    week = w.ok("reporting", "GET", f"/reports/stations/{A}/figures?period={LAST_WEEK.key}")
    assert week["figures"]["visits"] == {"total": 2, "by_method": {"consolation": 1, "home": 1},
                                         "consolations": 1}
    assert week["figures"]["referrals"]["made_in_period"] == 0
    # Station B's people and A's social worker: 404 for the other station, as if unknown.
    for user, station in (("head-b", A), ("worker-b", A), ("worker-a", B)):
        status, body = w.call("reporting", "GET", f"/reports/stations/{station}/summary",
                              user=user)
        assert status == 404 and body["error"]["code"] == "not_found", (user, body)
    assert w.call("reporting", "GET", "/reports/stations/nowhere/summary")[0] == 404
    assert w.call("reporting", "GET", f"/reports/districts/{DISTRICT}/summary")[0] == 403
    district = w.ok("reporting", "GET", f"/reports/districts/{DISTRICT}/summary", user="admin")
    assert district["visits"] == 3 and district["cards"] == {"red": 2, "blue": 0, "green": 1}
    side = w.ok("reporting", "GET", f"/reports/districts/{DISTRICT}/figures", user="admin")
    assert {s: v["visits"] for s, v in side["stations"].items()} == {A: 2, B: 1}

    # Last week's report of A, submitted; the head may not accept it, the street may.
    report = w.ok("reporting", "POST", f"/reports/stations/{A}/reports",
                  {"period": LAST_WEEK.key, "summary": "本周探访 2 次", "plan": "下周随访"})
    assert report["status"] == "submitted" and report["figures"]["visits"]["total"] == 2
    assert w.call("reporting", "POST", f"/reports/submissions/{report['id']}/accept", {})[0] == 403
    assert w.call("reporting", "GET", f"/reports/submissions/{report['id']}",
                  user="head-b")[0] == 404
    accepted = w.ok("reporting", "POST", f"/reports/submissions/{report['id']}/accept",
                    {"comment": "好"}, "leader")
    assert accepted["status"] == "accepted"

    # A late visit for last week arrives.
    late = w.visit(A, ids["ra2"], LAST_WEEK.start + timedelta(days=3), "worker-a")
    w.caught_up()
    frozen = w.ok("reporting", "GET", f"/reports/submissions/{report['id']}")
    assert frozen["figures"] == report["figures"]
    assert frozen["figures"]["visits"]["total"] == 2
    now = w.ok("reporting", "GET", f"/reports/stations/{A}/figures?period={LAST_WEEK.key}")
    assert now["figures"]["visits"]["total"] == 3
    draft = w.ok("reporting", "GET", f"/reports/stations/{A}/weekly/{THIS_WEEK.key}/draft")
    [correction] = draft["corrections"]
    assert correction["period_key"] == LAST_WEEK.key
    assert [(e["event_type"], e["subject"]) for e in correction["late_events"]] == \
        [("VisitRecorded", late)]
    assert correction["changes"]["visits.total"] == {"submitted": 2, "now": 3}
    this_week = w.ok("reporting", "POST", f"/reports/stations/{A}/reports",
                     {"period": THIS_WEEK.key, "summary": draft["summary"],
                      "plan": draft["plan"]})
    assert this_week["corrections"] == draft["corrections"]
    # B's report contains nothing of A.
    b_week = w.ok("reporting", "POST", f"/reports/stations/{B}/reports",
                  {"period": LAST_WEEK.key}, "head-b")
    assert b_week["figures"]["visits"]["total"] == 1 and b_week["corrections"] == []

    # The audit timeline over HTTP agrees with `station audit resident`.
    status, body = w.call("reporting", "GET", f"/residents/{ids['ra1']}/timeline",
                          user="auditor")
    assert status == 403, body                          # a Red card: a reason is required
    status, over_http = w.call("reporting", "GET", f"/residents/{ids['ra1']}/timeline",
                               user="auditor", reason="年度审计")
    assert status == 200, over_http
    offline = resident_timeline(w.stores(catalog.SERVICES), ids["ra1"])
    def key(t):
        return [(e["service"], e["stream_id"], e["version"], e["type"]) for e in t["events"]]
    assert key(over_http) == key(offline)
    assert over_http["verified"] is True and offline["verified"] is True
    assert {"residents", "casework", "reporting"} <= {e["service"] for e in over_http["events"]}
    assert over_http["state"]["card"] == "red" and over_http["state"]["open_cases"] == [ids["case"]]
    assert all("name" not in e["payload"] for e in over_http["events"])
    assert w.call("reporting", "GET", f"/residents/{ids['rb1']}/timeline", user="head-a",
                  reason="x")[0] == 404

    # Rebuilt from every source equals what was kept incrementally.
    w.caught_up()
    w.services.stop("reporting")
    store = w.stores(("reporting",))["reporting"]
    kept = table_snapshot(store.engine, projections.metadata)
    assert kept["report_facts"] and kept["report_reports"]
    rebuilt = subprocess.run(
        [sys.executable, "-m", "station.cli", "projections", "rebuild", "--service",
         "reporting", "--data-dir", w.env["STATION_DATA_DIR"]],
        env=w.env, capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "reporting rebuild: casework" in rebuilt.stderr
    again = table_snapshot(store.engine, projections.metadata)
    for table in kept:
        assert again[table] == kept[table], table
