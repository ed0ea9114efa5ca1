"""Command handlers: load (read the stream, open the sealed fields, fold), decide, seal
the personal fields, append with the expected version, update the read models, all in
one transaction, retried by the kit's one policy (shared.kit.runner: again on fresh
state when another writer moved the stream, 409 when the client's own version is
stale). Routed by COMMAND_HANDLERS.

Every handler takes `now` from its caller (the service's clock, or a test's), so the
events' recorded_at, due dates and ages follow it. Whether the caller may send the
command (role, station scope) is the edge's check, made before a handler runs.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa

from shared import logs
from shared.events import NewEvent, Recorded, utcnow
from shared.eventstore import ConcurrencyError, EventStore
from shared.kit import runner
from shared.kit.runner import stamp as _stamp
from shared.security.erasure import KeyVault
from shared.kit.errors import Invalid

from services.residents import commands as c
from services.residents import configuration, org, privacy, projections, resident
from services.residents.resident import Resident

log = logs.get("residents")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a command did: the aggregate's state after it and the events stored."""

    state: object
    recorded: tuple[Recorded, ...]

    def first(self, event_type: str) -> Recorded | None:
        return next((e for e in self.recorded if e.type == event_type), None)


# -- loading ------------------------------------------------------------------------------

def load_org(store: EventStore, conn: sa.Connection | None = None) -> org.OrgTree:
    return org.fold(store.read_stream(org.STREAM, conn=conn))


def load_resident(store: EventStore, resident_id: str, conn: sa.Connection | None = None,
                  as_of: datetime | None = None) -> Resident:
    return resident.fold(read_resident_events(store, resident_id, conn, as_of))


def read_resident_events(store: EventStore, resident_id: str, conn: sa.Connection | None = None,
                         as_of: datetime | None = None) -> list[Recorded]:
    """The resident's events (up to `as_of`), personal fields opened (or erased)."""
    events = store.read_stream(resident.stream_of(resident_id), as_of=as_of, conn=conn)
    return privacy.unseal(KeyVault(store), events, conn)


def policy_for(tree: org.OrgTree, station_id: str | None) -> resident.Policy:
    s = configuration.settings()
    return resident.Policy(
        rubrics=s.rubrics, schedule=tree.schedule_for(station_id or "", s.schedule),
        supervisor_roles=s.supervisor_roles, categories=s.categories.codes,
        derived_categories=s.categories.derived_min_age(),
        need_categories=s.need_categories.codes, urgencies=s.urgencies.codes)


# -- writing ------------------------------------------------------------------------------

def _append(store: EventStore, conn, stream_id: str, version: int, events: list[NewEvent],
            now: datetime) -> tuple[Recorded, ...]:
    """Seal, append, project; returns the stored events with their personal fields open."""
    vault = KeyVault(store)
    stored = store.append(stream_id, version, privacy.seal(vault, events, conn), conn=conn, now=now)
    recorded = tuple(privacy.unseal(vault, stored, conn))
    for event in recorded:
        projections.apply(conn, event)
    return recorded


def change_org(store: EventStore, command, now: datetime, correlation_id: str | None,
               conn: sa.Connection, causation_id: str | None) -> Outcome:
    tree = load_org(store, conn)
    events = _stamp(org.decide(tree, command), correlation_id, causation_id)
    recorded = _append(store, conn, org.STREAM, tree.version, events, now)
    return Outcome(org.fold(recorded, tree), recorded)


def register_resident(store: EventStore, command: c.RegisterResident, now: datetime,
                      correlation_id: str | None, conn: sa.Connection,
                      causation_id: str | None) -> Outcome:
    """Register, claiming the ID number in the same transaction (409 if it is taken)."""
    tree = load_org(store, conn)
    check_community_in_station(tree, command.community_id, command.station_id)
    state = load_resident(store, command.resident_id, conn)
    events = resident.decide(state, command, now, policy_for(tree, command.station_id))
    _claim_id_number(store, conn, command, now, correlation_id)
    recorded = _append(store, conn, resident.stream_of(command.resident_id), state.version,
                       _stamp(events, correlation_id, causation_id), now)
    log.info("resident.registered", resident_id=command.resident_id,
             station_id=command.station_id)
    return Outcome(resident.fold(recorded, state), recorded)


def _claim_id_number(store: EventStore, conn, command: c.RegisterResident, now: datetime,
                     correlation_id: str | None) -> None:
    claim = _stamp([resident.id_number_claim(command)], correlation_id)
    stream = resident.id_number_stream(command.id_digest)
    try:
        if not store.read_stream(stream, conn=conn):
            store.append(stream, 0, claim, conn=conn, now=now)
            return
    except ConcurrencyError:
        pass  # another registration of the same number committed first
    existing = store.read_stream(stream, conn=conn)[0].payload["resident_id"]
    raise resident.DuplicateIdNumber(
        "A resident with this ID number is registered", "该身份证号码已登记",
        fields={"id_number": ["Already registered / 已登记"]}, existing_id=existing)


def change_resident(store: EventStore, command, now: datetime, correlation_id: str | None,
                    conn: sa.Connection, causation_id: str | None) -> Outcome:
    state = load_resident(store, command.resident_id, conn)
    resident.check_registered(state)
    if type(command) not in AFTER_ERASURE:
        privacy.check_not_erased(conn, state.id)
    elif privacy.is_erased(conn, state.id):
        command = AFTER_ERASURE[type(command)](command)
    check_expected_version(state, command)
    tree = load_org(store, conn)
    command = _PREPARE.get(type(command), lambda tree, cmd: cmd)(tree, command)
    events = resident.decide(state, command, now, policy_for(tree, state.station_id))
    recorded = _append(store, conn, resident.stream_of(state.id), state.version,
                       _stamp(events, correlation_id, causation_id), now)
    if recorded:
        log.info("resident.changed", resident_id=state.id, command=type(command).__name__,
                 events=[e.type for e in recorded])
    return Outcome(resident.fold(recorded, state), recorded)


def _resolve_station(tree: org.OrgTree, command: c.MoveResident) -> c.MoveResident:
    station_id = tree.station_of(command.community_id)
    if station_id is None:
        raise Invalid("Unknown community", "社区不存在",
                      fields={"community_id": ["Unknown community / 未知的社区"]})
    return dataclasses.replace(command, station_id=station_id)


def _check_destination(tree: org.OrgTree, command: c.OfferTransfer) -> c.OfferTransfer:
    if tree.get("station", command.to_station_id) is None:
        raise Invalid("Unknown station", "社工站不存在",
                      fields={"to_station_id": ["Unknown station / 未知的社工站"]})
    if tree.station_of(command.to_community_id) != command.to_station_id:
        raise Invalid("The community is not in this station", "该社区不属于此社工站",
                      fields={"to_community_id": [
                          "Not a community of the receiving station / 不是接收社工站的社区"]})
    return command


_PREPARE: dict[type, Callable] = {c.MoveResident: _resolve_station,
                                  c.OfferTransfer: _check_destination}

# What an erased record still takes, and how: casework's major changes (codes only) and
# needs met by resources' deliveries, without their note (no new text about the person).
AFTER_ERASURE: dict[type, Callable] = {
    c.FlagMajorChange: lambda command: command,
    c.MeetNeed: lambda command: dataclasses.replace(command, note=None),
}


def erase_resident(store: EventStore, command: c.EraseResident, now: datetime,
                   correlation_id: str | None, conn: sa.Connection,
                   causation_id: str | None) -> Outcome:
    """Destroy the resident's key (KeyDestroyed) and scrub the read models, in one
    transaction; the resident's events stay, so counts, cards and hash chains hold."""
    state = load_resident(store, command.resident_id, conn)
    resident.check_registered(state)
    reason = resident.check_reason_written(command.reason)
    recorded = privacy.erase(KeyVault(store), state.id, command.actor, reason, conn, now)
    for event in recorded:
        projections.apply(conn, event)
    log.info("resident.erased", resident_id=state.id, already=not recorded)
    return Outcome(load_resident(store, state.id, conn), recorded)


def check_expected_version(state: Resident, command) -> None:
    runner.check_expected(resident.stream_of(state.id),
                          getattr(command, "expected_version", None), state.version)


def check_community_in_station(tree: org.OrgTree, community_id: str, station_id: str) -> None:
    if tree.get("station", station_id) is None:
        raise Invalid("Unknown station", "社工站不存在",
                      fields={"station_id": ["Unknown station / 未知的社工站"]})
    if tree.station_of(community_id) != station_id:
        raise Invalid("The community is not in this station", "该社区不属于此社工站",
                      fields={"community_id": ["Not a community of this station / 不是该社工站的社区"]})


COMMAND_HANDLERS: dict[type, Callable[..., Outcome]] = {
    c.AddDistrict: change_org,
    c.AddStreet: change_org,
    c.AddStation: change_org,
    c.AddCommunity: change_org,
    c.SetReassessmentSchedule: change_org,
    c.RegisterResident: register_resident,
    c.UpdateResident: change_resident,
    c.MoveResident: change_resident,
    c.OfferTransfer: change_resident,
    c.AcceptTransfer: change_resident,
    c.DeclineTransfer: change_resident,
    c.ChangeStatus: change_resident,
    c.AssessRisk: change_resident,
    c.OverrideCard: change_resident,
    c.ConfirmDowngrade: change_resident,
    c.RejectDowngrade: change_resident,
    c.FlagMajorChange: change_resident,
    c.RecordNeed: change_resident,
    c.MeetNeed: change_resident,
    c.WithdrawNeed: change_resident,
    c.EraseResident: erase_resident,
}


def handle(store: EventStore, command, now: datetime, correlation_id: str | None = None,
           conn: sa.Connection | None = None, causation_id: str | None = None) -> Outcome:
    """Run one command to completion in its own transaction (or a savepoint of `conn`,
    a subscriber's); its failure propagates (nothing is written then)."""
    if conn is None:
        KeyVault(store)  # its table made now, not inside the command's transaction (SQLite)
    handler = COMMAND_HANDLERS[type(command)]
    return runner.transact(store.engine, lambda tx: handler(store, command, now, correlation_id,
                                                            tx, causation_id), conn)


# -- seeding --------------------------------------------------------------------------------

def seed_org(store: EventStore, now: datetime, seed: dict | None = None, attempts: int = 5) -> int:
    """Append the seed tree's events not stored yet (fixed ids); returns how many were added.

    Safe on every start and from several processes at once: a restart appends nothing.
    """
    wanted = org.seed_events(seed if seed is not None else configuration.org_seed())

    def work(conn) -> int:
        stored = store.read_stream(org.STREAM, conn=conn)
        missing = org.missing_seed_events(wanted, {e.event_id for e in stored})
        if missing:
            store.append(org.STREAM, len(stored), missing, conn=conn, now=now)
        return len(missing)
    return runner.transact(store.engine, work, attempts=attempts)


# -- events from other services ----------------------------------------------------------------

def inbox_handlers(store: EventStore) -> dict:
    """The routing table of other services' events (casework's, resources'), run in the
    inbox's transaction; the topology's subscription table names the sources."""
    return {"MajorChangeFlagged":
            lambda conn, event: on_major_change_flagged(store, conn, event, utcnow()),
            "WishDelivered":
            lambda conn, event: on_wish_delivered(store, conn, event, utcnow())}


def on_major_change_flagged(store: EventStore, conn: sa.Connection, event: Recorded,
                            now: datetime) -> None:
    """Casework's MajorChangeFlagged: make a reassessment due at once (in the inbox's transaction)."""
    p = event.payload
    command = c.FlagMajorChange(
        resident_id=p["resident_id"], change=p["change"], visit_id=p.get("visit_id"),
        flagged_at=_moment(p["flagged_at"]), source_event_id=event.event_id,
        actor=event.actor or "casework")
    handle(store, command, now, correlation_id=event.correlation_id, conn=conn,
           causation_id=event.event_id)


def on_wish_delivered(store: EventStore, conn: sa.Connection, event: Recorded,
                      now: datetime) -> None:
    """Resources' WishDelivered: the need the micro-wish came from is met (in the inbox's
    transaction). A wish without a need, or a need already closed, changes nothing."""
    p = event.payload
    if not p.get("need_id"):
        return
    need = load_resident(store, p["resident_id"], conn).needs.get(p["need_id"])
    if need is None or need.status != "open":
        log.info("need.not_open_on_delivery", need_id=p["need_id"], wish_id=p["wish_id"])
        return
    command = c.MeetNeed(resident_id=p["resident_id"], need_id=p["need_id"],
                         note=f"micro-wish {p['wish_id']} delivered / 微心愿已送达",
                         actor=event.actor or "resources")
    handle(store, command, now, correlation_id=event.correlation_id, conn=conn,
           causation_id=event.event_id)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
