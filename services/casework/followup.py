"""The follow-up (随访) aggregate and the card rhythm that schedules it. Pure.

A follow-up is a window [window_start, due_at] in which someone must contact the
resident. A visit at or after window_start satisfies it (late if after due_at). Once
due_at has passed unvisited it is flagged overdue: FollowUpOverdue happens at most once
per follow-up because the flag is part of the stream's state and every writer appends
with the version it read (the event store refuses the second writer, who re-checks).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable

from shared.events import NewEvent, iso
from shared.kit import fold as kit
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing

from services.casework import commands as c
from services.casework.policy import CardRule

NONE, PENDING, DONE, CANCELLED = "none", "pending", "done", "cancelled"
STATUS_NAMES_ZH = {NONE: "不存在", PENDING: "待随访", DONE: "已完成", CANCELLED: "已取消"}


class FollowUpNotFound(Missing):
    def __init__(self, followup_id: str):
        super().__init__(f"Follow-up {followup_id} not found", f"未找到随访 {followup_id}")


class FollowUpExists(Duplicate):
    def __init__(self, followup_id: str):
        super().__init__(f"Follow-up {followup_id} exists already", f"随访 {followup_id} 已存在")


class FollowUpNotOpen(IllegalTransition):
    def __init__(self, followup_id: str | None, status: str):
        super().__init__(f"Follow-up {followup_id} is {status}, not open",
                         f"随访 {followup_id} {STATUS_NAMES_ZH.get(status, status)}，不能再处理")


class VisitBeforeWindow(Invalid):
    def __init__(self):
        super().__init__("The visit is before this follow-up's window",
                         "探访时间早于该随访的时间窗口",
                         {"visited_at": ["Before the follow-up window / 早于随访时间窗口"]})


@dataclasses.dataclass(frozen=True)
class FollowUp:
    followup_id: str | None = None
    resident_id: str | None = None
    station_id: str | None = None
    card: str | None = None
    kind: str | None = None
    window_start: datetime | None = None
    due_at: datetime | None = None
    worker: str | None = None
    status: str = NONE
    overdue: bool = False
    visit_id: str | None = None
    version: int = 0


# -- the card rhythm ------------------------------------------------------------------

def first_window(start: datetime, rule: CardRule) -> tuple[datetime, datetime]:
    """After a card is given at `start`: the first contact's window."""
    return start, start + rule.first_contact


def next_window(visited_at: datetime, rule: CardRule) -> tuple[datetime, datetime]:
    """After a follow-up was satisfied by a visit: the next regular contact's window."""
    return visited_at, visited_at + rule.every


def is_overdue(followup: FollowUp, now: datetime) -> bool:
    return followup.status == PENDING and not followup.overdue and followup.due_at < now


def falls_in(followup: FollowUp, visited_at: datetime) -> bool:
    return followup.status == PENDING and followup.window_start <= visited_at


# -- evolve ---------------------------------------------------------------------------

def _scheduled(f: FollowUp, p: dict) -> FollowUp:
    return dataclasses.replace(
        f, followup_id=p["followup_id"], resident_id=p["resident_id"],
        station_id=p["station_id"], card=p["card"], kind=p["kind"],
        window_start=datetime.fromisoformat(p["window_start"]),
        due_at=datetime.fromisoformat(p["due_at"]), worker=p.get("worker"), status=PENDING)


EVOLVERS: dict[str, Callable[[FollowUp, dict], FollowUp]] = {
    "FollowUpScheduled": _scheduled,
    "FollowUpAssigned": lambda f, p: dataclasses.replace(f, worker=p["worker"]),
    "FollowUpOverdue": lambda f, p: dataclasses.replace(f, overdue=True),
    "FollowUpDone": lambda f, p: dataclasses.replace(f, status=DONE, visit_id=p["visit_id"]),
    "FollowUpCancelled": lambda f, p: dataclasses.replace(f, status=CANCELLED),
}


def evolve(followup: FollowUp, event) -> FollowUp:
    return kit.step(EVOLVERS, followup, event)


def fold(events, followup: FollowUp | None = None) -> FollowUp:
    return kit.fold(evolve, events, followup or FollowUp())


# -- decide ---------------------------------------------------------------------------

def _ids(f: FollowUp) -> dict:
    return {"followup_id": f.followup_id, "resident_id": f.resident_id,
            "station_id": f.station_id}


def _event(f: FollowUp, type_: str, payload: dict, now: datetime, actor: str | None = None):
    return NewEvent(type_, {**_ids(f), **payload}, station_id=f.station_id, occurred_at=now,
                    actor=actor)


def _overdue_event(f: FollowUp, now: datetime) -> NewEvent:
    return _event(f, "FollowUpOverdue", {"card": f.card, "due_at": iso(f.due_at)}, now)


def _schedule(f: FollowUp, cmd: c.ScheduleFollowUp, now: datetime) -> list[NewEvent]:
    if f.status != NONE:
        raise FollowUpExists(cmd.followup_id)
    payload = {"followup_id": cmd.followup_id, "resident_id": cmd.resident_id,
               "station_id": cmd.station_id, "card": cmd.card, "kind": cmd.kind,
               "window_start": iso(cmd.window_start), "due_at": iso(cmd.due_at),
               "worker": cmd.worker}
    return [NewEvent("FollowUpScheduled", payload, station_id=cmd.station_id, occurred_at=now)]


def _satisfy(f: FollowUp, cmd: c.SatisfyFollowUp, now: datetime) -> list[NewEvent]:
    if f.status != PENDING:
        raise FollowUpNotOpen(f.followup_id or cmd.followup_id, f.status)
    if not falls_in(f, cmd.visited_at):
        raise VisitBeforeWindow()
    late = cmd.visited_at > f.due_at
    events = [_overdue_event(f, now)] if late and not f.overdue else []
    return events + [_event(f, "FollowUpDone", {
        "card": f.card, "visit_id": cmd.visit_id, "done_at": iso(cmd.visited_at),
        "worker": cmd.worker, "late": late}, now, cmd.worker)]


def _flag(f: FollowUp, cmd: c.FlagIfOverdue, now: datetime) -> list[NewEvent]:
    """Nothing unless the due time has passed unvisited and nobody flagged it yet."""
    return [_overdue_event(f, now)] if is_overdue(f, now) else []


def _cancel(f: FollowUp, cmd: c.CancelFollowUp, now: datetime) -> list[NewEvent]:
    if f.status != PENDING:
        return []
    return [_event(f, "FollowUpCancelled", {"reason": cmd.reason}, now)]


def _assign(f: FollowUp, cmd: c.AssignFollowUp, now: datetime) -> list[NewEvent]:
    if f.status != PENDING:
        raise FollowUpNotOpen(f.followup_id or cmd.followup_id, f.status)
    if f.worker == cmd.worker:
        return []
    return [_event(f, "FollowUpAssigned", {"worker": cmd.worker}, now, cmd.actor)]


DECIDERS = {
    c.ScheduleFollowUp: _schedule,
    c.SatisfyFollowUp: _satisfy,
    c.FlagIfOverdue: _flag,
    c.CancelFollowUp: _cancel,
    c.AssignFollowUp: _assign,
}


def decide(followup: FollowUp, command, now: datetime) -> list[NewEvent]:
    return DECIDERS[type(command)](followup, command, now)
