"""Activities' figures read every event committed before the request, on PostgreSQL too.

CI found it (`test_volunteer_hours_of_a_community_are_its_volunteers…`, hours just
logged answered as none): on PostgreSQL an append leaves its event unnumbered, and
`read_all` numbers only when no other sequencer holds the lock; while the relay was
numbering, the figures were folded without the event the client had just written.
Here the relay's sequencer is a transaction holding the same advisory lock."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timezone

import pytest

from shared.events import NewEvent
from shared.stores import open_store
from services.activities import events, projections, queries

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def confirmed(log_id: str, hours: str) -> NewEvent:
    return NewEvent("VolunteerServiceConfirmed", {
        "volunteer_id": "v-1", "station_id": "st-1", "log_id": log_id,
        "served_on": "2026-11-30", "hours": hours, "activity_id": None,
        "organization_id": None, "confirmed_by": "worker"}, station_id="st-1",
        occurred_at=NOW, actor="worker")


def hold_the_sequencer(store, held: threading.Event, seconds: float) -> None:
    """What the relay does while it numbers: the sequencer's advisory lock, held."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.sequencer'))")
        held.set()
        time.sleep(seconds)


def test_hours_just_confirmed_count_while_the_relay_is_numbering(database_url, tmp_path):
    store = open_store("activities", {"STATION_DATA_DIR": str(tmp_path),
                                      "DATABASE_URL": database_url},
                       events.registry, projections.projection)
    try:
        store.append("volunteer-v-1", 0, [confirmed("l-1", "2")])
        assert queries.hours(store, None, date(2026, 12, 1), "volunteer")["total"] == "2.00"
        held = threading.Event()
        relay = threading.Thread(target=hold_the_sequencer, args=(store, held, 1.0))
        relay.start()
        try:
            assert held.wait(10)
            store.append("volunteer-v-1", 1, [confirmed("l-2", "3")])   # committed now
            answer = queries.hours(store, None, date(2026, 12, 1), "volunteer")
        finally:
            relay.join()
        assert answer["items"] == [{"key": "v-1", "hours": "5.00"}]
        assert answer["total"] == "5.00"
    finally:
        store.engine.dispose()
