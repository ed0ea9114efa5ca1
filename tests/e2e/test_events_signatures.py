"""`station events verify` checks signatures (issue #9): a chain rewritten with every hash
recomputed, as someone with database access can, fails and names the event; an honest
store verifies; events stored before signing are reported unsigned until adopted."""
from __future__ import annotations

import json
import sqlite3

import orjson
import pytest

from shared import hashchain
from shared.events import NewEvent
from tests.e2e.test_events_cli import casework_store, station  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

COLUMNS = ("event_id", "stream_id", "stream_version", "type", "schema_version", "station_id",
           "occurred_at", "recorded_at", "actor", "correlation_id", "causation_id", "payload",
           "prev_hash", "hash")


@pytest.fixture
def store(casework_store):
    """test_events_cli's store (stream case-1, three events) and a second stream."""
    casework_store.append("case-2", 0, [NewEvent("Probe", {"k": 9})])
    yield casework_store
    casework_store.engine.dispose()


def verify(tmp_path):
    out = station("events", "verify", "--service", "casework", "--data-dir", str(tmp_path))
    return out.returncode, json.loads(out.stdout)["services"]["casework"]["problems"]


def rewrite_chain(path, stream_id: str, version: int, payload: dict) -> str:
    """Edit one payload and recompute every hash after it: the chain holds again."""
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM events WHERE stream_id = ? "
            "ORDER BY stream_version", (stream_id,))]
        prev = hashchain.GENESIS
        for row in rows:
            row["payload"] = payload if row["stream_version"] == version else orjson.loads(
                row["payload"])
            row["prev_hash"], row["hash"] = prev, hashchain.chain(prev, row)
            db.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE id = ?",
                       (orjson.dumps(row["payload"]).decode(), row["prev_hash"], row["hash"],
                        row["id"]))
            prev = row["hash"]
        return rows[version - 1]["event_id"]


def test_an_honest_store_verifies_and_a_rewritten_chain_is_named(tmp_path, store):
    assert verify(tmp_path) == (0, [])

    event_id = rewrite_chain(tmp_path / "casework.db", "case-1", 2, {"k": 700})
    assert store.verify() == []                      # the hash chain alone is fooled
    code, problems = verify(tmp_path)
    assert code == 1
    assert problems == [{"stream_id": "case-1", "version": 2, "event_id": event_id,
                         "problem": "bad signature", "detail": "bad signature"}]


def test_events_stored_before_signing_are_unsigned_until_adopted(tmp_path, store):
    with sqlite3.connect(tmp_path / "casework.db") as db:
        db.execute("UPDATE events SET signature = NULL")   # as migration 0003 leaves them
    code, problems = verify(tmp_path)
    assert code == 1
    assert sorted((p["stream_id"], p["version"], p["problem"]) for p in problems) == [
        ("case-1", 1, "unsigned"), ("case-2", 1, "unsigned")]

    adopted = station("events", "sign-legacy", "--service", "casework",
                      "--data-dir", str(tmp_path))
    assert adopted.returncode == 0, adopted.stderr
    assert json.loads(adopted.stdout) == {"casework": {"signed": 4}}
    assert verify(tmp_path) == (0, [])


def test_legacy_adoption_refuses_a_broken_chain_and_signs_nothing(tmp_path, store):
    with sqlite3.connect(tmp_path / "casework.db") as db:
        db.execute("UPDATE events SET signature = NULL")
        db.execute("UPDATE events SET payload = '{\"k\": 5}' WHERE stream_id = 'case-2'")
    refused = station("events", "sign-legacy", "--service", "casework",
                      "--data-dir", str(tmp_path))
    assert refused.returncode == 1
    assert "hash chains broken" in json.loads(refused.stdout)["casework"]["error"]
    with sqlite3.connect(tmp_path / "casework.db") as db:
        assert db.execute("SELECT count(*) FROM events WHERE signature IS NOT NULL"
                          ).fetchone() == (0,)
