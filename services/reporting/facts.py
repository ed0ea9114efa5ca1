"""Other services' events, normalised into facts: what happened, to what, where, on which day.

Reporting consumes events by type name only (never another service's classes): a source
that is not deployed, or a type that is not listed in SPECS, simply contributes nothing.
A fact keeps the station and community it happened at, the resident if any, the local
date it happened on (`on`, the domain's own time: a visit's `visited_at`, not when it
was typed in) and when it was recorded (`recorded_at`, which makes a late event late).

Some events do not carry their station (CaseClosed, ReferralAccepted, AttendanceRecorded
...): `via` names the earlier fact of the same source that does, found with `lookup`.
`facts_of` is pure: the caller provides `lookup` (an in-memory index in tests, the fact
table in the service).
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping, Optional

from shared.events import Recorded

from services.reporting.periods import local_date

CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class Fact:
    fact_id: str
    source: str
    kind: str
    subject: str
    station_id: Optional[str]
    community_id: Optional[str]
    resident_id: Optional[str]
    on: str                       # local date YYYY-MM-DD
    recorded_at: str
    event_type: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    position: int = 0             # the event's position in its source's store

    def row(self) -> dict:
        return dataclasses.asdict(self) | {"data": dict(self.data)}


Lookup = Callable[[str, str], Optional[Fact]]


@dataclasses.dataclass(frozen=True)
class Spec:
    """How one event type becomes one fact.

    kind: the fact's kind; subject: the payload field naming what it is about;
    when: payload fields for the day it happened (first present wins; else the
    envelope's occurred_at); keep: payload fields copied into data (renamed with
    `name=field`); fixed: constant data; via: (fact kind, payload field) of the fact
    holding the station when the payload lacks it.
    """

    kind: str
    subject: str
    when: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    via: tuple[str, str] | None = None


def _s(kind, subject, when=(), keep=(), via=None, **fixed) -> Spec:
    return Spec(kind, subject, tuple(when), tuple(keep), fixed, via)


_CASE = ("case_opened", "case_id")
_REFERRAL = ("referral", "referral_id")

SPECS: dict[str, Spec] = {
    # residents: the organisation tree
    "DistrictAdded": _s("district", "district_id", keep=("name",)),
    "StreetAdded": _s("street", "street_id", keep=("district_id", "name")),
    "StationAdded": _s("station", "station_id", keep=("street_id", "name")),
    "CommunityAdded": _s("community", "community_id", keep=("name",)),
    # residents: people, cards, needs
    "ResidentRegistered": _s("resident", "resident_id", keep=("categories", "gender")),
    "ResidentUpdated": _s("resident_updated", "resident_id", keep=("categories", "changed")),
    "ResidentMoved": _s("resident_moved", "resident_id"),
    "ResidentTransferred": _s("resident_moved", "resident_id", keep=("from_station_id",)),
    "ResidentStatusChanged": _s("resident_status", "resident_id", ("effective_date",),
                                ("status",)),
    "CardAssigned": _s("card", "resident_id", keep=("card",), change="assigned"),
    "CardUpgraded": _s("card", "resident_id", keep=("card=to_card", "from_card"),
                       change="upgraded"),
    "CardDowngraded": _s("card", "resident_id", keep=("card=to_card", "from_card"),
                         change="downgraded"),
    "KeyDestroyed": _s("resident_erased", "resident_id", ("at",)),
    "NeedRecorded": _s("need", "need_id", keep=("category", "urgency"), state="open"),
    "NeedMet": _s("need_state", "need_id", state="met", via=("need", "need_id")),
    "NeedWithdrawn": _s("need_state", "need_id", state="withdrawn", via=("need", "need_id")),
    # casework
    "CaseOpened": _s("case_opened", "case_id", ("opened_at",), ("domain",)),
    "CaseClosed": _s("case_closed", "case_id", ("closed_at",), ("outcome",), via=_CASE),
    "CaseReopened": _s("case_reopened", "case_id", via=_CASE),
    "VisitRecorded": _s("visit", "visit_id", ("visited_at",), ("method", "case_id")),
    "ReferralMade": _s("referral", "referral_id", ("made_on",), ("agency", "case_id"),
                       status="made"),
    "ReferralAccepted": _s("referral_status", "referral_id", status="accepted", via=_REFERRAL),
    "ReferralDeclined": _s("referral_status", "referral_id", status="declined", via=_REFERRAL),
    "ReferralCompleted": _s("referral_status", "referral_id", status="completed",
                            via=_REFERRAL),
    "FollowUpScheduled": _s("followup", "followup_id", keep=("card", "kind", "due_at")),
    "FollowUpDone": _s("followup_done", "followup_id", ("done_at",), ("late", "visit_id")),
    "FollowUpOverdue": _s("followup_overdue", "followup_id"),
    "FollowUpCancelled": _s("followup_cancelled", "followup_id", keep=("reason",)),
    # activities (services/activities/events.py): sessions, attendance, organizations
    "ActivityPlanned": _s("activity_plan", "activity_id", ("session_at",),
                          ("area", "project_id")),
    "GroupCreated": _s("activity_plan", "activity_id", keep=("area", "project_id")),
    "ActivityHeld": _s("session", "session_id", ("session_at",), ("activity_id",)),
    "ActivityCancelled": _s("activity_cancelled", "activity_id"),
    "AttendanceRecorded": _s("attendance", "session_id", ("session_at",),
                             ("activity_id", "area", "resident_ids", "headcount")),
    "OrganizationIncubated": _s("organization", "organization_id", ("incubated_on",),
                                ("type",), state="incubating"),
    "OrganizationFiled": _s("organization_state", "organization_id", ("on",), state="filed"),
    "OrganizationRegistered": _s("organization_state", "organization_id", ("on",),
                                 state="registered"),
    "OrganizationDormant": _s("organization_state", "organization_id", ("on",),
                              state="dormant"),
    "OrganizationRevived": _s("organization_state", "organization_id", ("on",), ("state",)),
    "OrganizationDissolved": _s("organization_state", "organization_id", ("on",),
                                state="dissolved"),
    "MemberJoined": _s("member_joined", "member_id", ("joined_on",),
                       ("organization_id", "party_member")),
    "MemberLeft": _s("member_left", "member_id", ("left_on",), ("organization_id",)),
    "VolunteerRegistered": _s("volunteer", "volunteer_id", ("registered_on",)),
    # Hours count only once confirmed; the confirmation carries them.
    "VolunteerServiceConfirmed": _s("volunteer_hours", "log_id", ("served_on",),
                                    ("volunteer_id", "hours")),
    # resources (services/resources/events.py)
    "PartnerRegistered": _s("partner", "partner_id", keep=("type",)),
    "ResourceDonated": _s("donation", "donation_id", ("donated_on",),
                          ("kind", "value", "partner_id", "partner_type")),
    "ResourceAllocated": _s("allocation", "allocation_id", ("allocated_on",),
                            ("value", "target_type")),
    "WishPosted": _s("wish", "wish_id", keep=("need_id",), state="posted"),
    "WishClaimed": _s("wish_state", "wish_id", state="claimed"),
    "WishDelivered": _s("wish_state", "wish_id", ("delivered_on",), state="delivered"),
    "WishClosed": _s("wish_state", "wish_id", state="closed"),
    "WishExpired": _s("wish_state", "wish_id", ("expires_on",), state="expired"),
}

# Which source publishes each type (a type from another source is not ours to read).
SOURCES = {
    "residents": frozenset(("DistrictAdded", "StreetAdded", "StationAdded", "CommunityAdded",
                            "ResidentRegistered", "ResidentUpdated", "ResidentMoved",
                            "ResidentTransferred", "ResidentStatusChanged", "CardAssigned",
                            "CardUpgraded", "CardDowngraded", "KeyDestroyed", "NeedRecorded",
                            "NeedMet", "NeedWithdrawn")),
    "casework": frozenset(t for t, s in SPECS.items() if s.kind.split("_")[0] in
                          ("case", "visit", "referral", "followup")),
    "activities": frozenset(t for t, s in SPECS.items() if s.kind.split("_")[0] in
                            ("activity", "session", "attendance", "organization", "member",
                             "volunteer")),
    "resources": frozenset(t for t, s in SPECS.items() if s.kind.split("_")[0] in
                           ("partner", "donation", "allocation", "wish")),
}


def money(value: Any) -> Decimal:
    """RMB as an exact decimal to the fen; a value that is no amount counts as 0."""
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return Decimal("0.00")


def _kept(spec: Spec, payload: Mapping) -> dict:
    data = dict(spec.fixed)
    for item in spec.keep:
        name, _, field = item.partition("=")
        if (field or name) in payload:
            data[name] = payload[field or name]
    return data


def _day(spec: Spec, payload: Mapping, event: Recorded) -> str:
    for field in spec.when:
        if payload.get(field):
            return local_date(payload[field]).isoformat()
    return local_date(event.occurred_at or event.recorded_at).isoformat()


def facts_of(source: str, event: Recorded, lookup: Lookup) -> list[Fact]:
    """The facts one event of `source` adds (none for a type reporting does not read)."""
    spec = SPECS.get(event.type)
    if spec is None or event.type not in SOURCES.get(source, ()):
        return []
    payload = event.payload
    subject = str(payload.get(spec.subject) or "")
    if not subject:
        return []
    anchor = lookup(spec.via[0], str(payload.get(spec.via[1]) or "")) if spec.via else None
    station = payload.get("station_id") or (anchor.station_id if anchor else None)
    community = payload.get("community_id") or (anchor.community_id if anchor else None)
    resident = payload.get("resident_id") or (anchor.resident_id if anchor else None)
    if spec.kind in ("resident", "resident_updated", "resident_moved", "resident_status",
                     "card", "resident_erased"):
        resident = subject
    return [Fact(event.event_id, source, spec.kind, subject, station, community, resident,
                 _day(spec, payload, event), event.recorded_at, event.type,
                 _kept(spec, payload), event.position or 0)]


class FactIndex:
    """An in-memory fold of facts with the lookup `facts_of` needs (tests, rebuild checks)."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self._first: dict[tuple[str, str], Fact] = {}
        self._seen: set[str] = set()

    def lookup(self, kind: str, subject: str) -> Fact | None:
        return self._first.get((kind, subject))

    def add(self, source: str, event: Recorded) -> list[Fact]:
        if event.event_id in self._seen:
            return []
        self._seen.add(event.event_id)
        added = facts_of(source, event, self.lookup)
        for fact in added:
            self.facts.append(fact)
            self._first.setdefault((fact.kind, fact.subject), fact)
        return added


def fold(events_by_source: Mapping[str, list[Recorded]]) -> FactIndex:
    """Every source's events, each source in its own order, into one index."""
    index = FactIndex()
    for source, events in events_by_source.items():
        for event in events:
            index.add(source, event)
    return index
