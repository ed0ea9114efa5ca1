"""Must show (issue 20, item 2): casework's resync after the residents' store is restored
rebuilds the residents' picture it folded, and makes no reaction twice.

Casework's real inbox (its handlers, `on_resync` and `refold` as its service passes them)
on a real casework store (SQLite and PostgreSQL), fed by a residents-shaped SQLite store
that is restored from an older copy. After the resync, casework's residents' tables
equal a fold of the restored store's events (the lost resident is gone); the kept
resident's follow-up of its later card (green, then red) is still the one open: the
refold of the events casework had met before cancels and schedules nothing (its full
handlers would cancel the red one, replaying the green card).
"""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from services.casework import handlers as casework_handlers
from services.casework import policy, privacy
from services.casework import projections as casework
from shared.events import NewEvent
from shared.inbox import Inbox, Outcome
from shared.inbox_sync import emptying
from shared.relay import message_of
from shared.stores import open_store
from station import catalog
from tests.integration.casework_support import residents_registry
from tests.integration.test_inbox_stream_order import config  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


def copy_db(src, dst) -> None:
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def residents_store(path):
    return open_store("residents", {"DATABASE_URL": f"sqlite:///{path}"}, residents_registry())


def add(store, resident: str, card: str) -> None:
    store.append(f"resident-{resident}", 0, [
        NewEvent("ResidentRegistered", {"resident_id": resident, "station_id": "st-1",
                                        "community_id": "cm-1"}, station_id="st-1"),
        NewEvent("CardAssigned", {"resident_id": resident, "station_id": "st-1", "card": card,
                                  "domain_cards": {"elderly": card}, "reason": "assessment"},
                 station_id="st-1")])
    store.sequence()


def delivered(store) -> list[dict]:
    import orjson
    return [orjson.loads(message_of(e, store.store_id)[0]) for e in store.read_all(0, 1000)]


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)))
                for t in casework.FROM_RESIDENTS}


def followups(engine) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text(
            "SELECT resident_id, card, status FROM followups")).all())


def test_casework_resync_refolds_the_residents_picture_and_reacts_once(config, tmp_path):
    source_path = tmp_path / "residents-src.db"
    holder = {"store": residents_store(source_path)}
    add(holder["store"], "kept", "green")
    holder["store"].append("resident-kept", 2, [NewEvent("CardUpgraded", {
        "resident_id": "kept", "station_id": "st-1", "from_card": "green", "to_card": "red",
        "reason": "reassessment", "confirmed_by": "supervisor-1"}, station_id="st-1")])
    holder["store"].sequence()
    copy_db(source_path, tmp_path / "backup.db")
    add(holder["store"], "lost", "blue")

    store = open_store("casework", config, catalog.registry("casework"),
                       catalog.projections("casework"))
    privacy.vault(store)
    inbox = Inbox(store.engine, "casework", "residents",
                  casework_handlers.residents_handlers(store, policy.load()),
                  lambda source, after, limit: [e.to_dict() for e in
                                                holder["store"].read_all(after, limit)],
                  source_store_id=lambda: holder["store"].store_id,
                  on_resync=emptying(*casework.FROM_RESIDENTS),
                  refold=casework.RESIDENTS_REFOLD)
    try:
        assert {inbox.handle(m) for m in delivered(holder["store"])} == {Outcome.APPLIED}
        before = [("kept", "green", "cancelled"), ("kept", "red", "pending"),
                  ("lost", "blue", "pending")]
        assert followups(store.engine) == before

        holder["store"].engine.dispose()
        copy_db(tmp_path / "backup.db", source_path)
        holder["store"] = residents_store(source_path)
        add(holder["store"], "new", "green")      # at the positions the lost one had
        outcomes = [inbox.handle(m) for m in delivered(holder["store"])]
        assert Outcome.RESYNCED in outcomes

        live = snapshot(store.engine)
        with store.engine.connect() as conn:          # a fold of the restored store's events
            with conn.begin() as tx:
                emptying(*casework.FROM_RESIDENTS)(conn)
                for event in holder["store"].read_all(0, 1000):
                    applier = casework.RESIDENTS_REFOLD.get(event.type)
                    if applier:
                        applier(conn, event)
                folded = {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)))
                          for t in casework.FROM_RESIDENTS}
                tx.rollback()
        assert live == folded
        with store.engine.connect() as conn:
            known = set(conn.execute(sa.text("SELECT resident_id FROM known_residents")).scalars())
        assert known == {"kept", "new"}
        # The kept resident's follow-up is untouched (not cancelled by the refold, not
        # scheduled twice); the new resident's is scheduled once. (The lost resident's
        # follow-up is casework's own event: it stays, as a rebuild from zero keeps it.)
        assert followups(store.engine) == sorted(before + [("new", "green", "pending")])
    finally:
        holder["store"].engine.dispose()
        store.engine.dispose()
