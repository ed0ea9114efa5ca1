"""The outbox relay: every committed event reaches RabbitMQ, and only committed events do.

The event table is the outbox. The relay numbers newly visible events (the store's
sequencer), reads them past its checkpoint in position order, publishes a batch with
publisher confirms pipelined (publish all, then wait for the acks), and advances its
checkpoint only over confirmed messages. If the broker goes away it retries with
backoff and republishes from the checkpoint, so a message may be sent twice, never
lost; subscribers drop the duplicate (shared.inbox). One relay per service works at a
time: it holds a lease in the service's own database, and a second one waits.

An outage (the broker or the database unreachable) is logged once when it starts and
once when it ends; any other exception is a bug: logged as an error with its traceback
and counted in the store (`relay_errors`, shown on health), then retried with backoff.
`station serve` runs the relay as a supervised child and restarts it when it dies.

No nameko or eventlet here: the relay runs as a plain thread or process.
"""
from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import timedelta
from typing import Callable, Sequence

import amqp
import amqp.exceptions
import kombu
import kombu.exceptions
import orjson
import sqlalchemy as sa

from shared import logs, topology
from shared.events import Recorded, iso, utcnow
from shared.eventstore import EventStore
from shared.tables import checkpoints, leases, store_meta

log = logs.get("relay")


class PublishFailed(Exception):
    """The broker nacked, returned or did not confirm a message in time."""


class Checkpoint:
    """A named position in a service's own database (relay or subscriber progress)."""

    def __init__(self, engine: sa.Engine, name: str):
        self.engine, self.name = engine, name

    def get(self, conn: sa.Connection | None = None) -> int:
        query = sa.select(checkpoints.c.position).where(checkpoints.c.name == self.name)
        if conn is not None:
            return conn.execute(query).scalar() or 0
        with self.engine.connect() as own:
            return own.execute(query).scalar() or 0

    def set(self, position: int, conn: sa.Connection | None = None) -> None:
        if conn is None:
            with self.engine.begin() as own:
                return self.set(position, own)
        updated = conn.execute(checkpoints.update().where(checkpoints.c.name == self.name)
                               .values(position=position)).rowcount
        if not updated:
            conn.execute(checkpoints.insert().values(name=self.name, position=position))


class Lease:
    """At most one holder of `name` at a time, renewed while held, expiring if abandoned."""

    def __init__(self, engine: sa.Engine, name: str, ttl_s: float = 15.0):
        self.engine, self.name, self.ttl = engine, name, timedelta(seconds=ttl_s)
        self.holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        now = utcnow()
        until = iso(now + self.ttl)
        try:
            with self.engine.begin() as conn:
                taken = conn.execute(
                    leases.update().where(leases.c.name == self.name)
                    .where(sa.or_(leases.c.holder == self.holder, leases.c.expires_at < iso(now)))
                    .values(holder=self.holder, expires_at=until)).rowcount
                if taken:
                    return True
                exists = conn.execute(sa.select(leases.c.holder).where(leases.c.name == self.name)).first()
                if exists:
                    return False
                conn.execute(leases.insert().values(name=self.name, holder=self.holder,
                                                    expires_at=until))
                return True
        except sa.exc.IntegrityError:  # two first holders at once: the other one won
            return False

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(leases.delete().where(leases.c.name == self.name)
                         .where(leases.c.holder == self.holder))


def message_of(event: Recorded, store_id: str | None = None,
               signer=None) -> tuple[bytes, dict, dict]:
    """Body, properties and headers of an event's message (message id = event id).

    `store_id` names the store the event (and its position) belongs to. signing: the
    event's stored signature and, with the service's `signer`, a delivery signature
    over (store id, position, hash) travel in the body and the headers."""
    signed = signing_fields(event, store_id, signer)
    body = orjson.dumps({**event.to_dict(), "store_id": store_id, **signed})
    headers = {**signed,
        "store_id": store_id,
        "stream_id": event.stream_id, "stream_version": event.stream_version,
        "position": event.position, "schema_version": event.schema_version,
        "event_type": event.type,
    }
    if event.correlation_id:
        headers["nameko.correlation_id"] = event.correlation_id
    properties = {"message_id": event.event_id, "content_type": "application/json",
                  "content_encoding": "utf-8", "delivery_mode": 2, "application_headers": headers}
    return body, properties, headers


def signing_fields(event: Recorded, store_id: str | None, signer) -> dict:
    """signing: what a message carries to prove its source (shared.signing)."""
    delivery = signer.deliver(store_id, event.position, event.hash) if signer else None
    return {"signature": event.signature, "delivery_signature": delivery}


class ConfirmingPublisher:
    """Publishes batches to one exchange with pipelined publisher confirms."""

    def __init__(self, amqp_uri: str, source: str, subscriptions=None,
                 confirm_timeout: float = 10.0, deployment: str = ""):
        self.amqp_uri, self.source, self.deployment = amqp_uri, source, deployment
        self.subscriptions = subscriptions
        self.confirm_timeout = confirm_timeout
        self._conn: kombu.Connection | None = None

    def connect(self) -> None:
        self.close()
        conn = kombu.Connection(self.amqp_uri, connect_timeout=5)
        conn.connect()
        channel = conn.channel()
        topology.declare_source(channel, self.source, self.subscriptions, self.deployment)
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self._conn, self._channel, self._tag = conn, channel, 0
        self._unconfirmed: set[int] = set()
        self._failed: list[str] = []

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # the broker may already be gone
                pass
            self._conn = None

    def publish(self, batch: Sequence[Recorded], store_id: str | None = None,
                signer=None) -> None:
        """Publish all, then wait until every one is confirmed; raise if any is not."""
        if self._conn is None:
            self.connect()
        exchange = topology.events_exchange(self.source, self.deployment).name
        for event in batch:
            body, properties, _ = message_of(event, store_id, signer)
            message = amqp.Message(body, **properties)
            self._channel._basic_publish(message, exchange=exchange, routing_key=event.type,
                                         mandatory=True)
            self._tag += 1
            self._unconfirmed.add(self._tag)
        deadline = time.monotonic() + self.confirm_timeout
        while self._unconfirmed and not self._failed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PublishFailed(f"{len(self._unconfirmed)} messages unconfirmed")
            try:
                self._conn.drain_events(timeout=min(left, 1.0))
            except socket.timeout:
                continue
        if self._failed:
            failed, self._failed = self._failed, []
            self.close()
            raise PublishFailed("; ".join(failed))

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)
        self._failed.append(f"nack {tag}")

    def _on_return(self, exc, exchange, routing_key, _message) -> None:
        self._failed.append(f"returned {routing_key} from {exchange}: {exc}")

    def _settle(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > tag}
        else:
            self._unconfirmed.discard(tag)


def outage_of(exc: BaseException) -> str | None:
    """'broker' or 'database' if `exc` means one is unreachable; None for anything else."""
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or (
            isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated):
        return "database"
    if isinstance(exc, (OSError, PublishFailed, amqp.exceptions.AMQPError,
                        kombu.exceptions.OperationalError)):
        return "broker"
    return None


def error_count(engine: sa.Engine, name: str) -> tuple[int, str | None]:
    """How many unexpected errors the relay `name` has had, and the last one's type."""
    keys = {f"relay:{name}:errors": "0", f"relay:{name}:last_error": None}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(store_meta).where(store_meta.c.key.in_(keys)))
        keys.update({r.key: r.value for r in rows})
    return int(keys[f"relay:{name}:errors"]), keys[f"relay:{name}:last_error"]


def _count_error(engine: sa.Engine, name: str, error_type: str) -> None:
    count, _ = error_count(engine, name)
    with engine.begin() as conn:
        for key, value in ((f"relay:{name}:errors", str(count + 1)),
                           (f"relay:{name}:last_error", error_type[:200])):
            if not conn.execute(store_meta.update().where(store_meta.c.key == key)
                                .values(value=value)).rowcount:
                conn.execute(store_meta.insert().values(key=key, value=value))


class Relay:
    """Moves one service's committed events to the broker, in order, at least once."""

    def __init__(self, store: EventStore, publisher: ConfirmingPublisher, name: str,
                 batch_size: int = 500, idle_s: float = 0.05, max_backoff_s: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep, lease_s: float = 15.0):
        self.store, self.publisher = store, publisher
        self.checkpoint = Checkpoint(store.engine, f"relay:{name}")
        self.lease = Lease(store.engine, f"relay:{name}", ttl_s=lease_s)
        self.batch_size, self.idle_s, self.max_backoff_s = batch_size, idle_s, max_backoff_s
        self.sleep, self.name = sleep, name
        self._stop = threading.Event()
        self.published = 0
        self.errors = 0
        self._outage: tuple[str, float, int] | None = None  # (kind, since, attempts)

    def run_once(self) -> int:
        """Publish the next batch; returns how many were confirmed (0 when idle)."""
        after = self.checkpoint.get()
        batch = self.store.read_all(after, self.batch_size)
        if not batch:
            return 0
        self.publisher.publish(batch, self.store.store_id, self.store.signer)
        self.checkpoint.set(batch[-1].position)
        self.published += len(batch)
        return len(batch)

    def run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                if not self.lease.acquire():
                    self._stop.wait(self.lease.ttl.total_seconds() / 3)
                    continue
                if self.run_once() == 0:
                    self._stop.wait(self.idle_s)
                self._recovered()
                backoff = 0.1
            except Exception as exc:
                self._failed(exc, backoff)
                self.publisher.close()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        self.drain()
        self.publisher.close()
        try:
            self.lease.release()
        except Exception:  # the database is away: the lease expires on its own
            pass

    def drain(self, within_s: float = 10.0) -> int:
        """On the way out: publish what was committed before the stop, so a clean stop
        leaves nothing in the outbox (the next start would publish it anyway; a stop
        that can't, for the broker or database is away or time is up, leaves it for
        that). Only the lease holder drains: another relay's events are its own."""
        deadline, published = time.monotonic() + within_s, 0
        try:
            if not self.lease.acquire():
                return 0
            while time.monotonic() < deadline:
                batch = self.run_once()
                if batch == 0:
                    break
                published += batch
        except Exception as exc:
            log.warning("relay.drain_incomplete", error_type=type(exc).__name__,
                        published=published)
            return published
        if published:
            log.info("relay.drained", published=published)
        return published

    def _failed(self, exc: Exception, backoff: float) -> None:
        kind = outage_of(exc)
        if kind is None:  # a bug, not an outage: say so loudly, count it for health
            self.errors += 1
            log.error("relay.failed", error_type=type(exc).__name__, retry_in_s=backoff,
                      exc_info=exc)
            try:
                _count_error(self.store.engine, self.name, type(exc).__name__)
            except Exception:  # the count is best effort; the error line is out already
                pass
        elif self._outage is None:
            self._outage = (kind, time.monotonic(), 1)
            log.warning("relay.outage_started", unreachable=kind, error=str(exc)[:200],
                        error_type=type(exc).__name__)
        else:
            self._outage = (self._outage[0], self._outage[1], self._outage[2] + 1)

    def _recovered(self) -> None:
        if self._outage is not None:
            kind, since, attempts = self._outage
            self._outage = None
            log.warning("relay.outage_ended", unreachable=kind, attempts=attempts,
                        lasted_s=round(time.monotonic() - since, 1))

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="relay", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
