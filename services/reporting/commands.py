"""Commands of the reporting service (imperative; fields only).

Everything a decision needs is in the command: ids, the actor, the acting level
(from the role: street_leader -> street, district_admin -> district), the figures the
edge computed from facts, and what the unit's other reports say (`waiting`,
`locked_above`). Decisions therefore stay pure and are tested without I/O.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from services.reporting.periods import Period


@dataclasses.dataclass(frozen=True)
class SubmitReport:
    report_id: str
    level: str                      # station | street
    unit_id: str
    station_ids: tuple[str, ...]
    street_id: str
    district_id: str | None
    kind: str                       # weekly | monthly | quarterly
    period: Period
    figures: Mapping[str, Any]
    corrections: tuple[Mapping[str, Any], ...]
    watermark: Mapping[str, int]
    summary: str | None
    plan: str | None
    actor: str
    # stations of a street roll-up whose own report for the period is not accepted yet
    waiting: tuple[str, ...] = ()
    # the ids of the facts in the report's scope (services.reporting.corrections.counted)
    counted: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class AcceptReport:
    report_id: str
    actor: str
    actor_level: str                # street | district
    comment: str | None = None


@dataclasses.dataclass(frozen=True)
class ReturnReport:
    report_id: str
    actor: str
    actor_level: str
    comment: str


@dataclasses.dataclass(frozen=True)
class ReopenReport:
    report_id: str
    actor: str
    actor_level: str
    reason: str
    # the roll-up above (the street's, for a station report) is accepted: reopen it first
    locked_above: bool = False


@dataclasses.dataclass(frozen=True)
class RecordChain:
    """A level 1-4 record of the five-level chain: `event_type` names which."""
    event_type: str
    station_id: str
    payload: Mapping[str, Any]
    actor: str


@dataclasses.dataclass(frozen=True)
class ProposeSuggestion:
    suggestion_id: str
    station_id: str
    addressed_to: str
    title: str
    proposed_on: str
    actor: str


@dataclasses.dataclass(frozen=True)
class AnswerSuggestion:
    suggestion_id: str
    answer: str                     # adopted | declined | pending
    answered_on: str
    comment: str | None
    actor: str


@dataclasses.dataclass(frozen=True)
class MinuteWeeklyMeeting:
    minutes_id: str
    station_id: str
    week: str
    held_on: str
    attendees: tuple[str, ...]
    minutes: str
    actor: str


@dataclasses.dataclass(frozen=True)
class RecordSupervision:
    record_id: str
    station_id: str
    month: str
    held_on: str
    supervisor: str
    topics: str
    actor: str
