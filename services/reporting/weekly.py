"""The 1+1+1 weekly summary and next-week plan, drafted from the week's events.

The station head gets a draft (what was done, what falls due next week, what is
overdue, which residents got a Red card) to edit and submit. Only ids and counts: the
draft goes up the chain, personal data does not.
"""
from __future__ import annotations

from typing import Sequence

from services.reporting.facts import Fact
from services.reporting.figures import Scope, figures
from services.reporting.periods import Period, local_date


def _in_week(fact: Fact, week: Period, station: str) -> bool:
    return fact.station_id == station and week.start.isoformat() <= fact.on <= week.end.isoformat()


def _closed(facts: Sequence[Fact], as_of: str) -> set[str]:
    return {f.subject for f in facts if f.kind in ("followup_done", "followup_cancelled")
            and f.on <= as_of}


def _followups_due(facts: Sequence[Fact], station: str, period: Period, closed) -> list[str]:
    return sorted(f.subject for f in facts if f.kind == "followup" and f.station_id == station
                  and f.subject not in closed
                  and local_date(f.data.get("due_at") or f.on) in period)


def _overdue(facts: Sequence[Fact], station: str, week: Period, closed) -> list[str]:
    end = week.end.isoformat()
    return sorted(f.subject for f in facts if f.kind == "followup" and f.station_id == station
                  and f.on <= end and f.subject not in closed
                  and local_date(f.data.get("due_at") or f.on).isoformat() < end)


def draft(facts: Sequence[Fact], station: str, week: Period) -> dict:
    """{"figures", "done", "due_next_week", "overdue", "new_red", "summary", "plan"}"""
    closed = _closed(facts, week.end.isoformat())
    mine = [f for f in facts if _in_week(f, week, station)]
    done = {"visits": sorted(f.subject for f in mine if f.kind == "visit"),
            "followups": sorted(f.subject for f in mine if f.kind == "followup_done"),
            "activities": sorted(f.subject for f in mine if f.kind == "session"),
            "cases_closed": sorted(f.subject for f in mine if f.kind == "case_closed")}
    new_red = sorted({f.subject for f in mine if f.kind == "card" and f.data.get("card") == "red"})
    due = _followups_due(facts, station, week.following(), closed)
    overdue = _overdue(facts, station, week, closed)
    return {"week": week.as_dict(), "figures": figures(facts, Scope(frozenset({station})), week),
            "done": done, "due_next_week": due, "overdue": overdue, "new_red": new_red,
            "summary": _summary(done, overdue, new_red), "plan": _plan(due, overdue)}


def _summary(done: dict, overdue: list, new_red: list) -> str:
    return (f"本周完成探访 {len(done['visits'])} 次、随访 {len(done['followups'])} 次、"
            f"活动 {len(done['activities'])} 场、结案 {len(done['cases_closed'])} 个；"
            f"新增红卡 {len(new_red)} 人；逾期随访 {len(overdue)} 个。"
            f" / This week: {len(done['visits'])} visits, {len(done['followups'])} follow-ups, "
            f"{len(done['activities'])} activities, {len(done['cases_closed'])} cases closed; "
            f"{len(new_red)} new Red cards; {len(overdue)} follow-ups overdue.")


def _plan(due: list, overdue: list) -> str:
    return (f"下周到期随访 {len(due)} 个，优先补做逾期随访 {len(overdue)} 个。"
            f" / Next week: {len(due)} follow-ups due; first the {len(overdue)} overdue.")
