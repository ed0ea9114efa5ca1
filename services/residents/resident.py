"""The resident aggregate: registry record, risk grading, the three cards, needs. Pure.

One stream per resident (`resident-<id>`): it travels with the person when they move
to another station, and every event names the station that did it.

Cards: each assessment sets its domain's card; the card the last assessments imply is
the highest domain card. Reaching it is one event: CardAssigned (the first card),
CardUpgraded, or CardDowngraded, except that a downgrade from Red is held
(CardDowngradeRequested) until a supervisor other than its author confirms it.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

from shared.events import NewEvent, iso
from shared.kit import fold as kit
from shared.kit.errors import Conflicting, Invalid, Missing, NotAllowed

from services.residents import cards, idnumber
from services.residents import commands as c
from services.residents.cards import Schedule
from services.residents.rubric import InvalidAnswers, Rubric

UPDATABLE = ("name", "phone", "address", "categories", "household")


def stream_of(resident_id: str) -> str:
    return f"resident-{resident_id}"


def id_number_stream(digest: str) -> str:
    """The claim stream of an ID number, named by its keyed hash (never the number)."""
    return f"id-number-{digest}"


# -- exceptions (each names its HTTP kind through its base) -----------------------------

class NotRegistered(Missing):
    code = "resident_not_found"


class AlreadyRegistered(Conflicting):
    code = "already_registered"


class DuplicateIdNumber(Conflicting):
    code = "duplicate_id_number"


class NotActive(Conflicting):
    code = "resident_not_active"


class DeceasedIsFinal(Conflicting):
    code = "deceased_is_final"


class Unchanged(Conflicting):
    code = "unchanged"


class NotSupervisor(NotAllowed):
    code = "supervisor_required"


class OwnRequest(NotAllowed):
    code = "self_confirmation"


class NoDowngradePending(Conflicting):
    code = "no_downgrade_pending"


class TransferPending(Conflicting):
    code = "transfer_pending"


class NoTransferPending(Conflicting):
    code = "transfer_not_pending"


class SameStation(Invalid):
    code = "same_station"


class SendingStation(NotAllowed):
    code = "sending_station"


class NotReceivingStation(NotAllowed):
    code = "receiving_station_required"


class UnknownNeed(Missing):
    code = "need_not_found"


class NeedClosed(Conflicting):
    code = "need_closed"


# -- state -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Pending:
    """A downgrade from Red waiting for a supervisor's confirmation."""

    from_card: str
    to_card: str
    reason: str
    requested_by: str
    override: bool = False


@dataclasses.dataclass(frozen=True)
class Offer:
    """A transfer offered to another station, waiting for it to accept or decline."""

    transfer_id: str
    from_station_id: str
    to_station_id: str
    to_community_id: str
    offered_by: str


@dataclasses.dataclass(frozen=True)
class Need:
    need_id: str
    category: str
    urgency: str
    description: str
    status: str = "open"  # open | met | withdrawn


@dataclasses.dataclass(frozen=True)
class Resident:
    id: str | None = None
    version: int = 0
    station_id: str | None = None
    community_id: str | None = None
    name: str | None = None
    gender: str | None = None
    birth_date: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    household: Mapping[str, Any] | None = None
    categories: tuple[str, ...] = ()  # as declared; derived ones (advanced_age) are not kept
    status: str = "active"
    domain_cards: Mapping[str, str] = dataclasses.field(default_factory=dict)
    card: str | None = None
    pending: Pending | None = None
    last_assessed_at: str | None = None
    major_change: str | None = None  # flagged since the last assessment
    reassess_on: str | None = None
    reassess_reason: str | None = None
    needs: Mapping[str, Need] = dataclasses.field(default_factory=dict)
    offer: Offer | None = None  # a transfer offered and not yet accepted or declined
    registered_at: str | None = None
    updated_at: str | None = None

    @property
    def exists(self) -> bool:
        return self.id is not None

    @property
    def implied_card(self) -> str | None:
        return cards.highest(self.domain_cards.values())

    def categories_on(self, day: date, derived: Mapping[str, int]) -> list[str]:
        """Declared categories plus those derived from age on `day` (高龄: 80+)."""
        born = _date_or_none(self.birth_date)
        extra = [code for code, min_age in derived.items()
                 if born and cards.age_on(born, day) >= min_age]
        return sorted(set(self.categories) | set(extra))


def _date_or_none(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except (TypeError, ValueError):  # erased: "[erased]"
        return None


@dataclasses.dataclass(frozen=True)
class Policy:
    """What decisions depend on besides state: configuration, passed in (no I/O here)."""

    rubrics: Mapping[str, Rubric]
    schedule: Schedule
    supervisor_roles: frozenset[str]
    categories: tuple[str, ...]
    derived_categories: Mapping[str, int]
    need_categories: tuple[str, ...]
    urgencies: tuple[str, ...]


# -- evolve ------------------------------------------------------------------------------

def evolve(state: Resident, event) -> Resident:
    """The state after one event (a Recorded from the store or a NewEvent just decided)."""
    after = kit.step(EVOLVERS, state, event)
    at = getattr(event, "recorded_at", None) or after.updated_at
    return dataclasses.replace(after, updated_at=at, registered_at=after.registered_at or at)


def fold(events: Iterable, state: Resident | None = None) -> Resident:
    return kit.fold(evolve, events, state or Resident())


def _without_derived(categories: Iterable[str]) -> tuple[str, ...]:
    # Derived categories are recomputed on every read; payloads carry them for consumers.
    return tuple(sorted(set(categories) - {"advanced_age"}))


def _registered(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(
        state, id=p["resident_id"], station_id=p["station_id"], community_id=p["community_id"],
        name=p["name"], gender=p["gender"], birth_date=p["birth_date"], id_number=p["id_number"],
        phone=p.get("phone"), address=p.get("address"), household=p.get("household"),
        categories=_without_derived(p["categories"]), status="active")


def _updated(state: Resident, p: Mapping) -> Resident:
    changes = {k: p[k] for k in p["changed"] if k in UPDATABLE}
    if "categories" in changes:
        changes["categories"] = _without_derived(changes["categories"])
    return dataclasses.replace(state, **changes)


def _moved(state: Resident, p: Mapping) -> Resident:
    address = p.get("address") or state.address
    return dataclasses.replace(state, community_id=p["community_id"], address=address)


def _transferred(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(_moved(state, p), station_id=p["to_station_id"], offer=None)


def _transfer_offered(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, offer=Offer(p["transfer_id"], p["from_station_id"],
                                                  p["to_station_id"], p["to_community_id"],
                                                  p["offered_by"]))


def _transfer_declined(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, offer=None)


def _status_changed(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, status=p["status"])


def _assessed(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, domain_cards={**state.domain_cards, p["domain"]: p["card"]},
                               last_assessed_at=p["assessed_at"], major_change=None)


def _card_set(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, card=p.get("card") or p["to_card"], pending=None)


def _downgrade_requested(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, pending=Pending(p["from_card"], p["to_card"], p["reason"],
                                                      p["requested_by"], p.get("override", False)))


def _downgrade_dropped(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, pending=None)


def _major_change(state: Resident, p: Mapping) -> Resident:
    if state.last_assessed_at and state.last_assessed_at >= _utc_text(p["flagged_at"]):
        return state  # already reassessed since the change
    return dataclasses.replace(state, major_change=p["change"])


def _scheduled(state: Resident, p: Mapping) -> Resident:
    return dataclasses.replace(state, reassess_on=p["due_on"], reassess_reason=p["reason"])


def _need_recorded(state: Resident, p: Mapping) -> Resident:
    need = Need(p["need_id"], p["category"], p["urgency"], p["description"])
    return dataclasses.replace(state, needs={**state.needs, need.need_id: need})


def _need_closed(status: str) -> Callable[[Resident, Mapping], Resident]:
    def apply(state: Resident, p: Mapping) -> Resident:
        need = dataclasses.replace(state.needs[p["need_id"]], status=status)
        return dataclasses.replace(state, needs={**state.needs, need.need_id: need})
    return apply


EVOLVERS: dict[str, Callable[[Resident, Mapping], Resident]] = {
    "ResidentRegistered": _registered,
    "ResidentUpdated": _updated,
    "ResidentMoved": _moved,
    "ResidentTransferred": _transferred,
    "TransferOffered": _transfer_offered,
    "TransferDeclined": _transfer_declined,
    "ResidentStatusChanged": _status_changed,
    "RiskAssessed": _assessed,
    "CardAssigned": _card_set,
    "CardUpgraded": _card_set,
    "CardDowngraded": _card_set,
    "CardDowngradeRequested": _downgrade_requested,
    "CardDowngradeRejected": _downgrade_dropped,
    "CardDowngradeCancelled": _downgrade_dropped,
    "MajorChangeRecorded": _major_change,
    "ReassessmentScheduled": _scheduled,
    "NeedRecorded": _need_recorded,
    "NeedMet": _need_closed("met"),
    "NeedWithdrawn": _need_closed("withdrawn"),
}


def _utc_text(moment: str) -> str:
    return iso(datetime.fromisoformat(moment))


# -- decide ------------------------------------------------------------------------------

def decide(state: Resident, command, now: datetime, policy: Policy) -> list[NewEvent]:
    """The events `command` causes on `state`, or a domain exception; nothing else."""
    return _DECIDERS[type(command)](state, command, now, policy)


def _event(state: Resident, event_type: str, actor: str, **payload) -> NewEvent:
    return NewEvent(event_type, {"resident_id": state.id, "station_id": state.station_id,
                                 **payload}, station_id=state.station_id, actor=actor)


def _register(state: Resident, cmd: c.RegisterResident, now: datetime, policy: Policy):
    check_not_registered(state)
    today = cards.local_date(now)
    check_id_number(cmd.id_number, cmd.birth_date, cmd.gender, today)
    check_categories(cmd.categories, cmd.birth_date, today, policy)
    fresh = Resident(birth_date=cmd.birth_date.isoformat(), categories=tuple(cmd.categories))
    payload = {
        "resident_id": cmd.resident_id, "station_id": cmd.station_id,
        "community_id": cmd.community_id,
        "categories": fresh.categories_on(today, policy.derived_categories),
        "name": cmd.name, "id_number": idnumber.normalise(cmd.id_number), "phone": cmd.phone,
        "address": cmd.address, "birth_date": cmd.birth_date.isoformat(), "gender": cmd.gender,
        "household": cmd.household,
    }
    return [NewEvent("ResidentRegistered", payload, station_id=cmd.station_id, actor=cmd.actor)]


def id_number_claim(cmd: c.RegisterResident) -> NewEvent:
    """The first event of the ID number's claim stream (two registrations cannot both win).

    It keeps the keyed hash the edge computed (`cmd.id_digest`), never the number."""
    if not cmd.id_digest:
        raise ValueError("RegisterResident.id_digest is required (the keyed hash of the ID number)")
    return NewEvent("IdNumberClaimed", {"resident_id": cmd.resident_id, "digest": cmd.id_digest},
                    station_id=cmd.station_id, actor=cmd.actor)


def _update(state: Resident, cmd: c.UpdateResident, now: datetime, policy: Policy):
    check_registered(state)
    check_updatable(cmd.changes)
    today = cards.local_date(now)
    if "categories" in cmd.changes:
        check_categories(cmd.changes["categories"], date.fromisoformat(state.birth_date), today,
                         policy)
    changed = {k: v for k, v in cmd.changes.items() if _current(state, k) != _comparable(k, v)}
    if not changed:
        return []
    if "categories" in changed:
        updated = dataclasses.replace(state, categories=tuple(changed["categories"]))
        changed["categories"] = updated.categories_on(today, policy.derived_categories)
    return [_event(state, "ResidentUpdated", cmd.actor, changed=sorted(changed), **changed)]


def _current(state: Resident, field: str):
    value = getattr(state, field)
    return sorted(value) if field == "categories" else value


def _comparable(field: str, value):
    return sorted(set(value) - {"advanced_age"}) if field == "categories" else value


def _move(state: Resident, cmd: c.MoveResident, now: datetime, policy: Policy):
    check_registered(state)
    check_active(state)
    check_no_transfer_pending(state)
    if cmd.community_id == state.community_id:
        raise Unchanged("The resident already lives in this community", "该居民已在此社区",
                        fields={"community_id": ["Same community / 与当前社区相同"]})
    if cmd.station_id == state.station_id:
        return [_event(state, "ResidentMoved", cmd.actor, from_community_id=state.community_id,
                       community_id=cmd.community_id, address=cmd.address)]
    # The old station records the handover; later events carry the new station.
    payload = {"resident_id": state.id, "station_id": cmd.station_id,
               "from_station_id": state.station_id, "from_community_id": state.community_id,
               "to_station_id": cmd.station_id, "community_id": cmd.community_id,
               "address": cmd.address}
    return [NewEvent("ResidentTransferred", payload, station_id=state.station_id, actor=cmd.actor)]


def _offer_transfer(state: Resident, cmd: c.OfferTransfer, now: datetime, policy: Policy):
    """The owning station offers the record; only ids (and the sealed reason) in the offer."""
    check_registered(state)
    check_active(state)
    check_no_transfer_pending(state)
    check_other_station(state, cmd.to_station_id)
    reason = check_reason_written(cmd.reason)
    return [_event(state, "TransferOffered", cmd.actor, transfer_id=cmd.transfer_id,
                   from_station_id=state.station_id, from_community_id=state.community_id,
                   to_station_id=cmd.to_station_id, to_community_id=cmd.to_community_id,
                   reason=reason, offered_by=cmd.actor)]


def _accept_transfer(state: Resident, cmd: c.AcceptTransfer, now: datetime, policy: Policy):
    """The receiving station takes the record and its history: ResidentTransferred, as a
    move to another station is (casework restarts its follow-ups there)."""
    check_registered(state)
    offer = check_offer_pending(state, cmd.transfer_id)
    check_receiving_station(offer, cmd.acceptor_stations)
    check_active(state)
    payload = {"resident_id": state.id, "station_id": offer.to_station_id,
               "from_station_id": state.station_id, "from_community_id": state.community_id,
               "to_station_id": offer.to_station_id, "community_id": offer.to_community_id,
               "address": None, "transfer_id": offer.transfer_id, "accepted_by": cmd.actor}
    return [NewEvent("ResidentTransferred", payload, station_id=state.station_id, actor=cmd.actor)]


def _decline_transfer(state: Resident, cmd: c.DeclineTransfer, now: datetime, policy: Policy):
    check_registered(state)
    offer = check_offer_pending(state, cmd.transfer_id)
    check_receiving_station(offer, cmd.acceptor_stations)
    reason = check_reason_written(cmd.reason)
    declined = _event(state, "TransferDeclined", cmd.actor, transfer_id=offer.transfer_id,
                      from_station_id=offer.from_station_id, to_station_id=offer.to_station_id,
                      reason=reason, declined_by=cmd.actor)
    return [dataclasses.replace(declined, station_id=offer.to_station_id)]


def _change_status(state: Resident, cmd: c.ChangeStatus, now: datetime, policy: Policy):
    check_registered(state)
    check_not_deceased(state)
    if cmd.status == state.status:
        raise Unchanged(f"Status is already {cmd.status}", "状态未改变",
                        fields={"status": ["Same as the current status / 与当前状态相同"]})
    return [_event(state, "ResidentStatusChanged", cmd.actor, from_status=state.status,
                   status=cmd.status, reason=cmd.reason,
                   effective_date=cmd.effective_date.isoformat())]


def _assess(state: Resident, cmd: c.AssessRisk, now: datetime, policy: Policy):
    check_registered(state)
    check_active(state)
    rubric = check_domain(policy, cmd.domain)
    scored = check_answers(rubric, cmd.answers)
    assessed = _event(state, "RiskAssessed", cmd.actor, assessment_id=cmd.assessment_id,
                      domain=cmd.domain, answers=dict(cmd.answers), score=scored.score,
                      card=scored.card, rubric_version=rubric.version, assessor=cmd.actor,
                      assessed_at=iso(now))
    after = evolve(state, assessed)
    changes = card_change(after, after.implied_card, f"assessment:{cmd.domain}", cmd.actor)
    return _with_schedule(state, [assessed, *changes], now, policy, cmd.actor)


def card_change(state: Resident, target: str, reason: str, actor: str,
                override: bool = False) -> list[NewEvent]:
    """The one event (or none) that moves the card in force towards `target`."""
    current, pending = state.card, state.pending
    common = {"reason": reason, "override": override}
    if current is None:
        return [_event(state, "CardAssigned", actor, card=target,
                       domain_cards=dict(state.domain_cards), **common)]
    if target == current:
        if pending is None:
            return []
        return [_event(state, "CardDowngradeCancelled", actor, from_card=current,
                       to_card=pending.to_card, reason=reason)]
    if cards.is_upgrade(current, target):
        return [_event(state, "CardUpgraded", actor, from_card=current, to_card=target,
                       domain_cards=dict(state.domain_cards), **common)]
    if cards.needs_confirmation(current, target):
        if pending is not None and pending.to_card == target and pending.override == override:
            return []  # already held for this very card
        return [_event(state, "CardDowngradeRequested", actor, from_card=current, to_card=target,
                       requested_by=actor, **common)]
    return [_event(state, "CardDowngraded", actor, from_card=current, to_card=target,
                   domain_cards=dict(state.domain_cards), confirmed_by=None,
                   requested_by=actor, **common)]


def _override(state: Resident, cmd: c.OverrideCard, now: datetime, policy: Policy):
    check_registered(state)
    check_active(state)
    check_supervisor(cmd.role, policy)
    reason = check_reason_written(cmd.reason)
    if cmd.card == state.card and state.pending is None:
        raise Unchanged(f"The card is already {cmd.card}", f"当前已是{cards.LABELS_ZH[cmd.card]}",
                        fields={"card": ["Same as the current card / 与当前卡片相同"]})
    changes = card_change(state, cmd.card, f"override: {reason}", cmd.actor, override=True)
    return _with_schedule(state, changes, now, policy, cmd.actor)


def _confirm(state: Resident, cmd: c.ConfirmDowngrade, now: datetime, policy: Policy):
    check_registered(state)
    check_supervisor(cmd.role, policy)
    pending = check_downgrade_pending(state)
    check_not_own_request(pending, cmd.actor)
    reason = pending.reason + (f"; confirmed: {cmd.note.strip()}" if cmd.note and cmd.note.strip() else "")
    downgraded = _event(state, "CardDowngraded", cmd.actor, from_card=pending.from_card,
                        to_card=pending.to_card, reason=reason,
                        domain_cards=dict(state.domain_cards), override=pending.override,
                        confirmed_by=cmd.actor, requested_by=pending.requested_by)
    return _with_schedule(state, [downgraded], now, policy, cmd.actor)


def _reject(state: Resident, cmd: c.RejectDowngrade, now: datetime, policy: Policy):
    check_registered(state)
    check_supervisor(cmd.role, policy)
    pending = check_downgrade_pending(state)
    reason = check_reason_written(cmd.reason)
    return [_event(state, "CardDowngradeRejected", cmd.actor, from_card=pending.from_card,
                   to_card=pending.to_card, reason=reason, rejected_by=cmd.actor)]


def _flag_major_change(state: Resident, cmd: c.FlagMajorChange, now: datetime, policy: Policy):
    check_registered(state)
    if state.status == "deceased":
        return []
    recorded = _event(state, "MajorChangeRecorded", cmd.actor, change=cmd.change,
                      visit_id=cmd.visit_id, flagged_at=iso(cmd.flagged_at),
                      source_event_id=cmd.source_event_id)
    after = evolve(state, recorded)
    if after.major_change is None:
        return [recorded]  # reassessed since: nothing more is due
    due = min(cards.local_date(cmd.flagged_at), cards.local_date(now))
    return [recorded, _event(state, "ReassessmentScheduled", cmd.actor, due_on=due.isoformat(),
                             reason=f"major_change:{cmd.change}")]


def _with_schedule(state: Resident, events: list[NewEvent], now: datetime, policy: Policy,
                   actor: str) -> list[NewEvent]:
    """Append ReassessmentScheduled if the events move the due date.

    The next reassessment falls the card's interval after the last assessment (Red
    monthly, Blue quarterly, Green yearly by default), unless a major change since
    then has made one due at once.
    """
    after = fold(events, state)
    if after.major_change is not None or after.card is None:
        return events
    base = (cards.local_date(datetime.fromisoformat(after.last_assessed_at))
            if after.last_assessed_at else cards.local_date(now))
    due = policy.schedule.next_due(after.card, base).isoformat()
    if due == after.reassess_on:
        return events
    return [*events, _event(state, "ReassessmentScheduled", actor, due_on=due,
                            reason=f"card:{after.card}")]


def _record_need(state: Resident, cmd: c.RecordNeed, now: datetime, policy: Policy):
    check_registered(state)
    check_active(state)
    check_need_fields(cmd, policy)
    if cmd.need_id in state.needs:
        raise Conflicting("Need already recorded", "需求已登记", existing_id=cmd.need_id)
    return [_event(state, "NeedRecorded", cmd.actor, need_id=cmd.need_id,
                   community_id=state.community_id, category=cmd.category, urgency=cmd.urgency,
                   description=cmd.description.strip())]


def _meet_need(state: Resident, cmd: c.MeetNeed, now: datetime, policy: Policy):
    check_registered(state)
    check_need_open(state, cmd.need_id)
    return [_event(state, "NeedMet", cmd.actor, need_id=cmd.need_id, note=cmd.note)]


def _withdraw_need(state: Resident, cmd: c.WithdrawNeed, now: datetime, policy: Policy):
    check_registered(state)
    check_need_open(state, cmd.need_id)
    reason = check_reason_written(cmd.reason)
    return [_event(state, "NeedWithdrawn", cmd.actor, need_id=cmd.need_id, reason=reason)]


_DECIDERS: dict[type, Callable[..., list[NewEvent]]] = {
    c.RegisterResident: _register,
    c.UpdateResident: _update,
    c.MoveResident: _move,
    c.OfferTransfer: _offer_transfer,
    c.AcceptTransfer: _accept_transfer,
    c.DeclineTransfer: _decline_transfer,
    c.ChangeStatus: _change_status,
    c.AssessRisk: _assess,
    c.OverrideCard: _override,
    c.ConfirmDowngrade: _confirm,
    c.RejectDowngrade: _reject,
    c.FlagMajorChange: _flag_major_change,
    c.RecordNeed: _record_need,
    c.MeetNeed: _meet_need,
    c.WithdrawNeed: _withdraw_need,
}


# -- guards ------------------------------------------------------------------------------

def check_registered(state: Resident) -> None:
    if not state.exists:
        raise NotRegistered("Unknown resident", "居民不存在")


def check_not_registered(state: Resident) -> None:
    if state.exists:
        raise AlreadyRegistered("Resident already registered", "居民已登记", existing_id=state.id)


def check_active(state: Resident) -> None:
    if state.status != "active":
        raise NotActive(f"The resident's status is {state.status}",
                        f"该居民状态为{STATUS_ZH[state.status]}，不能执行此操作")


def check_no_transfer_pending(state: Resident) -> None:
    if state.offer is not None:
        raise TransferPending("A transfer of this resident is waiting for the receiving station",
                              "该居民的转移正在等待接收社工站确认",
                              transfer_id=state.offer.transfer_id)


def check_other_station(state: Resident, to_station_id: str) -> None:
    if to_station_id == state.station_id:
        raise SameStation("The resident already belongs to this station: move them instead",
                          "该居民已属于此社工站，请使用迁移社区",
                          fields={"to_station_id": ["Same station / 与当前社工站相同"]})


def check_offer_pending(state: Resident, transfer_id: str) -> Offer:
    if state.offer is None or state.offer.transfer_id != transfer_id:
        raise NoTransferPending("This transfer is no longer waiting for an answer",
                                "该转移已处理，不能再次处理")
    return state.offer


def check_receiving_station(offer: Offer, acceptor_stations) -> None:
    """Only the receiving station answers an offer; nobody of the sending station."""
    if offer.from_station_id in acceptor_stations:
        raise SendingStation("The sending station cannot answer its own transfer offer",
                             "转出社工站不能处理自己发起的转移")
    if offer.to_station_id not in acceptor_stations:
        raise NotReceivingStation("Only the receiving station may answer a transfer offer",
                                  "仅接收社工站可处理转移")


def check_not_deceased(state: Resident) -> None:
    if state.status == "deceased":
        raise DeceasedIsFinal("A deceased resident's status is final", "已故居民的状态不可更改")


def check_id_number(id_number: str, birth_date: date, gender: str, today: date) -> None:
    found = idnumber.problems(id_number, birth_date, gender, today)
    if found:
        raise Invalid("Invalid ID number", "身份证号码有误", fields=found)


def check_categories(categories: Iterable[str], birth_date: date, today: date,
                     policy: Policy) -> None:
    unknown = sorted(set(categories) - set(policy.categories))
    if unknown:
        raise Invalid("Unknown category", "未知的服务对象类别", fields={"categories": [
            f"Unknown: {', '.join(unknown)} / 未知类别：{', '.join(unknown)}"]})
    for code, min_age in policy.derived_categories.items():
        if code in categories and cards.age_on(birth_date, today) < min_age:
            raise Invalid("Category does not fit the birth date", "类别与出生日期不符",
                          fields={"categories": [
                              f"{code} is derived from the birth date ({min_age}+) / "
                              f"{code} 由出生日期自动判定（{min_age} 岁及以上）"]})


def check_updatable(changes: Mapping[str, Any]) -> None:
    if not changes:
        raise Invalid("Nothing to update", "没有需要更新的字段",
                      fields={"_schema": ["Give at least one field / 请至少提供一个字段"]})
    fixed = sorted(set(changes) - set(UPDATABLE))
    if fixed:
        raise Invalid("These fields cannot be updated", "这些字段不可修改", fields={
            f: ["Not updatable here / 不可在此修改"] for f in fixed})


def check_domain(policy: Policy, domain: str) -> Rubric:
    rubric = policy.rubrics.get(domain)
    if rubric is None:
        choices = ", ".join(sorted(policy.rubrics))
        raise Invalid("Unknown domain", "未知的评估领域", fields={"domain": [
            f"Must be one of: {choices} / 必须是以下之一：{choices}"]})
    return rubric


def check_answers(rubric: Rubric, answers: Mapping[str, Any]):
    try:
        return rubric.score(answers)
    except InvalidAnswers as err:
        raise Invalid("Answers do not fit the rubric", "评估答案与量表不符",
                      fields={"answers": err.fields}) from None


def check_supervisor(role: str | None, policy: Policy) -> None:
    if role not in policy.supervisor_roles:
        raise NotSupervisor("Only a supervisor may do this", "仅督导可执行此操作")


def check_reason_written(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < 2:
        raise Invalid("A written reason is required", "需要填写理由",
                      fields={"reason": ["Write a reason / 请填写理由"]})
    return text


def check_downgrade_pending(state: Resident) -> Pending:
    if state.pending is None:
        raise NoDowngradePending("No downgrade awaits confirmation", "没有待确认的降级")
    return state.pending


def check_not_own_request(pending: Pending, actor: str) -> None:
    if pending.requested_by == actor:
        raise OwnRequest("Nobody confirms their own downgrade", "不能确认本人发起的降级")


def check_need_fields(cmd: c.RecordNeed, policy: Policy) -> None:
    fields = {}
    if cmd.category not in policy.need_categories:
        fields["category"] = [f"Must be one of: {', '.join(policy.need_categories)} / "
                              f"必须是以下之一：{', '.join(policy.need_categories)}"]
    if cmd.urgency not in policy.urgencies:
        fields["urgency"] = [f"Must be one of: {', '.join(policy.urgencies)} / "
                             f"必须是以下之一：{', '.join(policy.urgencies)}"]
    if not cmd.description.strip():
        fields["description"] = ["Describe the need / 请描述需求"]
    if fields:
        raise Invalid("Invalid need", "需求信息有误", fields=fields)


def check_need_open(state: Resident, need_id: str) -> Need:
    need = state.needs.get(need_id)
    if need is None:
        raise UnknownNeed("Unknown need", "需求不存在")
    if need.status != "open":
        raise NeedClosed(f"The need is already {need.status}", "该需求已关闭")
    return need


STATUS_ZH = {"active": "在册", "moved_out": "已迁出", "deceased": "已故"}
