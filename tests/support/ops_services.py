"""A subscriber for the ops tests: `flaky` is the ledger under another name whose handler
fails for the event numbers listed in `$STATION_DATA_DIR/flaky-fail` (one per line), so
a test can park a message, fix the cause (empty the file) and replay it."""
from __future__ import annotations

import os
import pathlib

import sqlalchemy as sa

from shared.base_service import EventSourcedService
from shared.events import Registry
from shared.providers import InboxProvider, StoreProvider
from shared.relay import ConfirmingPublisher, Relay
from shared.subscriber import subscribe
from tests.support.services import Ledger, apply_counted


def failing() -> set[int]:
    path = pathlib.Path(os.environ["STATION_DATA_DIR"]) / "flaky-fail"
    return {int(n) for n in path.read_text().split()} if path.exists() else set()


def apply_unless_failing(conn, event) -> None:
    if event.payload["n"] in failing():
        raise RuntimeError(f"flaky failure n={event.payload['n']}")
    apply_counted(conn, event)


class Flaky(Ledger):
    name = "flaky"
    inbox = InboxProvider(lambda _store: {"Counted": apply_unless_failing}, sources=("tsource",))


# -- `scaled`: a subscriber run as several processes, each recording who applied what ----

scaled_tables = sa.MetaData()
handled = sa.Table(
    "handled", scaled_tables,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
)


def record_handled(conn, event) -> None:
    conn.execute(handled.insert().values(event_id=event.event_id, stream_id=event.stream_id,
                                         stream_version=event.stream_version,
                                         position=event.position, pid=os.getpid()))


class Scaled(EventSourcedService):
    name = "scaled"
    store = StoreProvider(Registry(), projections=scaled_tables)
    inbox = InboxProvider(lambda _store: {"Counted": record_handled}, sources=("tsource",))

    @subscribe("tsource")
    def on_tsource(self, envelope, headers, queue_name):
        return self.inbox.deliver("tsource", envelope, headers, queue_name)


def relay_for(store, amqp_uri: str, consumer: str, deployment: str = "") -> Relay:
    """A tsource relay of its own (its own lease holder, as each `station serve` process
    has) that declares `consumer`'s queue (the deployment's) before it publishes."""
    publisher = ConfirmingPublisher(amqp_uri, "tsource", {consumer: ("tsource",)},
                                    confirm_timeout=10, deployment=deployment)
    return Relay(store, publisher, "tsource", batch_size=200, max_backoff_s=1.0)


class ResidentsSource(EventSourcedService):
    """Answers `residents.read_all` and `store_id` over RPC from the residents-shaped store
    of tests.integration.casework_support.ResidentsFeed: what casework's inbox asks the
    residents service when it sees a gap (routine with several casework processes)."""
    name = "residents"

    @staticmethod
    def _registry():
        from tests.integration.casework_support import residents_registry
        return residents_registry()

    store = StoreProvider(_registry())
    on_casework = None  # a source only: no subscriber entrypoint generated for it
