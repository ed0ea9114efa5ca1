"""The main job end to end: `station up` with its demo station, then what ops and
auditors do with the stores it leaves: verify, rebuild projections (same result), replay
one resident's history across services."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from shared.stores import open_store
from station import catalog
from station.audit import table_snapshot
from station.demo import Api
from tests.conftest import free_port

pytestmark = pytest.mark.e2e


def station(*args, env):
    return subprocess.run([sys.executable, "-m", "station.cli", *args], env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture
def demo_run(amqp_uri, tmp_path):
    """Run `station up` until the demo is seeded and its summary printed, then Ctrl-C."""
    port, data = free_port(), tmp_path / "data"
    env = {**os.environ, "AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    for key in ("STATION_JWT_KEYS", "STATION_LOOKUP_KEY"):
        env.pop(key, None)  # the embedded default generates its own dev keys
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "up", "--port", str(port),
                             "--data-dir", str(data)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        logins = json.loads((data / "demo-logins.json").read_text())
        worker = Api(port).as_user("demo-worker", logins["demo-worker"])
        residents = worker.call("GET", "/api/v1/residents?station_id=xihulu-station&page_size=50")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    return {"output": "".join(lines), "data": data, "env": env, "residents": residents,
            "stderr": proc.stderr.read()}


def test_the_demo_station_is_graded_and_followed_up_by_events(demo_run):
    out = demo_run["output"]
    assert "demo station" in out, demo_run["stderr"][-2000:]
    counts = {card: int(out.split(label)[1].split()[0])
              for card, label in (("red", "红卡 red"), ("blue", "蓝卡 blue"), ("green", "绿卡 green"))}
    assert sum(counts.values()) == demo_run["residents"]["total"] == 21
    assert all(counts.values()), counts                       # a real mix of cards
    followups = int(out.split("跟进任务:")[1].split()[0])
    assert followups >= 21                                    # one per graded resident at least
    assert all("*" in r["id_number"] for r in demo_run["residents"]["items"])  # lists mask


def test_the_stores_verify_rebuild_identically_and_replay_a_resident(demo_run):
    env, data = demo_run["env"], str(demo_run["data"])
    verify = station("events", "verify", "--data-dir", data, env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True

    config = {"STATION_DATA_DIR": data}
    before = {}
    for name in ("residents", "casework"):
        meta = catalog.projections(name)
        store = open_store(name, config, catalog.registry(name), meta)
        before[name] = (store, meta, table_snapshot(store.engine, meta))
    rebuilt = station("projections", "rebuild", "--data-dir", data, env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    for name, (store, meta, snapshot) in before.items():
        assert table_snapshot(store.engine, meta) == snapshot, f"{name} rebuilt differently"

    resident_id = next(r["id"] for r in demo_run["residents"]["items"] if r["card"] == "red")
    audit = station("audit", "resident", resident_id, "--data-dir", data, env=env)
    assert audit.returncode == 0, audit.stderr
    timeline = json.loads(audit.stdout)
    assert timeline["verified"] is True
    services = {e["service"] for e in timeline["events"]}
    assert {"residents", "casework"} <= services
    types = [e["type"] for e in timeline["events"]]
    assert "CardAssigned" in types and "FollowUpScheduled" in types
    assert types.index("CardAssigned") < types.index("FollowUpScheduled")
    text = audit.stdout
    assert not any(r["name"] in text for r in demo_run["residents"]["items"] if r.get("name"))
