"""The inbox: how a subscriber applies another service's events exactly once, in order.

For each (consumer, source) it keeps the position of the last applied event, in the
consumer's own database and in the same transaction as the handler's writes, so a crash
between the two is impossible. Then, for a message at position p with checkpoint c:

- p <= c: already applied, dropped (at-least-once delivery, redeliveries);
- p == c + 1: applied, checkpoint = p;
- p > c + 1: a gap (a lost or overtaken message). The missing events c+1 .. p-1 are read
  from the source's `read_all` (over RPC) and applied first, then p.

A message whose handler fails is *quarantined* if it is next in line: the checkpoint
moves past it so the messages behind it are not held up, and its retries (and the final
parking, with the error) are tracked here. Per stream the order holds: a later event of
the same stream is held behind the quarantined one and applied right after it
(shared.inbox_order); other streams go on.

Handlers are `handler(conn, event)` with `event` a shared.events.Recorded; types the
consumer has no handler for are skipped but still advance the checkpoint.

Positions mean something only in one history of one source store. The inbox follows
the store the source has (`inbox_sources`) and remembers which event id it met at each
position (`inbox_applied`). When the source's store is replaced (a new database: another
store id; or a restore from a backup: the same id, but other events at known positions)
the inbox resynchronises from the source's `read_all` (shared.inbox_sync), idempotent by
event id. If it cannot (the source does not answer), it halts: one error line, the state
on health, messages acknowledged and ignored (the resync reads them all again), until
the source answers or an operator runs `station inbox resync CONSUMER SOURCE`.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Callable, Mapping

import sqlalchemy as sa

from shared import logs, signing
from shared.events import Recorded
from shared.relay import Checkpoint
from shared import inbox_order, inbox_sync
from shared.tables import inbox_applied, inbox_sources, quarantine

log = logs.get("inbox")

Handler = Callable[[sa.Connection, Recorded], None]
Fetch = Callable[[str, int, int], list[dict]]  # (source, after_position, limit) -> envelopes


def inbox_name(consumer: str, source: str) -> str:
    """The name of `consumer`'s inbox of `source`: its checkpoint's and its records'."""
    return f"inbox:{consumer}:{source}"


class Outcome(enum.Enum):
    APPLIED = "applied"
    CAUGHT_UP = "caught_up"  # applied after reading missing events from the source
    DUPLICATE = "duplicate"
    RETRIED = "retried"      # a quarantined event applied on retry
    STALE = "stale"          # of a store the source no longer has: dropped (logged once)
    RESYNCED = "resynced"    # the source's store was replaced: resynchronised from it
    HALTED = "halted"        # replaced, and the source could not confirm it: see module doc
    HELD = "held"            # behind an earlier quarantined event of its stream (inbox_order)


@dataclasses.dataclass
class Inbox:
    engine: sa.Engine
    consumer: str
    source: str
    handlers: Mapping[str, Handler]
    fetch: Fetch
    page_size: int = 500
    # Asks the source which store it has now (RPC); None or an error: trust the message.
    source_store_id: Callable[[], str | None] | None = None
    # Asks the source for its committed head (RPC): a timer compares it with what was
    # applied, to notice a restore while the source is quiet (inbox_sync.notice_restore).
    source_head: Callable[[], int] | None = None
    # signing: the public keys the source's signatures are checked with. Set, every
    # message is checked before anything is applied (signing.Rejected: the caller parks
    # it, the checkpoint does not move, so the genuine event at that position still
    # applies). None: unchecked (bare inboxes in tests).
    keyring: signing.Keyring | None = None
    # Empties what this consumer built from the source, before a resync folds the
    # source's events again (without it a resync applies only event ids it lacks).
    on_resync: Callable[[sa.Connection], None] | None = None
    # The read-model part of `handlers` (no reactions): what a resync after on_resync
    # folds an event with that this inbox had applied before. None: `handlers`.
    refold: Mapping[str, Handler] | None = None
    # The store id this inbox was last seen following (a cache: shared.inbox_sync.ask_first).
    following: str | None = dataclasses.field(default=None, repr=False)

    @property
    def name(self) -> str:
        return inbox_name(self.consumer, self.source)

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.engine, self.name)

    def handle(self, envelope: Mapping) -> Outcome:
        """Apply one delivered event (a dict as the relay sent it) exactly once.

        Raises signing.Rejected, having applied nothing, if its signatures do not hold."""
        if self.keyring is not None:
            signing.check_envelope(self.keyring, self.source, envelope)
        event = Recorded.from_dict(envelope)
        asked = inbox_sync.ask_first(self, envelope.get("store_id"), event)
        with self.engine.begin() as conn:
            applied = self._lock(conn)
            verdict = inbox_sync.check_source(self, conn, envelope.get("store_id"), event,
                                              applied, asked)
            if verdict is Outcome.RESYNCED:
                applied = self.checkpoint.get(conn)
                if event.position <= applied:
                    return verdict
            elif verdict is not None:
                return verdict
            if event.position <= applied:
                if self._quarantined(conn, event.position) != "retrying":
                    return Outcome.DUPLICATE
                if inbox_order.hold_if_behind(self, conn, event, envelope):
                    return Outcome.HELD
                self._apply(conn, event)
                conn.execute(quarantine.delete().where(quarantine.c.name == self.name)
                             .where(quarantine.c.position == event.position))
                inbox_order.release(self, conn, event.stream_id)
                return Outcome.RETRIED
            outcome = Outcome.APPLIED
            if event.position > applied + 1:
                self._catch_up(conn, applied, event.position - 1)
                outcome = Outcome.CAUGHT_UP
            if inbox_order.hold_if_behind(self, conn, event, envelope):
                outcome = Outcome.HELD
            else:
                self._apply(conn, event)
            self.checkpoint.set(event.position, conn)
            return outcome

    def quarantine(self, envelope: Mapping, error: str, parked: bool = False) -> bool:
        """Record a failed event; if it is next in line, move the checkpoint past it.

        Returns True if the event is (now) quarantined, False if it could not be because
        events before it are still missing (it will be retried in order then).
        """
        position = envelope["position"]
        with self.engine.begin() as conn:
            applied = self._lock(conn)
            status = "parked" if parked else "retrying"
            if self._quarantined(conn, position) is not None:
                conn.execute(quarantine.update().where(quarantine.c.name == self.name)
                             .where(quarantine.c.position == position)
                             .values(status=status, error=error[:2000]))
                return True
            if position != applied + 1:
                return False
            conn.execute(quarantine.insert().values(
                name=self.name, position=position, event_id=envelope["event_id"],
                type=envelope["type"], stream_id=envelope.get("stream_id"), status=status,
                error=error[:2000]))
            self.checkpoint.set(position, conn)
            return True

    def parked(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(quarantine).where(quarantine.c.name == self.name)
                                .order_by(quarantine.c.position))
            return [dict(r._mapping) for r in rows]

    def parked_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(quarantine)
                                .where(quarantine.c.name == self.name)
                                .where(quarantine.c.status.in_(("parked", "held")))).scalar()

    def _lock(self, conn: sa.Connection) -> int:
        """The checkpoint, locked until commit (SQLite: the write lock BEGIN IMMEDIATE took)."""
        query = sa.text("SELECT position FROM checkpoints WHERE name = :n")
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("INSERT INTO checkpoints (name, position) VALUES (:n, 0) "
                                 "ON CONFLICT (name) DO NOTHING"), {"n": self.name})
            query = sa.text("SELECT position FROM checkpoints WHERE name = :n FOR UPDATE")
        return conn.execute(query, {"n": self.name}).scalar() or 0

    def _ask_source(self) -> str | None:
        if self.source_store_id is None:
            return None
        try:
            return self.source_store_id()
        except Exception as exc:  # the source is not running: the first message decides
            log.info("inbox.source_store_unknown", source=self.source, error=type(exc).__name__)
            return None

    def _quarantined(self, conn, position: int) -> str | None:
        return conn.execute(sa.select(quarantine.c.status).where(quarantine.c.name == self.name)
                            .where(quarantine.c.position == position)).scalar()

    def _catch_up(self, conn, after: int, up_to: int) -> None:
        log.info("inbox.gap", consumer=self.consumer, source=self.source,
                 after=after, up_to=up_to)
        while after < up_to:
            page = self.fetch(self.source, after, min(self.page_size, up_to - after))
            if not page:
                raise LookupError(f"{self.source} has no events after {after}; expected {up_to}")
            for envelope in page:
                self._check_fetched(envelope)
                event = Recorded.from_dict(envelope)
                if event.position > up_to:
                    return
                if not inbox_order.hold_if_behind(self, conn, event, envelope):
                    self._apply(conn, event)
                after = event.position

    def _check_fetched(self, envelope: Mapping) -> None:
        """signing: an event read on catch-up must be signed too; if not, the whole
        catch-up fails (rolled back) and the delivered message is retried, not parked."""
        if self.keyring is None:
            return
        try:
            signing.check_envelope(self.keyring, self.source, envelope, delivered=False)
        except signing.Rejected as exc:
            raise LookupError(f"{self.source} event at position {envelope.get('position')} "
                              f"read on catch-up: {exc.reason}") from None
    def resync(self) -> Outcome:
        """Follow the store the source has now, reading all its events (operator command)."""
        with self.engine.begin() as conn:
            self._lock(conn)
            return inbox_sync.resync_or_halt(self, conn, "requested by an operator")

    def notice_restore(self) -> Outcome | None:
        """Between messages: resync if the source's store was restored or replaced."""
        return inbox_sync.notice_restore(self)

    def status(self) -> dict:
        """What health shows: the followed store, following or halted (and why)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(inbox_sources).where(
                inbox_sources.c.name == self.name)).first()
        if row is None:
            return {"status": "following", "store_id": None}
        return {"status": row.status, "store_id": row.store_id, "reason": row.reason}

    def _apply(self, conn, event: Recorded, refold: bool = False) -> None:
        table = self.refold if refold and self.refold is not None else self.handlers
        handler = table.get(event.type)
        if handler is not None:
            handler(conn, event)
        self._remember(conn, event)

    def _remember(self, conn, event: Recorded) -> None:
        conn.execute(inbox_applied.insert().values(name=self.name, position=event.position,
                                                   event_id=event.event_id))

