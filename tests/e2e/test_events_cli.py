"""`station events verify|tail|replay` against real stores on disk."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from shared.events import NewEvent
from shared.relay import Checkpoint
from shared.stores import open_store
from station import catalog

pytestmark = pytest.mark.e2e


def station(*args, env=None):
    return subprocess.run([sys.executable, "-m", "station.cli", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def casework_store(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from shared.events import Registry
    import marshmallow as ma

    class Any(ma.Schema):
        class Meta:
            unknown = ma.INCLUDE

    registry = Registry()
    registry.register("Probe", Any)
    store = open_store("casework", {"STATION_DATA_DIR": str(tmp_path)}, registry)
    store.append("case-1", 0, [NewEvent("Probe", {"k": i}) for i in range(3)])
    return store


def test_verify_passes_on_a_sound_store_and_names_the_altered_event(tmp_path, casework_store):
    ok = station("events", "verify", "--service", "casework", "--data-dir", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["ok"] is True

    with sqlite3.connect(tmp_path / "casework.db") as db:
        db.execute("UPDATE events SET payload = '{\"k\": 7}' WHERE stream_version = 2")
    bad = station("events", "verify", "--service", "casework", "--data-dir", str(tmp_path))
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["services"]["casework"]["problems"] == [
        {"stream_id": "case-1", "version": 2, "problem": "altered"}]


def test_tail_prints_envelopes_without_payload_values(tmp_path, casework_store):
    out = station("events", "tail", "casework", "--after", "0", "--data-dir", str(tmp_path))
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["position"] for line in lines] == [1, 2, 3]
    assert all("payload" not in line and line["payload_keys"] == ["k"] for line in lines)


def test_replay_moves_the_relay_checkpoint_back(tmp_path, casework_store):
    checkpoint = Checkpoint(casework_store.engine, "relay:casework")
    checkpoint.set(3)
    out = station("events", "replay", "casework", "--from", "1", "--data-dir", str(tmp_path))
    assert out.returncode == 0
    assert checkpoint.get() == 1
    assert "casework" in catalog.SERVICES
