"""When an inbox's source store is replaced: notice it, resynchronise, or halt and say so.

A source's positions mean something only in one history of one store. That history
ends when the store is replaced:

- moved to a new database: the messages carry another store id;
- restored from an older backup: the same store id, but the positions after the backup
  are numbered again for other events, so a message at a position the inbox has passed
  names another event id than the one the inbox met there.

Either way the inbox asks the source which store it has now and reads that store's
`read_all` from the start: every event whose id it has not applied is applied, in order
(idempotent by event id), the position -> event id history is rewritten, and the
checkpoint set to the source's last position. A consumer whose read model was built
from positions (or from events the source no longer has) empties it first with its
`on_resync` hook, and then every event is folded again: the consumer ends with exactly
the source's events applied. An event it had applied before is folded with its `refold`
handlers when it has them (the read-model part only: a reaction it already made, such as
a follow-up scheduled, is not made twice); an event it never met runs its handlers.

If the source does not answer, nothing can be known for sure: the inbox halts (one
error line, `halted` with the reason on health), acknowledges and ignores messages
(the resync will read them all from the source), and tries again at each message until
the source answers; `station inbox resync CONSUMER SOURCE` does the same on demand.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from shared import inbox_order, logs
from shared.events import Recorded
from shared.tables import inbox_applied, inbox_sources, quarantine

if TYPE_CHECKING:
    from shared.inbox import Inbox, Outcome

log = logs.get("inbox")
COMMAND = "station inbox resync {consumer} {source}"
_stale_noted: set[tuple[str, str]] = set()


_UNASKED = object()


def ask_first(inbox: "Inbox", store_id: str | None, event: Recorded):
    """The source's store id if this message will need it, asked *before* the inbox takes
    its lock: an RPC inside the transaction would hold the store's write lock while this
    process serves other requests (with SQLite, everything else then waits on it)."""
    if store_id is None or store_id == inbox.following:
        return _UNASKED  # the usual case, known without a query (a restore is asked later)
    with inbox.engine.connect() as conn:
        row = conn.execute(sa.select(inbox_sources).where(
            inbox_sources.c.name == inbox.name)).first()
    if row is not None and row.store_id == store_id and row.status == "following":
        inbox.following = store_id
        return _UNASKED
    inbox.following = None
    return inbox._ask_source()


def check_source(inbox: "Inbox", conn, store_id: str | None, event: Recorded,
                 applied: int, asked=_UNASKED) -> "Outcome | None":
    """None if the message belongs to the history the inbox follows; else what was done.
    `asked`: the source's answer from ask_first (asked again here only if it was not)."""
    from shared.inbox import Outcome
    followed = _followed(inbox, conn, store_id, asked)
    changed = store_id is not None and store_id != followed.store_id
    halted = followed.status == "halted"
    diverged = not changed and event.position <= applied and _diverged(inbox, conn, event)
    if not (changed or halted or diverged):
        return None
    current = inbox._ask_source() if asked is _UNASKED else asked
    if changed and not halted and current == followed.store_id:
        _note_stale(inbox, store_id)
        return Outcome.STALE
    reason = (f"source store replaced: {followed.store_id} -> {store_id}" if changed else
              f"source history changed at position {event.position} (restored from a backup?)"
              if diverged else followed.reason or "halted")
    if current is None:
        return halt(inbox, conn, f"{reason}; the source does not answer")
    outcome = resync_or_halt(inbox, conn, reason, current)
    if outcome is Outcome.HALTED:
        return outcome
    if store_id not in (None, current):
        _note_stale(inbox, store_id)
        return Outcome.STALE
    return Outcome.RESYNCED  # the caller applies the event if the resync did not reach it


def notice_restore(inbox: "Inbox") -> "Outcome | None":
    """Between messages: has the source's store been restored or replaced? What was done,
    or None (nothing to do, or the source did not answer: asked again next time).

    `check_source` sees a restore only in a message. A source restored from an older
    backup that then writes nothing sends none, and the consumer would keep, for as long
    as the source is quiet, events the source no longer has (the fault suite found it).
    So a timer (shared.providers) asks the source for its store and committed head: a
    head below the position this inbox has applied means that history was cut."""
    if inbox.source_head is None:
        return None
    with inbox.engine.connect() as conn:   # what was applied, read before the head is asked
        row = conn.execute(sa.select(inbox_sources).where(
            inbox_sources.c.name == inbox.name)).first()
        applied = inbox.checkpoint.get(conn)
    if row is None or row.status != "following" or applied == 0:
        return None
    current, head = inbox._ask_source(), _ask_head(inbox)
    if current is None or head is None:
        return None
    if current != row.store_id:
        reason = f"source store replaced: {row.store_id} -> {current}"
    elif head < applied:
        reason = (f"source head {head} is behind position {applied} already applied "
                  f"(restored from a backup?)")
    else:
        return None
    with inbox.engine.begin() as conn:
        inbox._lock(conn)
        return resync_or_halt(inbox, conn, reason, current)


def _ask_head(inbox: "Inbox") -> int | None:
    try:
        return int(inbox.source_head())
    except Exception as exc:  # the source is not running: asked again next time
        log.info("inbox.source_head_unknown", source=inbox.source, error=type(exc).__name__)
        return None


def resync_or_halt(inbox: "Inbox", conn, reason: str, current: str | None = None) -> "Outcome":
    from shared.inbox import Outcome
    current = current or inbox._ask_source()
    inbox.following = None
    if current is None:
        return halt(inbox, conn, f"{reason}; the source does not answer")
    try:
        with conn.begin_nested():
            resync(inbox, conn, current, reason)
    except Exception as exc:  # the source went away mid-way: nothing of it is kept
        return halt(inbox, conn, f"{reason}; resync failed: {type(exc).__name__}: {exc}")
    return Outcome.RESYNCED


def halt(inbox: "Inbox", conn, reason: str) -> "Outcome":
    """Stop applying this source's messages; say so once (and on health)."""
    from shared.inbox import Outcome
    inbox.following = None
    row = conn.execute(sa.select(inbox_sources.c.status).where(
        inbox_sources.c.name == inbox.name)).first()
    if row is None or row.status != "halted":
        log.error("inbox.halted", consumer=inbox.consumer, source=inbox.source, reason=reason,
                  fix=COMMAND.format(consumer=inbox.consumer, source=inbox.source),
                  message=f"{inbox.consumer} stopped applying {inbox.source}'s events until "
                          f"they are resynchronised")
    conn.execute(inbox_sources.update().where(inbox_sources.c.name == inbox.name)
                 .values(status="halted", reason=reason[:2000]))
    return Outcome.HALTED


def resync(inbox: "Inbox", conn, store_id: str, reason: str) -> None:
    """Read the source's whole history and apply what this inbox has not (see module doc)."""
    log.warning("inbox.resync_started", consumer=inbox.consumer, source=inbox.source,
                reason=reason, store_id=store_id)
    known = set(conn.execute(sa.select(inbox_applied.c.event_id)
                             .where(inbox_applied.c.name == inbox.name)).scalars())
    if inbox.on_resync is not None:
        inbox.on_resync(conn)
    conn.execute(inbox_applied.delete().where(inbox_applied.c.name == inbox.name))
    conn.execute(quarantine.delete().where(quarantine.c.name == inbox.name))
    after, counts, seen = 0, {"applied": 0, "already": 0, "parked": 0, "held": 0}, set()
    while page := inbox.fetch(inbox.source, after, inbox.page_size):
        for envelope in page:
            inbox._check_fetched(envelope)  # signed by the source, or the resync fails
            event = Recorded.from_dict(envelope)
            counts[_resync_one(inbox, conn, event, envelope, event.event_id in known)] += 1
            seen.add(event.event_id)
            after = event.position
    inbox.checkpoint.set(after, conn)
    conn.execute(inbox_sources.update().where(inbox_sources.c.name == inbox.name)
                 .values(store_id=store_id, status="following", reason=None))
    log.warning("inbox.resynced", consumer=inbox.consumer, source=inbox.source,
                position=after, **counts, applied_before_not_in_source=len(known - seen))


def _resync_one(inbox: "Inbox", conn, event: Recorded, envelope, known: bool) -> str:
    if known and inbox.on_resync is None:
        inbox._remember(conn, event)
        return "already"
    if inbox_order.hold_if_behind(inbox, conn, event, envelope):  # behind a parked one
        return "held"
    try:
        with conn.begin_nested():
            inbox._apply(conn, event, refold=known)
        return "already" if known else "applied"
    except Exception as exc:  # parked with its error, shown on health; the others go on
        conn.execute(quarantine.insert().values(
            name=inbox.name, position=event.position, event_id=event.event_id,
            type=event.type, stream_id=event.stream_id, status="parked",
            error=f"{type(exc).__name__}: {exc}"[:2000]))
        log.warning("inbox.parked", consumer=inbox.consumer, source=inbox.source,
                    position=event.position, error_type=type(exc).__name__)
        return "parked"


def emptying(*tables: sa.Table):
    """An `on_resync` hook emptying the read-model tables a consumer folds from its source
    (a consumer of one source: casework, activities, resources), before the resync folds
    the source's events into them again."""
    def on_resync(conn, source: str | None = None) -> None:
        for table in tables:
            conn.execute(table.delete())
    return on_resync


def _followed(inbox: "Inbox", conn, store_id: str | None, asked=_UNASKED):
    """The store this inbox follows; at first contact the source's (or the message's)."""
    query = sa.select(inbox_sources).where(inbox_sources.c.name == inbox.name)
    row = conn.execute(query).first()
    if row is None:
        if store_id is not None and asked is _UNASKED:
            asked = inbox._ask_source()
        known = (asked if store_id is not None else None) or store_id
        if known is None:
            return _Unpinned
        conn.execute(inbox_sources.insert().values(name=inbox.name, store_id=known,
                                                   status="following"))
        row = conn.execute(query).first()
    return row


class _Unpinned:
    """No store id known yet (messages without one): nothing to compare with."""
    store_id = None
    status = "following"
    reason = None


def _diverged(inbox: "Inbox", conn, event: Recorded) -> bool:
    """True if the inbox met another event at this position of the source."""
    seen = conn.execute(sa.select(inbox_applied.c.event_id)
                        .where(inbox_applied.c.name == inbox.name)
                        .where(inbox_applied.c.position == event.position)).scalar()
    if seen is None:
        seen = conn.execute(sa.select(quarantine.c.event_id)
                            .where(quarantine.c.name == inbox.name)
                            .where(quarantine.c.position == event.position)).scalar()
    return seen is not None and seen != event.event_id


def _note_stale(inbox: "Inbox", store_id: str) -> None:
    key = (inbox.name, store_id)
    if key not in _stale_noted:
        _stale_noted.add(key)
        log.warning("inbox.stale_store", consumer=inbox.consumer, source=inbox.source,
                    store_id=store_id,
                    message="messages of a store the source no longer has are dropped")
