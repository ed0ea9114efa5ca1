"""Command handlers: load the stream, decide, append at the version read, project — in
one transaction, so a refused command writes nothing. Routed by COMMAND_HANDLERS; the
kit's one retry policy (shared.kit.runner) runs a command again on fresh state when
its stream moved meanwhile.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import sqlalchemy as sa

from shared.eventstore import EventStore
from shared.events import NewEvent
from shared.kit import runner

from services.reporting import approval, chain, projections
from services.reporting import commands as c


def _load(store: EventStore, conn, stream: str, fold):
    state = fold(store.read_stream(stream, conn=conn))
    return state, state.version


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

    def work(conn: sa.Connection) -> dict:
        stream, version, events = load(store, conn, cmd, now, decide)
        recorded = store.append(stream, version, runner.stamp(events, correlation_id),
                                conn=conn)
        projections.apply_all(conn, recorded)
        return {"stream_id": stream, "version": recorded[-1].stream_version,
                "events": [e.type for e in recorded]}
    return runner.transact(store.engine, work, conn)
