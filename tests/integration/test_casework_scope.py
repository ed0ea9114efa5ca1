"""Casework's scope checks (services.casework.access) on a real store, SQLite and
PostgreSQL: the organisation tree kept from the residents' events, the station of each
thing from casework's own read models, and out-of-scope refused exactly as missing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from shared.events import Recorded, iso
from shared.security.principal import Principal

from services.casework import handlers, policy, projections, queries
from services.casework import queries as access
from services.casework.case import CaseNotFound
from services.casework.commands import OpenCase
from services.casework.events import registry
from services.casework.visit import ResidentUnknown
from tests.integration.test_casework_handlers import new_ctx

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
ORG_EVENTS = [("StreetAdded", {"street_id": "xihulu", "district_id": "nanming", "name": "西湖路"}),
              ("StreetAdded", {"street_id": "zhonghua", "district_id": "nanming", "name": "中华"}),
              ("StationAdded", {"station_id": "st-1", "street_id": "xihulu", "name": "一站"}),
              ("StationAdded", {"station_id": "st-2", "street_id": "zhonghua", "name": "二站"}),
              ("StreetAdded", {"street_id": "far", "district_id": "yunyan", "name": "远"}),
              ("StationAdded", {"station_id": "st-3", "street_id": "far", "name": "三站"})]


def event(type_: str, payload: dict, position: int) -> Recorded:
    """A residents' event as the inbox hands it to a handler."""
    return Recorded(event_id=f"res-evt-{position}", stream_id=f"org-{position}",
                    stream_version=1, position=position, type=type_, schema_version=1,
                    station_id=payload.get("station_id"), occurred_at=iso(T0),
                    recorded_at=iso(T0), actor="residents", correlation_id=None,
                    causation_id=None, payload=payload, prev_hash="", hash="")


def residents_events() -> list[Recorded]:
    found = [event(t, p, n) for n, (t, p) in enumerate(ORG_EVENTS, 1)]
    n = len(found)
    for resident, station in (("res-1", "st-1"), ("res-2", "st-2")):
        n += 1
        found.append(event("ResidentRegistered", {"resident_id": resident,
                                                  "station_id": station,
                                                  "community_id": "cm"}, n))
    return found


@pytest.fixture
def ctx(engine):
    ctx = new_ctx(engine)
    table = handlers.residents_handlers(ctx.store, ctx.policy)
    with engine.begin() as conn:
        for e in residents_events():
            table[e.type](conn, e)
    for case_id, resident, station in (("case-1", "res-1", "st-1"), ("case-2", "res-2", "st-2")):
        handlers.execute(ctx, OpenCase(case_id, resident, station, "elderly", "x", "wang",
                                       "wang"), T0)
    return ctx


def who(role: str, *scopes: str) -> Principal:
    return Principal("someone", role, scopes)


def test_street_and_district_scopes_cover_the_stations_the_residents_events_put_there(ctx):
    with ctx.store.engine.connect() as conn:
        assert access.stations_in_scope(conn, who("district_admin", "district:nanming")) == [
            "st-1", "st-2"]
        assert access.stations_in_scope(conn, who("street_leader", "street:zhonghua")) == [
            "st-2"]
        assert access.stations_in_scope(conn, who("supervisor", "station:st-3",
                                                  "street:xihulu")) == ["st-1", "st-3"]
        assert access.stations_in_scope(conn, who("auditor", "district:nowhere")) == []


def test_a_thing_out_of_scope_is_refused_with_the_same_exception_as_a_missing_one(ctx):
    worker = who("social_worker", "station:st-1")
    with ctx.store.engine.connect() as conn:
        assert access.require(conn, worker, "case", "case-1") == "st-1"
        with pytest.raises(CaseNotFound) as outside:
            access.require(conn, worker, "case", "case-2")
        with pytest.raises(CaseNotFound) as missing:
            access.require(conn, worker, "case", "case-9")
        assert outside.value.message == missing.value.message.replace("case-9", "case-2")
        with pytest.raises(ResidentUnknown):
            access.resident_station(conn, worker, "res-2")
        with pytest.raises(access.NotTheResidentsStation):
            access.resident_station(conn, worker, "res-1", claimed="st-2")
        with pytest.raises(access.StationNotFound):
            access.stations_in_scope(conn, worker, "st-2")


def test_ids_that_cannot_name_anything_are_missing_not_a_database_error(ctx):
    head = who("station_head", "district:nanming")
    with ctx.store.engine.connect() as conn:
        for nonsense in ("case\x00", "c" * 101, ""):
            with pytest.raises(CaseNotFound):
                access.require(conn, head, "case", nonsense)
        with pytest.raises(access.StationNotFound):
            access.require_station(conn, head, "st\x00")


def test_lists_read_the_given_stations_only(ctx):
    with ctx.store.engine.connect() as conn:
        assert [c["id"] for c in queries.list_cases(conn, stations=["st-2"])["items"]] == [
            "case-2"]
        assert queries.list_cases(conn, stations=[])["items"] == []
        assert queries.list_cases(conn)["total"] == 2


def test_the_organisation_tree_rebuilds_from_the_residents_events(ctx):
    def tree():
        with ctx.store.engine.connect() as conn:
            return (projections.org_map(conn),
                    sorted(tuple(r) for r in conn.execute(sa.select(
                        projections.known_residents.c.resident_id,
                        projections.known_residents.c.station_id))))
    live = tree()
    assert live[0] == {"st-1": ("xihulu", "nanming"), "st-2": ("zhonghua", "nanming"),
                       "st-3": ("far", "yunyan")}
    projections.rebuild_residents(ctx.store.engine, [e.to_dict() for e in residents_events()])
    assert tree() == live
