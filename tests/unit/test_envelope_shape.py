"""A delivered body is an event envelope or is parked at once (shared.envelope); health
calls a service with parked messages `degraded`, ready (station.edge_health)."""
from __future__ import annotations

from unittest import mock

import pytest

from shared import envelope
from shared.events import NewEvent, Recorded
from station import edge_health


def genuine() -> dict:
    event = NewEvent("ResidentRegistered", {"resident_id": "r-1"})
    recorded = Recorded(event_id=event.event_id, stream_id="resident-r-1", stream_version=1,
                        position=3, type=event.type, schema_version=1, station_id="st-1",
                        occurred_at="2026-01-01T00:00:00.000000+00:00",
                        recorded_at="2026-01-01T00:00:00.000000+00:00", actor=None,
                        correlation_id=None, causation_id=None, payload=dict(event.payload),
                        prev_hash="0" * 64, hash="1" * 64, signature="k:s")
    return {**recorded.to_dict(), "store_id": "store-1", "delivery_signature": "k:d"}


def test_an_envelope_as_the_relay_sends_it_passes():
    assert envelope.problem(genuine()) is None
    older = {k: v for k, v in genuine().items() if k not in envelope.OPTIONAL}
    assert envelope.problem(older) is None


@pytest.mark.parametrize("body, says", [
    ([1, 2, 3], "the body is a list"),
    ("text", "the body is text"),
    (7, "the body is a number"),
    (None, "the body is null"),
    ({}, "missing event_id"),
])
def test_a_body_that_is_no_object_or_has_no_fields_is_named(body, says):
    assert says in envelope.problem(body)


@pytest.mark.parametrize("field, value, says", [
    ("position", "7", "position is text"),
    ("position", True, "position is a boolean"),
    ("position", 0, "position must be 1 or more"),
    ("stream_version", 1.5, "stream_version is a number"),
    ("payload", [1], "payload is a list"),
    ("event_id", None, "event_id is null"),
    ("store_id", 5, "store_id is a number"),
])
def test_a_field_of_the_wrong_type_is_named(field, value, says):
    assert says in envelope.problem({**genuine(), field: value})


def test_the_edge_calls_a_service_with_parked_messages_degraded_and_ready():
    reports = {"residents": {"status": "ok", "failing": [], "degraded": []},
               "casework": {"status": "degraded", "failing": [],
                            "degraded": ["inbox:residents"]}}
    with mock.patch.object(edge_health, "service_readiness", lambda name, port, **_: reports[name]):
        status, body = edge_health.readiness({"residents": 1, "casework": 2})
        assert (status, body["status"]) == (200, "degraded")
        assert body["degraded"] == {"casework": ["inbox:residents"]}
        assert "parked messages: casework" in edge_health.describe(body)
        reports["residents"] = {"status": "failing", "failing": ["database"]}
        status, body = edge_health.readiness({"residents": 1, "casework": 2})
        assert (status, body["status"]) == (503, "failing")
        assert body["failing"] == {"residents": ["database"]}
