"""Counts at a date (`as_of`), as pure folds over the service's events.

Each event that changes a count carries its *effective date*: a session's
`session_at` (read in the station's calendar), an organization's step date, a
member's `joined_on` / `left_on`, a volunteer's `served_on`. A count `as_of` D is
what was true at the end of day D by those dates, whatever day it was recorded; with
`as_of=None` it is what is true now. Folding the same events always gives the same
counts, in whatever order the services' streams were interleaved.

- person-times (服务人次): per session, distinct named residents + anonymous headcount;
  a resident recorded twice for one session counts once.
- organizations: incubated by D and not dissolved by D (dormant ones included).
- active members: joined by D, not left by D, of an organization counted at D.
- volunteer hours: confirmed logs only, served by D.

Counts are kept per (station, community); `roll_up` sums them to any coarser key
(station, street, district) with a mapping the caller gives.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Callable, Hashable, Iterable, Mapping

from services.activities.rules import local_date

Place = tuple[str, str]  # (station_id, community_id)


@dataclasses.dataclass(frozen=True)
class Counts:
    activities: int = 0        # activities and groups with a session held by the date
    sessions: int = 0          # sessions held by the date
    person_times: int = 0
    organizations: int = 0
    members: int = 0           # active members
    party_members: int = 0     # active members who are party members (党员)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(dataclasses.astuple(self),
                                              dataclasses.astuple(other))))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _by(as_of: date | None) -> Callable[[date | str | None], bool]:
    def within(day) -> bool:
        if day is None:
            return False
        if isinstance(day, str):
            day = date.fromisoformat(day) if len(day) == 10 else local_date(day)
        return as_of is None or day <= as_of
    return within


# -- activities -----------------------------------------------------------------------

@dataclasses.dataclass
class _Session:
    place: Place
    activity_id: str
    held: bool = False
    resident_ids: set = dataclasses.field(default_factory=set)
    headcount: int = 0


def _sessions(events: Iterable, within) -> dict[tuple[str, str], _Session]:
    """Sessions held by the date, with who attended them."""
    places: dict[str, Place] = {}
    sessions: dict[tuple[str, str], _Session] = {}
    for event in events:
        p = event.payload
        if event.type in ("ActivityPlanned", "GroupCreated"):
            places[p["activity_id"]] = (p["station_id"], p["community_id"])
        elif event.type in ("ActivityHeld", "AttendanceRecorded") and within(p["session_at"]):
            key = (p["activity_id"], p["session_id"])
            session = sessions.setdefault(key, _Session(places.get(
                p["activity_id"], (p["station_id"], p.get("community_id"))), p["activity_id"]))
            session.held = True
            if event.type == "AttendanceRecorded":
                session.resident_ids.update(p["resident_ids"])
                session.headcount += p["headcount"]
    return sessions


def activity_counts(events: Iterable, as_of: date | None = None) -> dict[Place, Counts]:
    tallies: dict[Place, dict] = defaultdict(lambda: {"a": set(), "s": 0, "pt": 0})
    for session in _sessions(events, _by(as_of)).values():
        tally = tallies[session.place]
        tally["a"].add(session.activity_id)
        tally["s"] += 1
        tally["pt"] += len(session.resident_ids) + session.headcount
    return {place: Counts(activities=len(t["a"]), sessions=t["s"], person_times=t["pt"])
            for place, t in tallies.items()}


# -- organizations and members --------------------------------------------------------

_STEPS = {"OrganizationFiled": "filed", "OrganizationRegistered": "registered",
          "OrganizationDormant": "dormant", "OrganizationDissolved": "dissolved"}


@dataclasses.dataclass
class _Org:
    place: Place
    state: str = "incubating"
    members: dict = dataclasses.field(default_factory=dict)  # member_id -> party flag


def _organizations(events: Iterable, within) -> dict[str, _Org]:
    """Organizations incubated by the date, in their state at the date, with the members
    active at the date."""
    orgs: dict[str, _Org] = {}
    for event in events:
        p = event.payload
        org = orgs.get(p.get("organization_id"))
        if event.type == "OrganizationIncubated" and within(p["incubated_on"]):
            orgs[p["organization_id"]] = _Org((p["station_id"], p["community_id"]))
        elif org is None:
            continue
        elif event.type in _STEPS and within(p["on"]):
            org.state = _STEPS[event.type]
        elif event.type == "OrganizationRevived" and within(p["on"]):
            org.state = p["state"]
        elif event.type == "MemberJoined" and within(p["joined_on"]):
            org.members[p["member_id"]] = p["party_member"]
        elif event.type == "MemberLeft" and within(p["left_on"]):
            org.members.pop(p["member_id"], None)
    return orgs


def organization_counts(events: Iterable, as_of: date | None = None) -> dict[Place, Counts]:
    counts: dict[Place, Counts] = defaultdict(Counts)
    for org in _organizations(events, _by(as_of)).values():
        if org.state == "dissolved":
            continue
        counts[org.place] += Counts(organizations=1, members=len(org.members),
                                    party_members=sum(org.members.values()))
    return dict(counts)


def organizations_by_state(events: Iterable, as_of: date | None = None) -> dict[str, int]:
    states: dict[str, int] = defaultdict(int)
    for org in _organizations(events, _by(as_of)).values():
        states[org.state] += 1
    return dict(states)


# -- everything, and roll-ups ---------------------------------------------------------

def counts_as_of(events: Iterable, as_of: date | None = None) -> dict[Place, Counts]:
    """Activities, sessions, person-times, organizations, members and party members per
    (station, community), as of the end of day `as_of` (None: now)."""
    events = list(events)
    merged: dict[Place, Counts] = defaultdict(Counts)
    for part in (activity_counts(events, as_of), organization_counts(events, as_of)):
        for place, counts in part.items():
            merged[place] += counts
    return dict(merged)


def roll_up(counts: Mapping[Place, Counts],
            key: Callable[[Place], Hashable | None]) -> dict[Hashable, Counts]:
    """Sums per key, e.g. `key=lambda place: place[0]` per station, or a station's street
    looked up in the organisation tree; places whose key is None are left out."""
    summed: dict[Hashable, Counts] = defaultdict(Counts)
    for place, value in counts.items():
        k = key(place)
        if k is not None:
            summed[k] += value
    return dict(summed)


def total(counts: Mapping[Place, Counts]) -> Counts:
    return sum(counts.values(), Counts())


# -- volunteer hours ------------------------------------------------------------------

HOUR_KEYS: dict[str, Callable[[dict], Hashable | None]] = {
    "volunteer": lambda p: p["volunteer_id"],
    "organization": lambda p: p.get("organization_id"),
    "activity": lambda p: p.get("activity_id"),
    "month": lambda p: p["served_on"][:7],
    "station": lambda p: p["station_id"],
}


def volunteer_hours(events: Iterable, by: str = "volunteer",
                    as_of: date | None = None) -> dict[Hashable, Decimal]:
    """Confirmed hours served by the date, per volunteer, organization, activity, month
    or station. A log that is only logged (self-reported, not confirmed) adds nothing."""
    within, key = _by(as_of), HOUR_KEYS[by]
    hours: dict[Hashable, Decimal] = defaultdict(Decimal)
    confirmed: set[str] = set()
    for event in events:
        p = event.payload
        if event.type != "VolunteerServiceConfirmed" or p["log_id"] in confirmed:
            continue
        confirmed.add(p["log_id"])
        if within(p["served_on"]) and key(p) is not None:
            hours[key(p)] += Decimal(p["hours"])
    return dict(hours)
