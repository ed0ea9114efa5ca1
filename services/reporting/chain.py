"""The five-level reporting chain (五级工作汇报机制) and 1+1+1 management: pure aggregates.

Levels 1-4 are notes of what happened (street meetings attended, progress reported to
street leaders, community visits with suggestions, activities consulted before and
after); level 5, a suggestion, is tracked proposed -> pending -> adopted / declined
until it is answered. 1+1+1: one weekly team meeting's minutes per week, and the
monthly supervision (at least one a month; `gaps` names the weeks and months without).
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Iterable, Mapping

from shared.events import NewEvent, Recorded
from shared.kit import fold as kit
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing

from services.reporting import commands as c
from services.reporting import periods

CHAIN_LEVELS = {"StreetMeetingAttended": 1, "ProgressReported": 2, "CommunityVisitNoted": 3,
                "ActivityConsulted": 4}
FINAL = frozenset({"adopted", "declined"})


def record(cmd: c.RecordChain, now: datetime) -> list[NewEvent]:
    if cmd.event_type not in CHAIN_LEVELS:
        raise Invalid(f"Not a chain record: {cmd.event_type}", f"不是工作汇报记录：{cmd.event_type}")
    payload = {**cmd.payload, "station_id": cmd.station_id}
    return [NewEvent(cmd.event_type, payload, station_id=cmd.station_id, occurred_at=now,
                     actor=cmd.actor)]


# -- suggestions (level 5) ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Suggestion:
    suggestion_id: str | None = None
    station_id: str | None = None
    state: str = "none"
    answers: tuple[Mapping, ...] = ()
    version: int = 0


def propose(s: Suggestion, cmd: c.ProposeSuggestion, now: datetime) -> list[NewEvent]:
    if s.suggestion_id is not None:
        raise Duplicate(f"Suggestion {cmd.suggestion_id} exists", f"建议 {cmd.suggestion_id} 已存在")
    payload = {"suggestion_id": cmd.suggestion_id, "station_id": cmd.station_id,
               "addressed_to": cmd.addressed_to, "title": cmd.title,
               "proposed_on": cmd.proposed_on, "proposed_by": cmd.actor}
    return [NewEvent("SuggestionProposed", payload, station_id=cmd.station_id,
                     occurred_at=now, actor=cmd.actor)]


def answer(s: Suggestion, cmd: c.AnswerSuggestion, now: datetime) -> list[NewEvent]:
    if s.suggestion_id is None:
        raise Missing(f"Suggestion {cmd.suggestion_id} not found", f"未找到建议 {cmd.suggestion_id}")
    if s.state in FINAL:
        raise IllegalTransition(f"The suggestion is already {s.state}",
                                f"该建议已{'采纳' if s.state == 'adopted' else '未采纳'}，不能再答复")
    payload = {"suggestion_id": s.suggestion_id, "station_id": s.station_id,
               "answer": cmd.answer, "answered_on": cmd.answered_on,
               "recorded_by": cmd.actor, "comment": cmd.comment}
    return [NewEvent("SuggestionAnswered", payload, station_id=s.station_id, occurred_at=now,
                     actor=cmd.actor)]


SUGGESTION_EVOLVERS = {
    "SuggestionProposed": lambda s, p: Suggestion(p["suggestion_id"], p["station_id"],
                                                  "proposed"),
    "SuggestionAnswered": lambda s, p: dataclasses.replace(s, state=p["answer"],
                                                           answers=s.answers + (dict(p),)),
}


def fold_suggestion(events: Iterable[Recorded]) -> Suggestion:
    return kit.fold(lambda s, e: kit.step(SUGGESTION_EVOLVERS, s, e), events, Suggestion())


# -- 1+1+1 meetings -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Meetings:
    station_id: str | None = None
    weeks: frozenset[str] = frozenset()          # weeks with minutes
    supervision_months: Mapping[str, int] = dataclasses.field(default_factory=dict)
    version: int = 0


def _on(day: str, key: str, what: str) -> None:
    try:
        inside = date.fromisoformat(day) in periods.parse(key)
    except (ValueError, periods.BadPeriod):
        inside = False
    if not inside:
        raise Invalid(f"{what} {day} is not in {key}", f"{what}日期 {day} 不在 {key} 内",
                             fields={"held_on": [f"not in {key} / 不在 {key} 内"]})


def minute_meeting(m: Meetings, cmd: c.MinuteWeeklyMeeting, now: datetime) -> list[NewEvent]:
    _on(cmd.held_on, cmd.week, "Meeting")
    if cmd.week in m.weeks:
        raise Duplicate(f"Week {cmd.week} already has minutes", f"{cmd.week} 周例会纪要已存在")
    payload = {"minutes_id": cmd.minutes_id, "station_id": cmd.station_id, "week": cmd.week,
               "held_on": cmd.held_on, "attendees": list(cmd.attendees),
               "minutes": cmd.minutes, "recorded_by": cmd.actor}
    return [NewEvent("WeeklyMeetingMinuted", payload, station_id=cmd.station_id,
                     occurred_at=now, actor=cmd.actor)]


def record_supervision(m: Meetings, cmd: c.RecordSupervision, now: datetime) -> list[NewEvent]:
    _on(cmd.held_on, cmd.month, "Supervision")
    payload = {"record_id": cmd.record_id, "station_id": cmd.station_id, "month": cmd.month,
               "held_on": cmd.held_on, "supervisor": cmd.supervisor, "topics": cmd.topics,
               "recorded_by": cmd.actor}
    return [NewEvent("SupervisionRecorded", payload, station_id=cmd.station_id,
                     occurred_at=now, actor=cmd.actor)]


def _minuted(m: Meetings, p: dict) -> Meetings:
    return dataclasses.replace(m, station_id=p["station_id"], weeks=m.weeks | {p["week"]})


def _supervised(m: Meetings, p: dict) -> Meetings:
    months = {**m.supervision_months,
              p["month"]: m.supervision_months.get(p["month"], 0) + 1}
    return dataclasses.replace(m, station_id=p["station_id"], supervision_months=months)


MEETING_EVOLVERS = {"WeeklyMeetingMinuted": _minuted, "SupervisionRecorded": _supervised}
EVOLVERS = {**SUGGESTION_EVOLVERS, **MEETING_EVOLVERS}


def fold_meetings(events: Iterable[Recorded]) -> Meetings:
    return kit.fold(lambda m, e: kit.step(MEETING_EVOLVERS, m, e), events, Meetings())


def gaps(m: Meetings, span: periods.Period) -> dict:
    """Weeks of the span without minutes and months without a supervision."""
    weeks, months = [], []
    week = periods.containing("week", span.start)
    while week.start <= span.end:
        weeks.append(week.key)
        week = week.following()
    month = periods.containing("month", span.start)
    while month.start <= span.end:
        months.append(month.key)
        month = month.following()
    return {"weeks_without_minutes": [w for w in weeks if w not in m.weeks],
            "months_without_supervision": [k for k in months if not m.supervision_months.get(k)]}
