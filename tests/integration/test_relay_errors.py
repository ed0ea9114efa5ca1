"""The relay tells an outage from a bug (issue 10, item 3): a bug is an error line with
its traceback, counted in the store for health; an outage is one line when it starts and
one when it ends, and is not counted."""
from __future__ import annotations

import json

import marshmallow as ma
import pytest

from shared import health, logs
from shared.events import NewEvent, Registry
from shared.eventstore import EventStore
from shared.relay import PublishFailed, Relay

pytestmark = pytest.mark.integration


class N(ma.Schema):
    n = ma.fields.Int(required=True)


class Scripted:
    """A publisher failing as told, then publishing (stands in for the broker's answers)."""

    def __init__(self, failures):
        self.failures, self.sent = list(failures), []

    def publish(self, batch, store_id=None, signer=None):
        if self.failures:
            raise self.failures.pop(0)
        self.sent += [e.event_id for e in batch]

    def close(self):
        pass


def run_until_sent(relay: Relay, publisher: Scripted, count: int) -> None:
    thread = relay.start()
    try:
        for _ in range(400):
            if len(publisher.sent) >= count:
                break
            thread.join(0.05)
    finally:
        relay.stop()
        thread.join(10)


def lines(capsys) -> list[dict]:
    err = capsys.readouterr().err
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.fixture
def captured(capsys):
    logs.configure("INFO")  # JSON lines to whatever sys.stderr is: capsys's
    return capsys


def test_a_bug_is_logged_with_its_traceback_and_counted(engine, captured):
    registry = Registry()
    registry.register("N", N)
    store = EventStore(engine, registry)
    store.append("s", 0, [NewEvent("N", {"n": 1})])
    publisher = Scripted([KeyError("a bug"), KeyError("a bug")])
    relay = Relay(store, publisher, "svc", max_backoff_s=0.05)
    run_until_sent(relay, publisher, 1)
    assert len(publisher.sent) == 1
    failed = [line for line in lines(captured) if line.get("event") == "relay.failed"]
    assert len(failed) == 2 and all(f["level"] == "error" for f in failed)
    assert "Traceback" in failed[0]["exception"] and "KeyError" in failed[0]["exception"]
    report = health.relay(engine, "svc")
    assert (report["errors"], report["last_error"]) == (2, "KeyError")


def test_an_outage_is_two_lines_and_not_counted(engine, captured):
    registry = Registry()
    registry.register("N", N)
    store = EventStore(engine, registry)
    store.append("s", 0, [NewEvent("N", {"n": 1})])
    publisher = Scripted([ConnectionRefusedError(), PublishFailed("unconfirmed"), OSError()])
    relay = Relay(store, publisher, "svc", max_backoff_s=0.05)
    run_until_sent(relay, publisher, 1)
    logged = [line for line in lines(captured) if line.get("event", "").startswith("relay.")]
    assert [line["event"] for line in logged] == ["relay.outage_started", "relay.outage_ended"]
    ended = logged[1]
    assert ended["attempts"] == 3
    assert health.relay(engine, "svc")["errors"] == 0
