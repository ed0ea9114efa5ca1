"""nameko dependency providers: the only place services meet nameko's container.

- StoreProvider: the service's own event store (SQLite file or PostgreSQL schema),
  migrated at start; optional projection tables created beside it.
- InboxProvider: applies other services' events through shared.inbox, retrying and
  parking failures (see shared.subscriber for the entrypoint).
- Correlation: a correlation id bound to every log line of a worker and carried on
  through RPC calls and the events it causes.
"""
from __future__ import annotations

import functools
import uuid
from typing import Callable, Mapping

import eventlet
import kombu
from eventlet.semaphore import Semaphore
import sqlalchemy as sa
import structlog
from nameko.extensions import DependencyProvider

from shared import logs, signing, topology
from shared.kit.rpc import rpc_client
from shared.stores import open_store
from shared.events import Registry
from shared.eventstore import EventStore
from shared.inbox import Handler, Inbox

log = logs.get("providers")


class StoreProvider(DependencyProvider):
    def __init__(self, registry: Registry, projections: sa.MetaData | None = None):
        self.registry, self.projections = registry, projections

    def setup(self):
        self.store = open_store(self.container.service_name, self.container.config,
                                self.registry, self.projections)

    def stop(self):
        self.store.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.store


def rpc_store_id(config: Mapping, source: str, caller: str) -> Callable[[], str | None]:
    """Ask a source service which store it has now (a short timeout: it may be down),
    with `caller`'s service credential (shared.kit.rpc)."""
    def ask() -> str | None:
        with rpc_client(config, service=caller, timeout=5) as rpc:
            return getattr(rpc, source).store_id()
    return ask


def rpc_head(config: Mapping, source: str, caller: str) -> Callable[[], int]:
    """Ask a source service for its committed head (a short timeout: it may be down)."""
    def ask() -> int:
        with rpc_client(config, service=caller, timeout=5) as rpc:
            return getattr(rpc, source).head_position()
    return ask


def rpc_fetch(config: Mapping, caller: str) -> Callable[[str, int, int], list[dict]]:
    """Read a source service's events over RPC, with a timeout (catch-up after a gap),
    with `caller`'s service credential (shared.kit.rpc)."""
    def fetch(source: str, after: int, limit: int) -> list[dict]:
        with rpc_client(config, service=caller) as rpc:
            return getattr(rpc, source).read_all(after, limit)
    return fetch


class Deliveries:
    """What a subscriber entrypoint calls: apply, or quarantine and retry, or park."""

    def __init__(self, inboxes: dict[str, Inbox], amqp_uri: str, max_retries: int,
                 retry_delay_ms: int):
        self.inboxes, self.amqp_uri = inboxes, amqp_uri
        self.max_retries, self.retry_delay_ms = max_retries, retry_delay_ms
        # Workers of one source take turns in arrival order (eventlet semaphores are
        # FIFO), so concurrent workers do not overtake each other and fake a gap.
        self._turns = {source: Semaphore(1) for source in inboxes}

    def check_sources(self) -> None:
        """Each inbox asks its source whether its store was restored or replaced while
        quiet (shared.inbox_sync.notice_restore), in the source's turn with deliveries."""
        for source, inbox in self.inboxes.items():
            with self._turns[source]:
                try:
                    outcome = inbox.notice_restore()
                except Exception as exc:  # asked again next time; deliveries go on
                    log.warning("inbox.source_check_failed", source=source,
                                error_type=type(exc).__name__)
                    continue
            if outcome is not None:
                log.warning("inbox.source_checked", source=source, outcome=outcome.value)

    def deliver(self, source: str, envelope: dict, headers: Mapping, queue_name: str):
        inbox = self.inboxes[source]
        structlog.contextvars.bind_contextvars(event_type=envelope.get("type"),
                                               position=envelope.get("position"), source=source)
        with self._turns[source]:
            try:
                outcome = inbox.handle(envelope)
                log.debug("inbox.handled", outcome=outcome.value)
                return outcome.value
            except signing.Rejected as exc:  # forged or unsigned: parked at once, as is
                self._send(queue_name, envelope, {**headers, "x-rejected": exc.reason,
                                                  "x-error": f"rejected: {exc.reason}"})
                log.warning("inbox.rejected", reason=exc.reason)
                return "rejected"
            except Exception as exc:  # isolated: one bad event must not stop the others
                self._fail(inbox, envelope, headers, queue_name, exc)
                return "failed"

    def _fail(self, inbox, envelope, headers, queue_name, exc):
        retries = int(headers.get("x-retries", 0))
        final = retries >= self.max_retries
        error = f"{type(exc).__name__}: {exc}"
        inbox.quarantine(envelope, error, parked=final)
        target = (topology.parked_queue(queue_name) if final
                  else topology.retry_queue(queue_name))
        new_headers = {**headers, "x-retries": retries + 1, "x-error": error[:1000]}
        expiry = {} if final else {"expiration": self.retry_delay_ms / 1000}
        self._send(queue_name, envelope, new_headers, target, **expiry)
        log.warning("inbox.parked" if final else "inbox.retry_scheduled",
                    retries=retries + 1, error_type=type(exc).__name__)

    def _send(self, queue_name, envelope, headers, target=None, **expiry) -> None:
        """Publish to the queue's retry or (default) parking queue."""
        target = target or topology.parked_queue(queue_name)
        with kombu.Connection(self.amqp_uri, connect_timeout=5) as conn:
            producer = conn.Producer(serializer="json")
            producer.publish(envelope, exchange="", routing_key=target.name, headers=headers,
                             declare=[target], delivery_mode=2, retry=True,
                             retry_policy={"max_retries": 5}, **expiry)


class InboxProvider(DependencyProvider):
    """Gives the service `deliver(source, envelope, headers, queue)`.

    `store` names the service's StoreProvider attribute (nameko would clone a provider
    passed directly). `handlers(store)` returns {event type: handler(conn, event)};
    handlers may append to the service's own store with `conn`, so their events commit
    together with the checkpoint.
    """

    def __init__(self, handlers: Callable[[EventStore], Mapping[str, Handler]],
                 store: str = "store", sources: tuple[str, ...] | None = None,
                 on_resync: Callable[[sa.Connection, str], None] | None = None,
                 refold: Callable[[EventStore], Mapping[str, Handler]] | None = None):
        self.handlers, self.store_attr, self.sources = handlers, store, sources
        self.on_resync = on_resync  # (conn, source): empty what was built from source
        self.refold = refold        # store -> the read-model part of handlers (inbox_sync)

    deliveries: Deliveries | None = None

    def _build(self) -> Deliveries:
        # Built on first use: nameko sets providers up in no fixed order, so the
        # store may not exist yet at setup time.
        config = self.container.config
        service = self.container.service_name
        store = next(d for d in self.container.dependencies
                     if d.attr_name == self.store_attr).store
        sources = self.sources or topology.SUBSCRIPTIONS.get(service, ())
        fetch = rpc_fetch(config, service)
        table = self.handlers(store)
        keyring = signing.Keyring(config)
        return Deliveries(
            {s: Inbox(store.engine, service, s, table, fetch,
                      source_store_id=rpc_store_id(config, s, service),
                      source_head=rpc_head(config, s, service), keyring=keyring,
                      on_resync=self.on_resync and functools.partial(self.on_resync, source=s),
                      refold=self.refold and self.refold(store))
             for s in sources},
            config["AMQP_URI"], int(config.get("MAX_RETRIES", 3)),
            int(config.get("RETRY_DELAY_MS", 1000)))

    def start(self):
        """The timer of notice_restore (STATION_SOURCE_CHECK_S; 0: none)."""
        every = float(self.container.config.get("STATION_SOURCE_CHECK_S", 30))
        if every > 0:
            self.container.spawn_managed_thread(functools.partial(self._check_sources, every),
                                                identifier="InboxProvider.check_sources")

    def _check_sources(self, every: float) -> None:
        while True:
            eventlet.sleep(every)
            try:
                if self.deliveries is None:
                    self.deliveries = self._build()
                self.deliveries.check_sources()
            except Exception as exc:  # e.g. the store not open yet: next time
                log.warning("inbox.source_check_failed", error_type=type(exc).__name__)

    def get_dependency(self, worker_ctx):
        if self.deliveries is None:
            self.deliveries = self._build()
        return self.deliveries


class Correlation(DependencyProvider):
    """The worker's correlation id (from the caller or the event, else new), bound to logs."""

    def get_dependency(self, worker_ctx):
        # nameko injects dependencies before worker_setup runs.
        return worker_ctx.data.setdefault("correlation_id", str(uuid.uuid4()))

    def worker_setup(self, worker_ctx):
        correlation_id = self.get_dependency(worker_ctx)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=correlation_id, service=self.container.service_name,
            entrypoint=worker_ctx.entrypoint.method_name)

    def worker_teardown(self, worker_ctx):
        structlog.contextvars.clear_contextvars()
