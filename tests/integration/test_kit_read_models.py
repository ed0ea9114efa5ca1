"""Read models migrate: a projection whose declared version changed is rebuilt from the
events at start (a new column reaches an existing database, filled); one whose tables
differ from their declaration at the same version stops the start, loudly."""
from __future__ import annotations

import marshmallow as ma
import pytest
import sqlalchemy as sa

from shared.events import NewEvent, Registry
from shared.eventstore import EventStore
from shared.kit.projections import Projection, ReadModelDrift


class ThingMade(ma.Schema):
    thing_id = ma.fields.Str(required=True)
    colour = ma.fields.Str(required=True)


registry = Registry()
registry.register("ThingMade", ThingMade)


def things_v1():
    metadata = sa.MetaData()
    table = sa.Table("things_view", metadata, sa.Column("thing_id", sa.String(40), primary_key=True))
    apply = {"ThingMade": lambda conn, e: conn.execute(
        table.insert().values(thing_id=e.payload["thing_id"]))}
    return Projection("things", metadata, apply, version=1), table


def things_v2(version: int = 2):
    """The same table with a new column, `colour`, filled from the same events."""
    metadata = sa.MetaData()
    table = sa.Table("things_view", metadata, sa.Column("thing_id", sa.String(40), primary_key=True),
                     sa.Column("colour", sa.String(20)))
    apply = {"ThingMade": lambda conn, e: conn.execute(table.insert().values(**e.payload))}
    return Projection("things", metadata, apply, version=version), table


def make(store: EventStore, projection: Projection, thing_id: str, colour: str) -> None:
    with store.engine.begin() as conn:
        stored = store.append(f"thing-{thing_id}", 0,
                              [NewEvent("ThingMade", {"thing_id": thing_id, "colour": colour})],
                              conn=conn)
        projection.apply_all(conn, stored)


def rows(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(table)))


def test_a_new_version_is_rebuilt_from_the_events_with_its_new_column(engine):
    store = EventStore(engine, registry)
    old, old_table = things_v1()
    assert old.ensure(store) == "rebuilt"  # first start: nothing stored yet
    make(store, old, "t1", "red")
    make(store, old, "t2", "blue")
    assert old.ensure(store) == "current"  # a restart changes nothing
    assert rows(engine, old_table) == [("t1",), ("t2",)]

    new, new_table = things_v2()
    assert new.ensure(store) == "rebuilt"
    assert rows(engine, new_table) == [("t1", "red"), ("t2", "blue")]
    assert new.ensure(store) == "current"


def test_a_changed_table_without_a_new_version_stops_the_start(engine):
    store = EventStore(engine, registry)
    old, _ = things_v1()
    old.ensure(store)
    make(store, old, "t1", "red")
    same_version, _ = things_v2(version=1)
    with pytest.raises(ReadModelDrift, match=r"things_view.*missing columns \['colour'\]"):
        same_version.ensure(store)
