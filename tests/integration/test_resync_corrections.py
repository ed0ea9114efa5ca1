"""Must show (issue 20, item 2, last paragraph): after a source store is restored from an
older backup, the corrections a report names are judged by event identity: none missed,
none of what the report counted named.

Residents, casework and reporting run as `station serve` processes on the real broker
and PostgreSQL. A visit about last week is recorded; casework's store is backed up
(`station backup create`); two more visits about last week are recorded and reach
reporting; last week's report of the station is submitted (it counted three visits).
Casework's store is restored from the backup (`station backup restore --replace`): the
two visits are gone, and three visits about last week recorded afterwards are stored at
the positions the lost ones had, below the watermark the report froze, and beyond it.
Reporting resynchronises; this week's draft names exactly the three as late events, not
the visit the report counted, and the changed figure (3 submitted, 4 now).
"""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from services.reporting import periods
from services.reporting.projections import inbox_name
from shared.stores import engine_for
from tests.integration.test_residents_http import valid_id
from tests.support.auth import People, call, signed_token
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

TODAY = datetime.now(periods.LOCAL).date()
LAST_WEEK = periods.containing("week", TODAY - timedelta(days=7))
THIS_WEEK = LAST_WEEK.following()


def station_cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "station.cli", *args, "--data-dir",
                           env["STATION_DATA_DIR"]], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Station:
    """The first station of the seeded tree, through the HTTP APIs, as its worker and head."""

    def __init__(self, services, env):
        self.services, self.env = services, env
        status, org = call(self.url("residents"), "GET", "/api/v1/org",
                           token=signed_token("admin", "district_admin", "district:nanming"))
        assert status == 200, org
        self.people = People(env)
        self.station = org["districts"][0]["streets"][0]["stations"][0]
        scope = f"station:{self.station['id']}"
        self.worker = self.people.token(self.url("residents"), "wang", "social_worker", scope)
        self.head = self.people.token(self.url("residents"), "zhao", "station_head", scope)

    def url(self, service: str) -> str:
        return self.services.url(service)

    def ok(self, service: str, method: str, path: str, body=None, token=None) -> dict:
        status, answer = call(self.url(service), method, "/api/v1" + path, body,
                              token or self.worker)
        assert status in (200, 201), (path, status, answer)
        return answer

    def resident(self) -> str:
        return self.ok("residents", "POST", "/residents", {
            "station_id": self.station["id"],
            "community_id": self.station["communities"][0]["id"], "name": "张桂兰",
            "gender": "female", "birth_date": "1940-03-15",
            "id_number": valid_id("19400315", "102"), "categories": ["living_alone"]})["id"]

    def visit(self, resident: str, days_in: int) -> str:
        day = LAST_WEEK.start + timedelta(days=days_in)
        return self.ok("casework", "POST", "/visits", {
            "resident_id": resident, "method": "home",
            "visited_at": f"{day.isoformat()}T10:00:00+08:00"})["id"]


def visit_positions(engine) -> dict[str, int]:
    """visit id -> its position in casework's store (every event numbered first)."""
    def numbered():
        with engine.connect() as conn:
            return not conn.execute(sa.text(
                "SELECT 1 FROM events WHERE position IS NULL LIMIT 1")).first()
    wait_until(numbered, timeout=60, what="casework's events numbered")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT payload, position FROM events WHERE type = 'VisitRecorded'")).all()
    import json
    return {(json.loads(p) if isinstance(p, str) else p)["visit_id"]: pos for p, pos in rows}


def caught_up(casework, reporting) -> None:
    """Reporting follows casework's store up to its last position."""
    def last():
        with casework.connect() as conn:
            if conn.execute(sa.text("SELECT 1 FROM events WHERE position IS NULL LIMIT 1")
                            ).first():
                return None
            return conn.execute(sa.text("SELECT coalesce(max(position), 0) FROM events")
                                ).scalar()

    def following():
        position = last()
        with reporting.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT c.position, s.status FROM checkpoints c LEFT JOIN inbox_sources s "
                "ON s.name = c.name WHERE c.name = :n"), {"n": inbox_name("casework")}).first()
        return position and row is not None and row.position == position \
            and row.status == "following"
    wait_until(following, timeout=120, what="reporting following casework's store")


@pytest.mark.timeout(900)
def test_corrections_after_a_restore_name_what_the_report_did_not_count(
        services, service_env, database_url, tmp_path):
    env = service_env        # PostgreSQL: a stopped service's store is free at once
    services.start("residents", "casework", "reporting", timeout=240)
    config = {"STATION_DATA_DIR": env["STATION_DATA_DIR"], "DATABASE_URL": env["DATABASE_URL"]}
    casework, reporting = engine_for("casework", config), engine_for("reporting", config)
    st = None
    try:
        st = Station(services, env)
        resident = st.resident()
        counted_kept = st.visit(resident, 0)
        caught_up(casework, reporting)
        services.stop("casework")
        backup = str(tmp_path / "casework.backup.gz")
        station_cli(env, "backup", "create", "casework", backup)
        services.start("casework", timeout=240)
        lost = [st.visit(resident, 1), st.visit(resident, 2)]
        caught_up(casework, reporting)

        path = f"/reports/stations/{st.station['id']}"
        report = st.ok("reporting", "POST", f"{path}/reports",
                       {"period": LAST_WEEK.key, "summary": "探访 3 次", "plan": "随访"},
                       st.head)
        assert report["status"] == "submitted"
        assert report["figures"]["visits"]["total"] == 3
        watermark = max(visit_positions(casework).values())

        services.stop("casework")
        station_cli(env, "backup", "restore", "casework", backup, "--replace")
        services.start("casework", timeout=240)
        late = [st.visit(resident, 3), st.visit(resident, 4), st.visit(resident, 5)]
        caught_up(casework, reporting)

        positions = visit_positions(casework)
        assert set(positions) == {counted_kept, *late}       # the lost visits are gone
        # The late visits stand where the report's counted ones stood, and beyond:
        # judged by position, the first two would be missed.
        assert positions[late[0]] <= watermark < positions[late[-1]]

        draft = st.ok("reporting", "GET", f"{path}/weekly/{THIS_WEEK.key}/draft",
                      token=st.head)
        [correction] = draft["corrections"]
        assert correction["period_key"] == LAST_WEEK.key
        assert sorted(e["subject"] for e in correction["late_events"]) == sorted(late)
        assert counted_kept not in {e["subject"] for e in correction["late_events"]}
        assert correction["changes"]["visits.total"] == {"submitted": 3, "now": 4}
        frozen = st.ok("reporting", "GET", f"/reports/submissions/{report['id']}",
                       token=st.head)
        assert frozen["figures"] == report["figures"]
    finally:
        if st is not None:
            st.people.close()
        casework.dispose()
        reporting.dispose()
