"""The one routing table of activities' commands, and the one way to run them: load the
stream, look up what the decision needs to know, decide, append at the version read,
fold into the read models — in one transaction, so a refused command writes nothing
(retried on a conflicting append by the kit's runner).

What a decision needs beyond its stream (`rules.Known`) comes from the read models in
the same transaction: the residents the command names (with their stations, from the
residents' events), the station's service areas and its projects.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable, Sequence

import sqlalchemy as sa

from shared.events import NewEvent, Recorded
from shared.eventstore import EventStore
from shared.kit import runner
from shared.security.erasure import KeyVault

from services.activities import activity, organization, privacy, project, projections, queries
from services.activities import rules
from services.activities import commands as c
from services.activities import volunteer


@dataclasses.dataclass(frozen=True)
class Context:
    store: EventStore
    correlation_id: str | None = None
    causation_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Route:
    """Where a command's aggregate lives and how to answer: the stream of `key(cmd)`,
    folded by `fold`, decided by `decide`; `result(cmd, state_after, events)`."""
    prefix: str
    key: Callable[[object], str]
    fold: Callable
    decide: Callable
    result: Callable[[object, object, list], dict]


def _id_of(attr: str) -> Callable[[object], str]:
    return lambda cmd: getattr(cmd, attr)


def _created(attr: str):
    return lambda cmd, state, events: {"id": getattr(cmd, attr)}


def _state_of(attr: str):
    return lambda cmd, state, events: {"id": getattr(cmd, attr), "state": state.state,
                                       "version": state.version}


def _attendance(cmd: c.RecordAttendance, state: activity.Activity, events) -> dict:
    session = activity.check_session(state, cmd.session_id)
    added = next((e.payload["resident_ids"] for e in events
                  if e.type == "AttendanceRecorded"), [])
    return {"id": cmd.activity_id, "session_id": session.session_id, "added": added,
            "headcount": session.headcount, "person_times": session.person_times}


def _log_result(cmd, state: volunteer.Volunteer, events) -> dict:
    log = state.logs[cmd.log_id]
    return {"id": cmd.log_id, "volunteer_id": cmd.volunteer_id,
            "served_on": log.served_on.isoformat(), "hours": f"{log.hours:.2f}",
            "activity_id": log.activity_id, "organization_id": log.organization_id,
            "self_reported": getattr(cmd, "self_reported", None) or False,
            "status": log.status}


_ACTIVITY = dict(prefix="activity", key=_id_of("activity_id"), fold=activity.fold,
                 decide=activity.decide)
_ORGANIZATION = dict(prefix="organization", key=_id_of("organization_id"),
                     fold=organization.fold, decide=organization.decide)
_VOLUNTEER = dict(prefix="volunteer", key=_id_of("volunteer_id"), fold=volunteer.fold,
                  decide=volunteer.decide)

COMMAND_HANDLERS: dict[type, Route] = {
    c.CreateProject: Route("project", _id_of("project_id"), project.fold_project,
                           project.decide_project, _created("project_id")),
    c.AddServiceArea: Route("areas", _id_of("station_id"), project.fold_areas,
                            project.decide_areas,
                            lambda cmd, state, events: {"id": cmd.area}),
    c.PlanActivity: Route(**_ACTIVITY, result=_created("activity_id")),
    c.PlanSession: Route(**_ACTIVITY, result=_created("session_id")),
    c.HoldSession: Route(**_ACTIVITY, result=_state_of("activity_id")),
    c.CancelActivity: Route(**_ACTIVITY, result=_state_of("activity_id")),
    c.RecordAttendance: Route(**_ACTIVITY, result=_attendance),
    c.GiveFeedback: Route(**_ACTIVITY, result=_created("feedback_id")),
    c.ReviewActivity: Route(**_ACTIVITY, result=_state_of("activity_id")),
    c.IncubateOrganization: Route(**_ORGANIZATION, result=_created("organization_id")),
    c.MoveOrganization: Route(**_ORGANIZATION, result=_state_of("organization_id")),
    c.JoinMember: Route(**_ORGANIZATION, result=_created("member_id")),
    c.LeaveMember: Route(**_ORGANIZATION, result=_created("member_id")),
    c.RegisterVolunteer: Route(**_VOLUNTEER, result=_created("volunteer_id")),
    c.LogService: Route(**_VOLUNTEER, result=_log_result),
    c.ConfirmService: Route(**_VOLUNTEER, result=_log_result),
    c.RejectService: Route(**_VOLUNTEER, result=_log_result),
}


def named_residents(cmd) -> tuple[str, ...]:
    ids = tuple(getattr(cmd, "resident_ids", ()) or ())
    one = getattr(cmd, "resident_id", None)
    return ids + ((one,) if one else ())


def known_for(conn: sa.Connection, cmd, station_id: str | None) -> rules.Known:
    """What the decision needs to know beyond its stream, as the read models hold it."""
    R = projections.known_residents
    wanted = sorted(set(named_residents(cmd)))
    residents = dict(conn.execute(sa.select(R.c.resident_id, R.c.station_id)
                                  .where(R.c.resident_id.in_(wanted))).all()) if wanted else {}
    if station_id is None:
        return rules.Known(residents=residents)
    return rules.Known(residents=residents, areas=queries.areas_of(conn, station_id),
                       projects=queries.projects_of(conn, station_id))


def commit(ctx: Context, conn, stream_id: str, version: int,
           events: Sequence[NewEvent]) -> list[Recorded]:
    """Seal the personal fields, append at `version` and fold into the read models,
    inside `conn`'s transaction."""
    vault = KeyVault(ctx.store)
    stamped = runner.stamp(events, ctx.correlation_id, ctx.causation_id)
    recorded = ctx.store.append(stream_id, version, privacy.seal(vault, stamped, conn),
                                conn=conn)
    projections.apply_all(conn, privacy.unseal(vault, recorded, conn))
    return recorded


def execute(ctx: Context, command, now: datetime, conn: sa.Connection | None = None) -> dict:
    """The one way in for commands: its route's load–decide–append; failures propagate.
    With `conn` (an import's batch), in a savepoint of that transaction."""
    route = COMMAND_HANDLERS[type(command)]
    stream_id = f"{route.prefix}-{route.key(command)}"

    def work(conn):
        state = route.fold(ctx.store.read_stream(stream_id, conn=conn))
        station = getattr(command, "station_id", None) or state.station_id
        events = route.decide(state, command, now, known_for(conn, command, station))
        if events:
            commit(ctx, conn, stream_id, state.version, events)
        return route.result(command, route.fold(events, state), events)
    return runner.transact(ctx.store.engine, work, conn)


# -- the residents' events, as the inbox routes them ------------------------------------

def inbox_handlers(store: EventStore) -> dict:
    """Handlers of the residents' events, in the inbox's transaction: the local picture
    of residents, stations and communities; and a resident's erasure, which destroys the
    keys of the member and volunteer records that are theirs."""
    def forget(conn, event: Recorded) -> None:
        privacy.forget(KeyVault(store), conn, event.payload["resident_id"],
                       projections.members, projections.volunteers,
                       f"erased by residents (event {event.event_id})")  # the why stays there
    return {**projections.RESIDENT_APPLIERS, "KeyDestroyed": forget}
