"""Command handlers: load the stream, decide, append with the version read, project —
all in one transaction, so a refused or failed command writes nothing.

Every handler is `handler(ctx, command, now) -> dict`, routed by COMMAND_HANDLERS.
A ConcurrencyError (someone appended to the stream since we read it) makes the whole
command run again on fresh state, a few times; the fresh decision may then refuse.

The card policy (`residents_handlers`) and the overdue checker (`check_overdue`) live
here too: they are handlers of events and of the clock.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Callable, Sequence

import sqlalchemy as sa

from shared import logs
from shared.events import NewEvent, Recorded, iso
from shared.eventstore import EventStore
from shared.kit import ids, runner
from shared.kit.errors import Duplicate

from services.casework import campaign, case, followup, privacy, projections, referral, visit
from services.casework import commands as c
from services.casework.policy import Policy
from services.casework.projections import followups as F
from services.casework.projections import known_residents as R

log = logs.get("casework")
# Ids derived from the event that caused them: a redelivered cause makes the same ids.
IDS = uuid.UUID("6c0d6f53-3a8e-4c55-9f39-2f5e8a4a6b11")


def derived_id(*parts: str) -> str:
    return ids.derived_id(IDS, *parts)


@dataclasses.dataclass(frozen=True)
class Context:
    store: EventStore
    policy: Policy
    correlation_id: str | None = None
    causation_id: str | None = None


# -- plumbing -------------------------------------------------------------------------

def transact(ctx: Context, work: Callable[[sa.Connection], dict]) -> dict:
    """Run `work` in a transaction, retried by the kit's one policy (shared.kit.runner)."""
    privacy.vault(ctx.store)  # its tables exist before any transaction (SQLite)
    return runner.transact(ctx.store.engine, work)


def commit(ctx: Context, conn, stream_id: str, version: int, events: Sequence[NewEvent],
           seed: str | None = None) -> list[Recorded]:
    """Append at `version` (free text sealed with the resident's key) and fold into the
    read models (opened), inside `conn`'s transaction."""
    stamped = runner.stamp(events, ctx.correlation_id, ctx.causation_id,
                           (lambda i: derived_id(seed, str(i))) if seed else None)
    vault = privacy.vault(ctx.store)
    recorded = ctx.store.append(stream_id, version, privacy.SEALING.seal(vault, stamped, conn),
                                conn=conn)
    projections.apply_all(conn, privacy.SEALING.unseal(vault, recorded, conn))
    return recorded


def load_case(ctx, case_id: str, conn) -> case.Case:
    state = case.fold(ctx.store.read_stream(f"case-{case_id}", conn=conn))
    return state if state.case_id else dataclasses.replace(state, case_id=case_id)


def load_referral(ctx, referral_id: str, conn) -> referral.Referral:
    return referral.fold(ctx.store.read_stream(f"referral-{referral_id}", conn=conn))


def load_followup(ctx, followup_id: str, conn) -> followup.FollowUp:
    return followup.fold(ctx.store.read_stream(f"followup-{followup_id}", conn=conn))


def load_campaign(ctx, campaign_id: str, conn) -> campaign.Campaign:
    return campaign.fold(ctx.store.read_stream(f"campaign-{campaign_id}", conn=conn))


def known_resident(conn, resident_id: str):
    return conn.execute(sa.select(R).where(R.c.resident_id == resident_id)).first()


def open_followups(conn, resident_id: str) -> list[str]:
    return list(conn.execute(sa.select(F.c.followup_id).where(F.c.resident_id == resident_id)
                             .where(F.c.status == "pending").order_by(F.c.window_start))
                 .scalars())


def worker_of_open_case(conn, resident_id: str) -> str | None:
    T = projections.cases
    return conn.execute(sa.select(T.c.worker).where(T.c.resident_id == resident_id)
                        .where(T.c.state != case.CLOSED)
                        .order_by(T.c.opened_at.desc()).limit(1)).scalar()


def _case_result(state: case.Case) -> dict:
    pending = state.pending
    return {"id": state.case_id, "state": state.state, "version": state.version,
            "request_id": pending.request_id if pending else None}


# -- cases ----------------------------------------------------------------------------

def open_case(ctx: Context, cmd: c.OpenCase, now: datetime) -> dict:
    """Open a case, claiming the (resident, domain) slot in the same transaction: two
    concurrent opens append to one claim stream at one version, so one wins and the
    other, run again on fresh state, is a 409. A resident casework has not heard of
    from the residents' events is 404, whatever station the request names."""
    def work(conn):
        known = known_resident(conn, cmd.resident_id)
        if known is None:
            raise visit.ResidentUnknown(cmd.resident_id)
        station = known.station_id
        if cmd.station_id not in (None, station):
            raise visit.NotTheResidentsStation()
        state = load_case(ctx, cmd.case_id, conn)
        events = case.decide(state, dataclasses.replace(cmd, station_id=station), now)
        claim_open_case(ctx, conn, cmd.case_id, cmd.resident_id, cmd.domain, station,
                        cmd.actor, now)
        commit(ctx, conn, f"case-{cmd.case_id}", state.version, events)
        _hand_followups_to(ctx, conn, cmd.resident_id, cmd.worker, now, cmd.actor, None)
        return _case_result(case.fold(events, state))
    return transact(ctx, work)


def open_case_stream(resident_id: str, domain: str) -> str:
    return f"open-case-{derived_id('open-case', resident_id, domain)}"


def claim_open_case(ctx: Context, conn, case_id: str, resident_id: str, domain: str,
                    station: str, actor: str, now: datetime) -> None:
    """The write model's rule of one open case per resident and domain (Duplicate, 409,
    while the case of the last claim is another one that is not closed). Taken by every
    step that brings a case into a working state (open, reopen), in that step's
    transaction: two racing steps append to one claim stream at one version."""
    stream = open_case_stream(resident_id, domain)
    claims = ctx.store.read_stream(stream, conn=conn)
    holder = claims[-1].payload["case_id"] if claims else None
    if holder not in (None, case_id) and load_case(ctx, holder, conn).state != case.CLOSED:
        raise Duplicate("The resident has an open case in this domain",
                        "该居民在此领域已有未结个案")
    claim = NewEvent("OpenCaseClaimed", {"case_id": case_id, "resident_id": resident_id,
                                         "domain": domain},
                     station_id=station, occurred_at=now, actor=actor)
    commit(ctx, conn, stream, len(claims), [claim])


def enters_working(before: case.Case, after: case.Case) -> bool:
    """A step that makes a case count as open (from new or closed)."""
    return before.state not in case.WORKING and after.state in case.WORKING


def case_command(ctx: Context, cmd, now: datetime) -> dict:
    """Every other case command: the same load–decide–append; one that brings the case
    back into a working state (a reopen) claims the open-case slot first."""
    def work(conn):
        state = load_case(ctx, cmd.case_id, conn)
        events = case.decide(state, cmd, now)
        after = case.fold(events, state)
        if enters_working(state, after):
            claim_open_case(ctx, conn, state.case_id, state.resident_id, state.domain,
                            state.station_id, cmd.actor, now)
        commit(ctx, conn, f"case-{cmd.case_id}", state.version, events)
        if isinstance(cmd, c.TransferCase):
            _hand_followups_to(ctx, conn, state.resident_id, cmd.to_worker, now, cmd.actor,
                               state.worker)
        return _case_result(after)
    return transact(ctx, work)


def _hand_followups_to(ctx, conn, resident_id, worker, now, actor, from_worker) -> None:
    """The resident's open follow-ups go with the case: unassigned ones (a new case) or
    the previous worker's (a transfer)."""
    for followup_id in open_followups(conn, resident_id):
        state = load_followup(ctx, followup_id, conn)
        if state.worker not in (None, from_worker):
            continue
        events = followup.decide(state, c.AssignFollowUp(followup_id, worker, actor), now)
        commit(ctx, conn, f"followup-{followup_id}", state.version, events)


# -- referrals ------------------------------------------------------------------------

def make_referral(ctx: Context, cmd: c.MakeReferral, now: datetime) -> dict:
    def work(conn):
        state = load_case(ctx, cmd.case_id, conn)
        current = load_referral(ctx, cmd.referral_id, conn)
        events = referral.make(state, current, cmd, ctx.policy.today(now),
                               ctx.policy.agency_codes, now)
        commit(ctx, conn, f"referral-{cmd.referral_id}", current.version, events)
        return {"id": cmd.referral_id, "status": referral.MADE}
    return transact(ctx, work)


def referral_command(ctx: Context, cmd, now: datetime) -> dict:
    def work(conn):
        state = load_referral(ctx, cmd.referral_id, conn)
        if isinstance(cmd, c.AcceptReferral):
            events = referral.accept(state, cmd, ctx.policy.referral_completion_days, now)
        elif isinstance(cmd, c.DeclineReferral):
            events = referral.decline(state, cmd, now)
        else:
            events = referral.complete(state, cmd, now)
        commit(ctx, conn, f"referral-{cmd.referral_id}", state.version, events)
        after = referral.fold(events, state)
        return {"id": cmd.referral_id, "status": after.status, "version": after.version}
    return transact(ctx, work)


# -- visits and the follow-ups they satisfy ------------------------------------------

def record_visit(ctx: Context, cmd: c.RecordVisit, now: datetime) -> dict:
    def work(conn):
        case_state = load_case(ctx, cmd.case_id, conn) if cmd.case_id else None
        campaign_state = load_campaign(ctx, cmd.campaign_id, conn) if cmd.campaign_id else None
        known = known_resident(conn, cmd.resident_id)
        events = visit.record(cmd, case_state, campaign_state,
                              known.station_id if known else None, now)
        commit(ctx, conn, f"visit-{cmd.visit_id}", 0, events)
        done = _satisfy_followups(ctx, conn, cmd, known, now)
        return {"id": cmd.visit_id, "followups_done": done,
                "major_changes": events[0].payload["major_changes"]}
    return transact(ctx, work)


def _satisfy_followups(ctx, conn, cmd: c.RecordVisit, known, now) -> list[str]:
    """The open follow-up the visit falls in is done; the next one is scheduled."""
    done = []
    for followup_id in open_followups(conn, cmd.resident_id):
        state = load_followup(ctx, followup_id, conn)
        if not followup.falls_in(state, cmd.visited_at):
            continue
        satisfy = c.SatisfyFollowUp(followup_id, cmd.visit_id, cmd.visited_at, cmd.worker)
        commit(ctx, conn, f"followup-{followup_id}", state.version,
               followup.decide(state, satisfy, now))
        done.append(followup_id)
        _schedule_next(ctx, conn, state, known, cmd.visited_at, now)
    return done


def _schedule_next(ctx, conn, previous: followup.FollowUp, known, visited_at, now) -> None:
    card = (known.card if known is not None and known.card else None) or previous.card
    rule = ctx.policy.rule(previous.station_id, card)
    window_start, due_at = followup.next_window(visited_at, rule)
    next_id = derived_id("next", previous.followup_id)
    if load_followup(ctx, next_id, conn).status != followup.NONE:
        return
    schedule = c.ScheduleFollowUp(next_id, previous.resident_id, previous.station_id, card,
                                  "regular", window_start, due_at, previous.worker)
    commit(ctx, conn, f"followup-{next_id}", 0,
           followup.decide(followup.FollowUp(), schedule, now), seed=next_id)


def assign_followup(ctx: Context, cmd: c.AssignFollowUp, now: datetime) -> dict:
    def work(conn):
        state = load_followup(ctx, cmd.followup_id, conn)
        if state.status == followup.NONE:
            raise followup.FollowUpNotFound(cmd.followup_id)
        commit(ctx, conn, f"followup-{cmd.followup_id}", state.version,
               followup.decide(state, cmd, now))
        return {"id": cmd.followup_id, "worker": cmd.worker}
    return transact(ctx, work)


# -- campaigns ------------------------------------------------------------------------

def declare_campaign(ctx: Context, cmd: c.DeclareCampaign, now: datetime) -> dict:
    def work(conn):
        state = load_campaign(ctx, cmd.campaign_id, conn)
        events = campaign.declare(state, cmd, ctx.policy.campaign_kinds, now)
        commit(ctx, conn, f"campaign-{cmd.campaign_id}", state.version, events)
        return {"id": cmd.campaign_id}
    return transact(ctx, work)


COMMAND_HANDLERS: dict[type, Callable[[Context, object, datetime], dict]] = {
    c.OpenCase: open_case,
    c.AssessCase: case_command,
    c.DraftServicePlan: case_command,
    c.RequestPlanApproval: case_command,
    c.RequestClosure: case_command,
    c.ApproveRequest: case_command,
    c.SendBackRequest: case_command,
    c.RecordService: case_command,
    c.ReopenCase: case_command,
    c.TransferCase: case_command,
    c.MakeReferral: make_referral,
    c.AcceptReferral: referral_command,
    c.DeclineReferral: referral_command,
    c.CompleteReferral: referral_command,
    c.RecordVisit: record_visit,
    c.AssignFollowUp: assign_followup,
    c.DeclareCampaign: declare_campaign,
}


def execute(ctx: Context, command, now: datetime) -> dict:
    """The one way in for commands: one handler per command type; failures propagate."""
    return COMMAND_HANDLERS[type(command)](ctx, command, now)


# -- the card policy: residents' events schedule follow-ups ---------------------------

def residents_handlers(store: EventStore, policy: Policy) -> dict:
    """Handlers of the residents' events, run in the inbox's transaction: each keeps the
    local picture of the resident (or of the organisation tree), then reacts (retried on
    a conflicting append); a resident's erasure destroys casework's key of them."""
    def reacting(react):
        def handle(conn, event: Recorded) -> None:
            projections.apply_resident(conn, event)
            ctx = Context(store, policy, event.correlation_id, event.event_id)
            runner.transact(store.engine, lambda c: react(ctx, c, event), conn)
        return handle
    def forget(conn, event: Recorded) -> None:
        projections.apply_all(conn, privacy.forget(store, conn, event))

    return {"StationAdded": projections.apply_org,
            "StreetAdded": projections.apply_org,
            "ResidentRegistered": projections.apply_resident,
            "ResidentMoved": projections.apply_resident,
            "ResidentTransferred": reacting(restart_at_new_station),
            "ResidentStatusChanged": reacting(stop_when_gone),
            "KeyDestroyed": forget,  # the resident erased: casework's key and text go too
            **{name: reacting(schedule_for_card) for name in projections.CARD_EVENTS}}


def _cancel_open(ctx, conn, resident_id: str, reason: str, event: Recorded) -> None:
    for followup_id in open_followups(conn, resident_id):
        state = load_followup(ctx, followup_id, conn)
        commit(ctx, conn, f"followup-{followup_id}", state.version,
               followup.decide(state, c.CancelFollowUp(followup_id, reason), _now(event)),
               seed=f"cancel:{followup_id}:{event.event_id}")


def _schedule_first(ctx, conn, event: Recorded, resident_id: str, station: str,
                    card: str) -> str:
    window_start, due_at = followup.first_window(_now(event), ctx.policy.rule(station, card))
    new_id = derived_id("card", event.event_id)
    if load_followup(ctx, new_id, conn).status != followup.NONE:
        return new_id  # this event scheduled it already
    schedule = c.ScheduleFollowUp(new_id, resident_id, station, card, "first_contact",
                                  window_start, due_at, worker_of_open_case(conn, resident_id))
    commit(ctx, conn, f"followup-{new_id}", 0,
           followup.decide(followup.FollowUp(), schedule, _now(event)), seed=new_id)
    return new_id


def stop_when_gone(ctx: Context, conn, event: Recorded) -> None:
    """A resident who moved out or died is not followed up any more."""
    status = event.payload.get("status")
    if status and status != "active":
        _cancel_open(ctx, conn, event.payload["resident_id"], f"resident_{status}", event)


def restart_at_new_station(ctx: Context, conn, event: Recorded) -> None:
    """The new station makes its own first contact, by its own rule for the card."""
    resident_id, station = event.payload["resident_id"], event.payload["station_id"]
    known = known_resident(conn, resident_id)
    _cancel_open(ctx, conn, resident_id, "transferred", event)
    if known is not None and known.card in ("red", "blue", "green"):
        _schedule_first(ctx, conn, event, resident_id, station, known.card)


def schedule_for_card(ctx: Context, conn, event: Recorded) -> str | None:
    """A new card restarts the rhythm: open follow-ups of another card are cancelled and
    the new card's first contact is scheduled from the moment the card was given."""
    card = projections.card_of(event)
    if card not in ("red", "blue", "green"):
        return None
    resident_id = event.payload["resident_id"]
    known = known_resident(conn, resident_id)
    station = event.payload.get("station_id") or (known.station_id if known else None)
    if station is None:
        log.warning("followup.no_station", resident_id=resident_id, event_id=event.event_id)
        return None
    if known is not None and known.status not in (None, "active"):
        return None  # moved out or deceased: nobody to follow up
    pending = [load_followup(ctx, f, conn) for f in open_followups(conn, resident_id)]
    if len(pending) == 1 and pending[0].card == card:
        return None  # the same card again: the rhythm goes on
    _cancel_open(ctx, conn, resident_id, "card_changed", event)
    return _schedule_first(ctx, conn, event, resident_id, station, card)


def _now(event: Recorded) -> datetime:
    return datetime.fromisoformat(event.occurred_at)


# -- the overdue checker --------------------------------------------------------------

def overdue_candidates(conn, now: datetime) -> list[str]:
    return list(conn.execute(sa.select(F.c.followup_id).where(F.c.status == "pending")
                             .where(F.c.overdue.is_(False)).where(F.c.due_at < iso(now))
                             .order_by(F.c.due_at)).scalars())


def check_overdue(ctx: Context, now: datetime) -> list[str]:
    """Flag every follow-up whose due time passed unvisited; returns the ids this call
    flagged. Safe to run anywhere, any number of times at once: see flag_once."""
    with ctx.store.engine.connect() as conn:
        candidates = overdue_candidates(conn, now)
    return [f for f in candidates if flag_once(ctx, f, now)]


def flag_once(ctx: Context, followup_id: str, now: datetime) -> bool:
    """Append FollowUpOverdue at the version read. A checker that loses the race gets
    ConcurrencyError, reads the stream again and finds it flagged: nothing to do."""
    def work(conn) -> bool:
        state = load_followup(ctx, followup_id, conn)
        events = followup.decide(state, c.FlagIfOverdue(followup_id), now)
        if not events:
            return False
        commit(ctx, conn, f"followup-{followup_id}", state.version, events)
        log.info("followup.overdue", followup_id=followup_id)
        return True
    return transact(ctx, work)
