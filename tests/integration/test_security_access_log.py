"""The access trail in a real store: each read an event, concurrent reads all kept."""
import threading
from datetime import datetime, timezone

import pytest

from shared.events import Registry
from shared.eventstore import EventStore
from shared.security import access_log
from shared.security.principal import Principal

pytestmark = pytest.mark.integration

WORKER = Principal("li.na", "social_worker", ("station:s1",))
AUDITOR = Principal("zhou", "auditor", ("district:nanming",))


@pytest.fixture
def store(engine):
    return EventStore(engine, access_log.register(Registry()))


def test_a_read_is_recorded_with_reader_role_reason_fields_and_time(store):
    at = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
    recorded = access_log.record_access(store, WORKER, "r1", "s1", "home visit",
                                        ["id_number", "phone"], now=at)
    assert recorded.stream_id == "access-r1" and recorded.actor == "li.na"
    assert recorded.station_id == "s1"
    assert access_log.access_trail(store, "r1") == [{
        "resident_id": "r1", "station_id": "s1", "reader": "li.na", "role": "social_worker",
        "reason": "home visit", "fields": ["id_number", "phone"],
        "at": "2026-11-28T10:00:00.000000+00:00"}]


def test_reads_accumulate_in_order_and_verify(store):
    access_log.record_access(store, WORKER, "r1", "s1", None, [])
    access_log.record_access(store, AUDITOR, "r1", "s1", "audit", [])
    assert [e["reader"] for e in access_log.access_trail(store, "r1")] == ["li.na", "zhou"]
    assert store.verify() == []


def test_a_read_recorded_in_the_callers_transaction_commits_with_it(store):
    with pytest.raises(RuntimeError):
        with store.engine.begin() as conn:
            access_log.record_access(store, WORKER, "r1", "s1", None, [], conn=conn)
            raise RuntimeError("the request failed")
    assert access_log.access_trail(store, "r1") == []


def test_concurrent_reads_of_one_resident_are_all_recorded(store):
    errors = []

    def read(n):
        try:
            access_log.record_access(store, WORKER, "r1", "s1", f"read {n}", [], attempts=20)
        except Exception as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)
    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(e["reason"] for e in access_log.access_trail(store, "r1")) == [
        f"read {n}" for n in range(8)]
