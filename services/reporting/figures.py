"""The figures of a report: a pure fold over facts, for a scope, a period and as of its end.

Flows (visits, cases closed, person-times, donations ...) count what happened within
the period; stocks (cards, open cases, organizations, members, open needs, overdue
follow-ups ...) are the state at the end of the period (`as_of`). Everything comes from
facts (services.reporting.facts); nothing is stored that a fold could not recompute.
Money is an exact Decimal, rendered as a string to the fen.
"""
from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Iterable

from services.reporting.facts import Fact, money
from services.reporting.periods import Period, local_date

CARDS = ("red", "blue", "green")
REFERRAL_STATES = ("made", "accepted", "declined", "completed")
WISH_STATES = ("posted", "claimed", "delivered", "closed", "expired")
# The keys of GET /reports/stations/{id}/summary (../shared/API.md), never renamed.
SUMMARY_KEYS = ("cases_open", "cases_closed", "visits", "activities", "person_times",
                "organizations", "members", "party_members", "resources_rmb", "cards",
                "followups_overdue")


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which stations (and optionally one community of them) a report covers."""

    stations: frozenset[str]
    community: str | None = None

    def covers(self, station: str | None, community: str | None = None) -> bool:
        if station not in self.stations:
            return False
        return self.community is None or community == self.community


class _Book:
    """The facts up to `as_of`, indexed by kind and subject, in the order they happened."""

    def __init__(self, facts: Iterable[Fact], as_of: str):
        facts = list(facts)
        known = sorted((f for f in facts if f.on <= as_of),
                       key=lambda f: (f.on, f.recorded_at, f.fact_id))
        # What an activity is about (its area) whenever its record was made: a group
        # created today may hold sessions held, and reported, weeks ago.
        self.plans: dict[str, Fact] = {}
        for fact in facts:
            kept = self.plans.get(fact.subject)
            if fact.kind == "activity_plan" and (
                    kept is None or (fact.on, fact.recorded_at) < (kept.on, kept.recorded_at)):
                self.plans[fact.subject] = fact
        self.by_kind: dict[str, list[Fact]] = defaultdict(list)
        self.by_subject: dict[tuple[str, str], list[Fact]] = defaultdict(list)
        for fact in known:
            self.by_kind[fact.kind].append(fact)
            self.by_subject[(fact.kind, fact.subject)].append(fact)
        self.residents = self._residents()

    def first(self, kind: str, subject: str) -> Fact | None:
        found = self.by_subject.get((kind, subject))
        return found[0] if found else None

    def last(self, kind: str, subject: str) -> Fact | None:
        found = self.by_subject.get((kind, subject))
        return found[-1] if found else None

    def _residents(self) -> dict[str, dict]:
        """Each resident's station, community, categories, card and status at as_of."""
        people: dict[str, dict] = {}
        kinds = ("resident", "resident_updated", "resident_moved", "resident_status", "card",
                 "resident_erased")
        for fact in sorted((f for k in kinds for f in self.by_kind.get(k, ())),
                           key=lambda f: (f.on, f.recorded_at, f.fact_id)):
            person = people.setdefault(fact.subject, {
                "station_id": None, "community_id": None, "categories": [], "card": None,
                "status": "active", "erased": False})
            _evolve_resident(person, fact)
        return people

    def community_of(self, fact: Fact) -> str | None:
        if fact.community_id:
            return fact.community_id
        person = self.residents.get(fact.resident_id or "")
        return person["community_id"] if person else None


def _evolve_resident(person: dict, fact: Fact) -> None:
    data = fact.data
    if fact.kind in ("resident", "resident_moved"):
        person["station_id"] = fact.station_id or person["station_id"]
        person["community_id"] = fact.community_id or person["community_id"]
    if fact.kind in ("resident", "resident_updated") and "categories" in data:
        person["categories"] = list(data["categories"] or [])
    if fact.kind == "resident_status":
        person["status"] = data.get("status", person["status"])
    if fact.kind == "card":
        person["card"] = data.get("card")
    if fact.kind == "resident_erased":
        person["erased"] = True


def _in(scope: Scope, book: _Book, fact: Fact) -> bool:
    return scope.covers(fact.station_id, book.community_of(fact))


def _within(period: Period, fact: Fact) -> bool:
    return period.start.isoformat() <= fact.on <= period.end.isoformat()


def _flows(book: _Book, scope: Scope, period: Period, kind: str) -> list[Fact]:
    return [f for f in book.by_kind.get(kind, ()) if _within(period, f) and _in(scope, book, f)]


def _stock(book: _Book, scope: Scope, kind: str) -> list[Fact]:
    return [f for f in book.by_kind.get(kind, ()) if _in(scope, book, f)]


# -- sections -------------------------------------------------------------------------

def residents_section(book: _Book, scope: Scope, period: Period) -> dict:
    active = [p for p in book.residents.values()
              if p["status"] == "active" and scope.covers(p["station_id"], p["community_id"])]
    categories = Counter(c for p in active for c in p["categories"])
    cards = Counter(p["card"] for p in active)
    changes = _flows(book, scope, period, "card")
    return {
        "total": len(active),
        "by_category": dict(sorted(categories.items())),
        "by_card": {**{c: cards.get(c, 0) for c in CARDS}, "none": cards.get(None, 0)},
        "card_changes": {k: sum(1 for f in changes if f.data.get("change") == k)
                         for k in ("assigned", "upgraded", "downgraded")},
        "new_red": sum(1 for f in changes if f.data.get("card") == "red"),
    }


def cases_section(book: _Book, scope: Scope, period: Period) -> dict:
    open_now = 0
    for opened in _stock(book, scope, "case_opened"):
        closes = book.by_subject.get(("case_closed", opened.subject), [])
        reopens = book.by_subject.get(("case_reopened", opened.subject), [])
        last = max(closes + reopens, key=lambda f: (f.on, f.recorded_at), default=None)
        open_now += last is None or last.kind == "case_reopened"
    return {"opened": len(_flows(book, scope, period, "case_opened")),
            "closed": len(_flows(book, scope, period, "case_closed")),
            "open": open_now}


def visits_section(book: _Book, scope: Scope, period: Period) -> dict:
    visits = _flows(book, scope, period, "visit")
    methods = Counter(f.data.get("method") for f in visits)
    return {"total": len(visits), "by_method": dict(sorted(methods.items())),
            "consolations": methods.get("consolation", 0)}


def followups_section(book: _Book, scope: Scope, period: Period) -> dict:
    as_of = period.end.isoformat()
    due = overdue = 0
    for scheduled in _stock(book, scope, "followup"):
        due_on = local_date(scheduled.data.get("due_at") or scheduled.on).isoformat()
        due += period.start.isoformat() <= due_on <= as_of
        closed = book.first("followup_done", scheduled.subject) or \
            book.first("followup_cancelled", scheduled.subject)
        flagged = book.first("followup_overdue", scheduled.subject)
        overdue += closed is None and (due_on < as_of or flagged is not None)
    done = _flows(book, scope, period, "followup_done")
    late = sum(1 for f in done if f.data.get("late"))
    return {"due": due, "overdue": overdue, "done_on_time": len(done) - late, "done_late": late}


def referrals_section(book: _Book, scope: Scope, period: Period) -> dict:
    status = Counter()
    for made in _stock(book, scope, "referral"):
        last = book.last("referral_status", made.subject)
        status[last.data["status"] if last else "made"] += 1
    return {"made_in_period": len(_flows(book, scope, period, "referral")),
            "by_status": {s: status.get(s, 0) for s in REFERRAL_STATES}}


def activities_section(book: _Book, scope: Scope, period: Period) -> dict:
    """Sessions held (an activity is one session, a group many) and their person-times."""
    held = [f for f in _flows(book, scope, period, "session")
            if book.first("activity_cancelled", f.data.get("activity_id", "")) is None]
    areas = Counter(_area(book, f.data.get("activity_id", "")) for f in held)
    return {"held": len(held), "person_times": sum(_person_times(book, f.subject) for f in held),
            "by_area": dict(sorted(areas.items()))}


def _area(book: _Book, activity_id: str) -> str:
    """The activity's service area ("unknown" for a session whose activity reporting has
    not heard of: a key of the figures, which are JSON and hash-chained)."""
    plan = book.plans.get(activity_id)
    return (plan.data.get("area") if plan else None) or "unknown"


def _person_times(book: _Book, session_id: str) -> int:
    """Distinct named residents + the anonymous headcount, for one session."""
    records = book.by_subject.get(("attendance", session_id), [])
    named = {r for f in records for r in (f.data.get("resident_ids") or [])}
    return len(named) + sum(int(f.data.get("headcount") or 0) for f in records)


def organizations_section(book: _Book, scope: Scope, period: Period) -> dict:
    states = Counter()
    live = set()
    for org in _stock(book, scope, "organization"):
        last = book.last("organization_state", org.subject)
        state = last.data["state"] if last else org.data.get("state", "incubating")
        states[state] += 1
        if state != "dissolved":
            live.add(org.subject)
    members = party = 0
    for joined in _stock(book, scope, "member_joined"):
        left = book.first("member_left", joined.subject)
        if joined.data.get("organization_id") in live and left is None:
            members += 1
            party += bool(joined.data.get("party_member"))
    return {"organizations": len(live), "by_state": dict(sorted(states.items())),
            "members": members, "party_members": party}


def volunteers_section(book: _Book, scope: Scope, period: Period) -> dict:
    hours = sum((Decimal(str(f.data.get("hours") or 0))
                 for f in _flows(book, scope, period, "volunteer_hours")), Decimal("0"))
    return {"volunteers": len(_stock(book, scope, "volunteer")),
            "confirmed_hours": str(hours.quantize(Decimal("0.01")))}


def resources_section(book: _Book, scope: Scope, period: Period) -> dict:
    donated = sum((money(f.data.get("value")) for f in _flows(book, scope, period, "donation")),
                  Decimal("0.00"))
    allocated = sum((money(f.data.get("value"))
                     for f in _flows(book, scope, period, "allocation")), Decimal("0.00"))
    wishes = Counter()
    for wish in _stock(book, scope, "wish"):
        last = book.last("wish_state", wish.subject)
        wishes[last.data["state"] if last else "posted"] += 1
    return {"donations_rmb": str(donated), "allocations_rmb": str(allocated),
            "wishes": {s: wishes.get(s, 0) for s in WISH_STATES}}


def needs_section(book: _Book, scope: Scope, period: Period) -> dict:
    states = Counter()
    for need in _stock(book, scope, "need"):
        last = book.last("need_state", need.subject)
        states[last.data["state"] if last else "open"] += 1
    return {"open": states.get("open", 0), "met": states.get("met", 0),
            "met_in_period": sum(1 for f in _flows(book, scope, period, "need_state")
                                 if f.data.get("state") == "met")}


SECTIONS = {"residents": residents_section, "cases": cases_section, "visits": visits_section,
            "followups": followups_section, "referrals": referrals_section,
            "activities": activities_section, "organizations": organizations_section,
            "volunteers": volunteers_section, "resources": resources_section,
            "needs": needs_section}


def figures(facts: Iterable[Fact], scope: Scope, period: Period) -> dict:
    """Every section for the scope over the period, as of the period's last day."""
    book = _Book(facts, period.end.isoformat())
    return {name: section(book, scope, period) for name, section in SECTIONS.items()}


def summary(full: dict) -> dict:
    """The API's summary keys (../shared/API.md), taken from the full figures."""
    return {
        "cases_open": full["cases"]["open"], "cases_closed": full["cases"]["closed"],
        "visits": full["visits"]["total"], "activities": full["activities"]["held"],
        "person_times": full["activities"]["person_times"],
        "organizations": full["organizations"]["organizations"],
        "members": full["organizations"]["members"],
        "party_members": full["organizations"]["party_members"],
        "resources_rmb": full["resources"]["donations_rmb"],
        "cards": {c: full["residents"]["by_card"][c] for c in CARDS},
        "followups_overdue": full["followups"]["overdue"],
    }


def flatten(full: dict, prefix: str = "") -> dict[str, object]:
    """`{"visits": {"total": 3}}` -> `{"visits.total": 3}`: figures compared one by one."""
    flat: dict[str, object] = {}
    for key, value in full.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
