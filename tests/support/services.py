"""Two small services for the backbone's tests: `tsource` records events, `ledger`
subscribes to them and keeps a projection of every application, so a test can count
exactly how many times each event was applied."""
from __future__ import annotations

import time

import marshmallow as ma
import sqlalchemy as sa
from nameko.rpc import rpc

from shared.base_service import EventSourcedService
from shared.events import Registry
from shared.providers import InboxProvider, StoreProvider
from shared.subscriber import subscribe


class CountedSchema(ma.Schema):
    n = ma.fields.Int(required=True)
    poison = ma.fields.Bool(load_default=False)
    slow_s = ma.fields.Float(load_default=0.0)


registry = Registry()
registry.register("Counted", CountedSchema)


class TSource(EventSourcedService):
    name = "tsource"
    store = StoreProvider(registry)


ledger_tables = sa.MetaData()
applied = sa.Table(
    "applied", ledger_tables,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
)


def apply_counted(conn, event) -> None:
    if event.payload.get("poison"):
        raise ValueError(f"poison event n={event.payload['n']}")
    if event.payload.get("slow_s"):
        time.sleep(event.payload["slow_s"])
    conn.execute(applied.insert().values(event_id=event.event_id, stream_id=event.stream_id,
                                         position=event.position, n=event.payload["n"]))


def ledger_handlers(_store):
    return {"Counted": apply_counted}


def ledger_reset(conn, source: str) -> None:
    """Before a resync: the ledger is rebuilt from the source's events alone."""
    conn.execute(applied.delete())


class Ledger(EventSourcedService):
    name = "ledger"
    store = StoreProvider(Registry(), projections=ledger_tables)
    inbox = InboxProvider(ledger_handlers, sources=("tsource",), on_resync=ledger_reset)

    @subscribe("tsource")
    def on_tsource(self, envelope, headers, queue_name):
        return self.inbox.deliver("tsource", envelope, headers, queue_name)

    @rpc
    def applied(self) -> list[dict]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(applied).order_by(applied.c.seq))
            return [dict(r._mapping) for r in rows]
