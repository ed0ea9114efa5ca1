"""The main job end to end (issue 15): `station up` loads the demo district through the
public API (small here: `--demo-scale 0.05`), and its end screen prints what the
reporting API answers; a second run on the same data directory adds nothing; Ctrl-C in
the middle stops cleanly with every outbox flushed, and the next run resumes without
counting anything twice. Then what ops and auditors do with the stores it leaves:
verify, rebuild projections (same result), replay one resident's history."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shared import health
from shared.stores import open_store
from station import catalog
from station.audit import table_snapshot
from station.demo import district, endscreen
from station.demo.client import Api
from station.demo.plan import plan
from tests.conftest import free_port
from tests.e2e.demo_station import until_ready
from tests.support.slots import station_slot

pytestmark = [pytest.mark.e2e, pytest.mark.whole_station, pytest.mark.timeout(900)]

SCALE, SEED = "0.05", "3"
RUBRICS = {domain: {**rubric, "domain": domain} for domain, rubric in json.loads(
    (Path(__file__).parents[2] / "services/residents/config/rubrics.json").read_text()).items()
    if not domain.startswith("_")}


def station(*args, env):
    return subprocess.run([sys.executable, "-m", "station.cli", *args], env=env,
                          capture_output=True, text=True, timeout=180)


def _env(amqp_uri: str) -> dict:
    env = {**os.environ, "AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    for key in ("STATION_JWT_KEYS", "STATION_LOOKUP_KEY", "STATION_DEPLOYMENT"):
        env.pop(key, None)  # the embedded default generates its own dev keys
    return env


def _up(data: Path, env: dict, port: int) -> subprocess.Popen:
    """`station up` in a session of its own: Ctrl-C reaches its whole group, as in a terminal."""
    return subprocess.Popen([sys.executable, "-m", "station.cli", "up", "--port", str(port),
                             "--data-dir", str(data), "--demo-scale", SCALE,
                             "--random-seed", SEED], env=env, stdout=subprocess.PIPE,
                            stderr=open(data.parent / f"{data.name}-stderr.log", "a"),
                            text=True, start_new_session=True)


def _until_ready(proc: subprocess.Popen, data: Path) -> str:
    """stdout up to the line saying how to stop it (the end screen is above it)."""
    return until_ready(proc, data.parent / f"{data.name}-stderr.log")


def _stop(proc: subprocess.Popen) -> int:
    os.killpg(proc.pid, signal.SIGINT)
    try:
        return proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def _accounts(port: int, data: Path) -> tuple[Api, Api, dict]:
    logins = json.loads((data / "demo-logins.json").read_text())
    return (Api(port).as_user("demo-head", logins["demo-head"]),
            Api(port).as_user("demo-district", logins["demo-district"]), logins)


def _day(data: Path) -> date:
    return date.fromisoformat(json.loads((data / "demo" / "plan.json").read_text())["today"])


@pytest.fixture(scope="module")
def demo_run(module_amqp_uri, tmp_path_factory):
    """`station up` until the demo is loaded and its end screen printed; the API's
    figures read while it is up; then the same again on the same data directory."""
    data, env = tmp_path_factory.mktemp("demo") / "data", _env(module_amqp_uri)
    runs = []
    for _ in range(2):
        with station_slot(tmp_path_factory):
            runs.append(_run_once(data, env))
    return {"runs": runs, "data": data, "env": env}


def _run_once(data: Path, env: dict) -> dict:
    """One `station up` to its end screen, the API's figures read, Ctrl-C."""
    port = free_port()
    proc = _up(data, env, port)
    try:
        output = _until_ready(proc, data)
        head, admin, logins = _accounts(port, data)
        api = endscreen.computed(head, admin, _day(data))
        residents = head.call("GET", f"/api/v1/residents?station_id={district.XIHULU.id}"
                                     "&page_size=200")
        return {"output": output, "api": api, "residents": residents}
    finally:
        assert _stop(proc) == 0


def test_the_end_screen_prints_what_the_reporting_api_answers(demo_run):
    first = demo_run["runs"][0]
    printed, api = endscreen.parse(first["output"]), first["api"]["station"]
    assert set(printed) == {key for key, _, _ in district.REPORT}
    for key, value in printed.items():
        assert value.replace(",", "") == str(api[key]), key
    # the stations side by side: each station's line carries the API's figures
    for station in first["api"]["stations"].values():
        line = next(x for x in first["output"].splitlines() if station["name"] in x
                    and "RMB" not in x and "·" not in x)
        assert line.split()[1:5] == [str(station["visits"]), str(station["activities"]),
                                     f"{station['person_times']:,}",
                                     str(station["organizations"])], line
    # every kind of work is there, and the names are the demo's accounts
    assert api["cases"] > 0 and api["visits"] > 0 and api["person_times"] > 0
    assert Decimal(api["resources_rmb"]) > 0 and api["members"] > api["party_members"] > 0
    assert "/dashboard/" in first["output"] and "demo-auditor" in first["output"]


def test_running_it_again_says_the_demo_is_there_and_adds_nothing(demo_run):
    first, second = demo_run["runs"]
    assert second["api"] == first["api"]
    assert second["residents"]["total"] == first["residents"]["total"]
    assert endscreen.parse(second["output"]) == endscreen.parse(first["output"])
    logged = (demo_run["data"].parent / "data-stderr.log").read_text()
    assert "the demo is already loaded" in logged


def test_the_loaded_residents_are_the_planned_ones_graded_and_masked(demo_run):
    data = demo_run["data"]
    planned = plan(int(SEED), float(SCALE), _day(data), RUBRICS)
    registered = [s for s in planned if s.lane == district.XIHULU.id
                  and s.key.split(":")[1] == "resident"]
    residents = demo_run["runs"][0]["residents"]
    assert residents["total"] == len(registered)
    assert Counter(r["community_id"] for r in residents["items"]) == \
        Counter(s.body["community_id"] for s in registered)
    assert all(r["card"] in ("red", "blue", "green") for r in residents["items"])
    assert all("*" in r["id_number"] for r in residents["items"])     # lists mask


def test_ctrl_c_while_loading_flushes_every_outbox_and_the_next_run_resumes(
        amqp_uri, tmp_path, tmp_path_factory):
    with station_slot(tmp_path_factory):
        _interrupt_then_resume(tmp_path, _env(amqp_uri))


def _interrupt_then_resume(tmp_path: Path, env: dict) -> None:
    data, port = tmp_path / "data", free_port()
    proc = _up(data, env, port)
    journal = data / "demo" / "journal.jsonl"
    try:
        deadline = time.monotonic() + 240
        while not (journal.exists() and len(journal.read_text().splitlines()) >= 60):
            assert proc.poll() is None and time.monotonic() < deadline, "no progress"
            time.sleep(0.2)
    finally:
        assert _stop(proc) == 0
    done = len(journal.read_text().splitlines())
    params = json.loads((data / "demo" / "plan.json").read_text())
    assert 60 <= done < params["steps"] and params["complete"] is False
    config = {"STATION_DATA_DIR": str(data)}
    for name in catalog.SERVICES:
        store = open_store(name, config, catalog.registry(name), catalog.projections(name))
        assert health.relay(store.engine, name)["lag"] == 0, f"{name}: events left in the outbox"

    port = free_port()
    proc = _up(data, env, port)
    try:
        output = _until_ready(proc, data)
        head, admin, _ = _accounts(port, data)
        api = endscreen.computed(head, admin, _day(data))["station"]
    finally:
        assert _stop(proc) == 0
    assert "resuming at step" in (tmp_path / "data-stderr.log").read_text()
    planned = plan(int(SEED), float(SCALE), _day(data), RUBRICS)
    kinds = Counter(s.key.split(":")[1] for s in planned if s.lane == district.XIHULU.id
                    and s.path in ("/api/v1/visits", "/api/v1/cases",
                                   "/api/v1/organizations/{}/members"))
    assert api["visits"] == kinds["visit"] + kinds["consolation"]      # none twice
    assert api["members"] == kinds["member"] and api["cases"] == kinds["case"]
    assert endscreen.parse(output)["visits"] == str(api["visits"])


def test_the_stores_verify_rebuild_identically_and_replay_a_resident(demo_run):
    env, data = demo_run["env"], str(demo_run["data"])
    verify = station("events", "verify", "--data-dir", data, env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True

    config = {"STATION_DATA_DIR": data}
    before = {}
    for name in ("residents", "casework", "activities", "resources"):
        meta = catalog.projections(name)
        store = open_store(name, config, catalog.registry(name), meta)
        before[name] = (store, meta, table_snapshot(store.engine, meta))
    rebuilt = station("projections", "rebuild", "--data-dir", data, env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    for name, (store, meta, snapshot) in before.items():
        assert table_snapshot(store.engine, meta) == snapshot, f"{name} rebuilt differently"

    items = demo_run["runs"][0]["residents"]["items"]
    resident_id = min(items, key=lambda r: ("red", "blue", "green").index(r["card"]))["id"]
    audit = station("audit", "resident", resident_id, "--data-dir", data, env=env)
    assert audit.returncode == 0, audit.stderr
    timeline = json.loads(audit.stdout)          # the report alone: log lines go to stderr
    assert timeline["verified"] is True
    types = [e["type"] for e in timeline["events"]]
    assert "CardAssigned" in types and "FollowUpScheduled" in types
    assert types.index("CardAssigned") < types.index("FollowUpScheduled")
    assert not any(r["name"] in audit.stdout for r in items if r.get("name"))
