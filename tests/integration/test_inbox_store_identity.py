"""A source store replaced by a fresh one (new data directory, restore) numbers its events
from 1 again; messages of the old store still queued must not be applied as if they were
the new store's. The inbox follows the store the source has now."""
from __future__ import annotations

import marshmallow as ma
import pytest
import sqlalchemy as sa

from shared import migrations
from shared.db import make_engine
from shared.events import NewEvent, Registry
from shared.eventstore import EventStore
from shared.inbox import Inbox, Outcome
from shared.relay import message_of

pytestmark = pytest.mark.integration


class N(ma.Schema):
    n = ma.fields.Int(required=True)


def source_store(tmp_path, name: str) -> EventStore:
    registry = Registry()
    registry.register("Counted", N)
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrations.upgrade(engine)
    return EventStore(engine, registry)


def delivered(store: EventStore):
    import orjson
    return [orjson.loads(message_of(e, store.store_id)[0]) for e in store.read_all(0, 100)]


def test_messages_of_a_replaced_source_store_are_dropped(engine, tmp_path):
    old, new = source_store(tmp_path, "old.db"), source_store(tmp_path, "new.db")
    assert old.store_id != new.store_id
    old.append("s", 0, [NewEvent("Counted", {"n": 100})])
    new.append("s", 0, [NewEvent("Counted", {"n": 1}), NewEvent("Counted", {"n": 2})])
    seen = []
    inbox = Inbox(engine, "ledger", "tsource", {"Counted": lambda conn, e: seen.append(e.payload["n"])},
                  fetch=lambda source, after, limit: [m for m in delivered(new)
                                                      if m["position"] > after][:limit],
                  source_store_id=lambda: new.store_id)
    (stale,) = delivered(old)
    assert inbox.handle(stale) is Outcome.FOREIGN
    assert [inbox.handle(m) for m in delivered(new)] == [Outcome.APPLIED, Outcome.APPLIED]
    assert seen == [1, 2]
    assert inbox.checkpoint.get() == 2


def test_without_an_answer_from_the_source_the_first_message_names_its_store(engine, tmp_path):
    store = source_store(tmp_path, "only.db")
    store.append("s", 0, [NewEvent("Counted", {"n": 1})])

    def down():
        raise TimeoutError("source not running")
    inbox = Inbox(engine, "ledger", "tsource", {}, fetch=lambda *a: [], source_store_id=down)
    (message,) = delivered(store)
    assert inbox.handle(message) is Outcome.APPLIED
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT store_id FROM inbox_sources")).scalar() == store.store_id
