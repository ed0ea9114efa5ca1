"""Pure pieces of the backbone: hash chains, the schema registry, routing, topology."""
from __future__ import annotations

import marshmallow as ma
import pytest

from shared import hashchain, topology
from shared.events import InvalidEvent, Registry, UnknownEventType
from station.catalog import ROUTES
from station.router import match


def sealed(stream, version, prev, payload):
    event = {"event_id": f"e{version}", "stream_id": stream, "stream_version": version,
             "type": "T", "schema_version": 1, "station_id": None, "occurred_at": "t",
             "recorded_at": "t", "actor": None, "correlation_id": None, "causation_id": None,
             "payload": payload, "prev_hash": prev}
    event["hash"] = hashchain.chain(prev, event)
    return event


def chain_of(n):
    events, prev = [], hashchain.GENESIS
    for v in range(1, n + 1):
        events.append(sealed("s", v, prev, {"n": v}))
        prev = events[-1]["hash"]
    return events


def test_an_intact_chain_has_no_break():
    assert hashchain.first_break(chain_of(4)) is None


def test_an_edited_payload_breaks_the_chain_at_that_event():
    events = chain_of(4)
    events[2] = {**events[2], "payload": {"n": 99}}
    assert hashchain.first_break(events) == {"stream_id": "s", "version": 3, "problem": "altered"}


def test_a_deleted_event_is_reported_missing():
    events = chain_of(4)
    del events[1]
    assert hashchain.first_break(events) == {"stream_id": "s", "version": 2, "problem": "missing"}


def test_an_event_resealed_onto_another_predecessor_is_reported_reordered():
    events = chain_of(3)
    events[1] = sealed("s", 2, hashchain.GENESIS, {"n": 2})
    assert hashchain.first_break(events)["problem"] == "reordered"


def test_canonical_form_ignores_key_order_and_position():
    a = sealed("s", 1, hashchain.GENESIS, {"a": 1, "b": 2})
    b = {**a, "payload": {"b": 2, "a": 1}, "position": 42}
    assert hashchain.canonical(a) == hashchain.canonical(b)


class Visit(ma.Schema):
    method = ma.fields.Str(required=True, validate=ma.validate.OneOf(["home", "phone"]))


def test_the_registry_refuses_unknown_types_and_invalid_payloads():
    registry = Registry()
    registry.register("VisitRecorded", Visit)
    with pytest.raises(UnknownEventType):
        registry.validate("Nope", {})
    with pytest.raises(InvalidEvent) as err:
        registry.validate("VisitRecorded", {"method": "fax"})
    assert "method" in err.value.errors
    assert registry.validate("VisitRecorded", {"method": "home"}) == {"method": "home"}


def test_upcasters_raise_a_payload_one_version_at_a_time():
    registry = Registry()
    registry.register("VisitRecorded", Visit, version=3, upcasters={
        1: lambda p: {"method": p.get("how", "home")},
        2: lambda p: {**p, "v3": True}})
    assert registry.upcast("VisitRecorded", 1, {"how": "phone"}) == (3, {"method": "phone", "v3": True})
    assert registry.upcast("VisitRecorded", 3, {"method": "home"}) == (3, {"method": "home"})


@pytest.mark.parametrize("path, service", [
    ("/api/v1/residents/abc/history", "residents"),
    ("/api/v1/residents?card=red", "residents"),
    ("/api/v1/reports/stations/x/summary", "reporting"),
    ("/api/v1/casework/ping", "casework"),
    ("/api/v1/visits", "casework"),
    ("/api/v1/residents/abc/timeline", "reporting"),
    ("/api/v1/residents/abc/timeline?as_of=2026-11-30", "reporting"),
    ("/api/v1/residents/abc/timeline/x", "residents"),
])
def test_the_edge_routes_each_path_to_the_service_that_owns_it(path, service):
    assert match(ROUTES, path) == service


def test_the_edge_does_not_route_a_prefix_that_only_shares_letters():
    assert match(ROUTES, "/api/v1/residentsX") is None


def test_a_sources_exchange_sends_unroutable_messages_to_a_kept_queue():
    exchange = topology.events_exchange("residents")
    assert exchange.arguments == {"alternate-exchange": "residents.events.unrouted"}
    assert topology.inbox_queue("casework", "residents").routing_key == "#"
    assert topology.subscribers_of("residents", {"casework": ("residents",), "x": ("y",)}) == ["casework"]
