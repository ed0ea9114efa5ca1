"""Command handlers: load the stream, decide, append at the version read, project — in
one transaction, so a refused command writes nothing. Routed by COMMAND_HANDLERS.

A ConcurrencyError (someone appended to the stream since it was read) runs the whole
command again on fresh state, a few times; the fresh decision may then refuse.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import sqlalchemy as sa

from shared import logs
from shared.eventstore import ConcurrencyError, EventStore
from shared.events import NewEvent

from services.reporting import approval, chain, projections
from services.reporting import commands as c

log = logs.get("reporting")
ATTEMPTS = 5


def _load(store: EventStore, conn, stream: str, fold):
    events = store.read_stream(stream, conn=conn)
    return fold(events), (events[-1].stream_version if events else 0)


def _report(store, conn, cmd, now, decide) -> tuple[str, int, list[NewEvent]]:
    stream = approval.stream_of(cmd.report_id)
    state, version = _load(store, conn, stream, approval.fold)
    return stream, version, decide(state, cmd, now)


def _suggestion(store, conn, cmd, now, decide):
    stream = f"suggestion-{cmd.suggestion_id}"
    state, version = _load(store, conn, stream, chain.fold_suggestion)
    return stream, version, decide(state, cmd, now)


def _meetings(store, conn, cmd, now, decide):
    stream = f"meetings-{cmd.station_id}"
    state, version = _load(store, conn, stream, chain.fold_meetings)
    return stream, version, decide(state, cmd, now)


def _chain(store, conn, cmd, now, decide):
    stream = f"chain-{cmd.station_id}"
    return stream, store.stream_version(stream, conn=conn), decide(cmd, now)


Loader = Callable[..., tuple[str, int, list[NewEvent]]]
COMMAND_HANDLERS: dict[type, tuple[Loader, Callable]] = {
    c.SubmitReport: (_report, approval.submit),
    c.AcceptReport: (_report, approval.accept),
    c.ReturnReport: (_report, approval.return_),
    c.ReopenReport: (_report, approval.reopen),
    c.RecordChain: (_chain, chain.record),
    c.ProposeSuggestion: (_suggestion, chain.propose),
    c.AnswerSuggestion: (_suggestion, chain.answer),
    c.MinuteWeeklyMeeting: (_meetings, chain.minute_meeting),
    c.RecordSupervision: (_meetings, chain.record_supervision),
}


def execute(store: EventStore, cmd, now: datetime, correlation_id: str | None = None,
            conn: sa.Connection | None = None) -> dict:
    """Decide and append; {"stream_id", "version", "events": [types]}."""
    load, decide = COMMAND_HANDLERS[type(cmd)]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if conn is not None:
                with conn.begin_nested():
                    return _once(store, conn, load, decide, cmd, now, correlation_id)
            with store.engine.begin() as own:
                return _once(store, own, load, decide, cmd, now, correlation_id)
        except ConcurrencyError as exc:
            if attempt == ATTEMPTS:
                raise
            log.info("command.retry_on_conflict", stream_id=exc.stream_id, attempt=attempt)
    raise AssertionError("unreachable")


def _once(store, conn, load, decide, cmd, now, correlation_id) -> dict:
    stream, version, events = load(store, conn, cmd, now, decide)
    stamped = [NewEvent(e.type, e.payload, e.event_id, e.station_id, e.occurred_at, e.actor,
                        correlation_id) for e in events]
    recorded = store.append(stream, version, stamped, conn=conn)
    projections.apply_all(conn, recorded)
    return {"stream_id": stream, "version": recorded[-1].stream_version,
            "events": [e.type for e in recorded]}
