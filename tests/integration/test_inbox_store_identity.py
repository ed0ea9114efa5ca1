"""A source store replaced by a fresh one (new data directory, restore) numbers its events
from 1 again; messages of the old store still queued must not be applied as if they were
the new store's. The inbox follows the store the source has now, resynchronising from it
when it changes (or halting, said on its status, when the source cannot confirm it)."""
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


def copy_db(src, dst) -> None:
    """A backup (or a restore) of a SQLite store, as sqlite3's online backup makes one."""
    import sqlite3
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def reads(holder: dict):
    """`fetch` as the source's read_all over RPC answers, from whatever store it has now."""
    return lambda source, after, limit: [e.to_dict() for e in holder["store"].read_all(after, limit)]


def counting_inbox(engine, holder: dict, seen: list, **kwargs) -> Inbox:
    return Inbox(engine, "ledger", "tsource",
                 {"Counted": lambda conn, e: seen.append(e.payload["n"])},
                 fetch=reads(holder), source_store_id=lambda: holder["store"].store_id, **kwargs)


def test_a_source_moved_to_a_new_store_is_resynchronised_by_event_id(engine, tmp_path):
    """Must show 1 (new database): events the old store shared with the new one are not
    applied twice; the new store's other events are all applied."""
    old = source_store(tmp_path, "old.db")
    shared_events = [NewEvent("Counted", {"n": n}) for n in (1, 2)]
    old.append("s", 0, shared_events)
    holder, seen = {"store": old}, []
    inbox = counting_inbox(engine, holder, seen)
    assert [inbox.handle(m) for m in delivered(old)] == [Outcome.APPLIED] * 2
    new = source_store(tmp_path, "new.db")  # the operator copied the events over, then more
    new.append("t", 0, [NewEvent("Counted", {"n": 0})])  # new positions: 1 is another event
    new.append("s", 0, shared_events)
    new.append("s", 2, [NewEvent("Counted", {"n": 3})])
    holder["store"] = new
    outcomes = [inbox.handle(m) for m in delivered(new)]
    assert outcomes[0] is Outcome.RESYNCED and set(outcomes[1:]) == {Outcome.DUPLICATE}
    assert sorted(seen) == [0, 1, 2, 3]  # 4 sent, 4 applied once each, none lost
    assert inbox.checkpoint.get() == 4 and inbox.status()["store_id"] == new.store_id


def test_a_source_restored_from_an_older_backup_is_rebuilt(engine, tmp_path):
    """Must show 1 (restore): same store id, positions reused for other events."""
    source = source_store(tmp_path, "src.db")
    source.append("s", 0, [NewEvent("Counted", {"n": n}) for n in range(1, 4)])
    copy_db(tmp_path / "src.db", tmp_path / "bk.db")
    source.append("s", 3, [NewEvent("Counted", {"n": n}) for n in range(4, 7)])
    holder, seen = {"store": source}, []
    inbox = counting_inbox(engine, holder, seen, on_resync=lambda conn: seen.clear())
    for message in delivered(source):
        inbox.handle(message)
    assert seen == [1, 2, 3, 4, 5, 6]
    source.engine.dispose()
    copy_db(tmp_path / "bk.db", tmp_path / "src.db")
    restored = source_store(tmp_path, "src.db")
    restored.append("s", 3, [NewEvent("Counted", {"n": n}) for n in (40, 50)])
    holder["store"] = restored
    assert restored.store_id == source.store_id
    outcomes = [inbox.handle(m) for m in delivered(restored)]
    assert Outcome.RESYNCED in outcomes
    assert seen == [1, 2, 3, 40, 50]  # exactly the source's events, in its order
    assert inbox.checkpoint.get() == 5


def test_a_replaced_source_that_does_not_answer_halts_the_inbox_until_resynced(engine, tmp_path):
    old, new = source_store(tmp_path, "old.db"), source_store(tmp_path, "new.db")
    old.append("s", 0, [NewEvent("Counted", {"n": 1})])
    new.append("s", 0, [NewEvent("Counted", {"n": n}) for n in (10, 20)])
    holder, seen = {"store": old}, []
    inbox = counting_inbox(engine, holder, seen)
    assert inbox.handle(delivered(old)[0]) is Outcome.APPLIED
    holder["store"] = None  # the source is down: store_id() answers nothing
    inbox.source_store_id = lambda: holder["store"] and holder["store"].store_id
    assert [inbox.handle(m) for m in delivered(new)] == [Outcome.HALTED] * 2
    status = inbox.status()
    assert status["status"] == "halted" and "does not answer" in status["reason"]
    assert seen == [1]
    holder["store"] = new
    assert inbox.resync() is Outcome.RESYNCED  # what `station inbox resync` runs
    assert seen == [1, 10, 20] and inbox.status()["status"] == "following"


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
    assert inbox.handle(stale) is Outcome.STALE
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
