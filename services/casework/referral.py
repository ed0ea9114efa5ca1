"""The referral (转介) aggregate: made → accepted | declined; accepted → completed. Pure.

A referral is due twice: the agency should answer by `due_date`, and once it accepts,
finish by `completion_due_date`. `overdue_stage(referral, today)` tells which deadline
has passed, for worklists.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Callable

from shared.events import NewEvent
from shared.kit import fold as kit
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing

from services.casework import case as case_rules
from services.casework import commands as c

NEW, MADE, ACCEPTED, DECLINED, COMPLETED = "new", "made", "accepted", "declined", "completed"
STATUS_NAMES_ZH = {NEW: "不存在", MADE: "已转介待回复", ACCEPTED: "已接收", DECLINED: "已拒绝",
                   COMPLETED: "已完成"}
ACTION_NAMES = {"accept": ("accept", "接收"), "decline": ("decline", "拒绝"),
                "complete": ("complete", "完成")}
ALLOWED = {"accept": {MADE}, "decline": {MADE}, "complete": {ACCEPTED}}


class ReferralNotFound(Missing):
    def __init__(self, referral_id: str):
        super().__init__(f"Referral {referral_id} not found", f"未找到转介 {referral_id}")


class ReferralExists(Duplicate):
    def __init__(self, referral_id: str):
        super().__init__(f"Referral {referral_id} exists already", f"转介 {referral_id} 已存在")


class ReferralStepRefused(IllegalTransition):
    def __init__(self, action: str, status: str):
        en, zh = ACTION_NAMES[action]
        super().__init__(f"Cannot {en} a referral that is {status}",
                         f"转介当前状态为「{STATUS_NAMES_ZH[status]}」，不能{zh}")


class UnknownAgency(Invalid):
    def __init__(self, agency: str, known: tuple[str, ...]):
        super().__init__(f"Unknown agency {agency}", f"未知的转介机构 {agency}",
                         {"agency": [f"Must be one of: {', '.join(known)}. / "
                                     f"必须是以下之一：{'、'.join(known)}。"]})


class DueDateBeforeReferral(Invalid):
    def __init__(self, field: str):
        super().__init__(f"{field} is before the referral was made", f"{field} 早于转介日期",
                         {field: ["Must not be before the referral date / 不能早于转介日期"]})


def check_allowed(referral: "Referral", action: str, referral_id: str) -> None:
    if referral.status == NEW:
        raise ReferralNotFound(referral_id)
    if referral.status not in ALLOWED[action]:
        raise ReferralStepRefused(action, referral.status)


def check_agency(agency: str, known: tuple[str, ...]) -> None:
    if agency not in known:
        raise UnknownAgency(agency, known)


def check_not_before(day: date, made_on: date, field: str) -> None:
    if day < made_on:
        raise DueDateBeforeReferral(field)


@dataclasses.dataclass(frozen=True)
class Referral:
    referral_id: str | None = None
    case_id: str | None = None
    resident_id: str | None = None
    station_id: str | None = None
    agency: str | None = None
    status: str = NEW
    made_on: date | None = None
    due_date: date | None = None
    completion_due_date: date | None = None
    version: int = 0


def overdue_stage(referral: Referral, today: date) -> str | None:
    """'response' or 'completion' if that deadline has passed unmet, else None."""
    if referral.status == MADE and today > referral.due_date:
        return "response"
    if referral.status == ACCEPTED and today > referral.completion_due_date:
        return "completion"
    return None


def _made(r: Referral, p: dict) -> Referral:
    return dataclasses.replace(
        r, referral_id=p["referral_id"], case_id=p["case_id"], resident_id=p["resident_id"],
        station_id=p["station_id"], agency=p["agency"], status=MADE,
        made_on=date.fromisoformat(p["made_on"]), due_date=date.fromisoformat(p["due_date"]))


EVOLVERS: dict[str, Callable[[Referral, dict], Referral]] = {
    "ReferralMade": _made,
    "ReferralAccepted": lambda r, p: dataclasses.replace(
        r, status=ACCEPTED, completion_due_date=date.fromisoformat(p["completion_due_date"])),
    "ReferralDeclined": lambda r, p: dataclasses.replace(r, status=DECLINED),
    "ReferralCompleted": lambda r, p: dataclasses.replace(r, status=COMPLETED),
}


def evolve(referral: Referral, event) -> Referral:
    return kit.step(EVOLVERS, referral, event)


def fold(events, referral: Referral | None = None) -> Referral:
    return kit.fold(evolve, events, referral or Referral())


def _event(r: Referral, type_: str, payload: dict, actor: str, now: datetime) -> NewEvent:
    base = {"referral_id": r.referral_id, "case_id": r.case_id, "resident_id": r.resident_id,
            "agency": r.agency}
    return NewEvent(type_, {**base, **payload}, station_id=r.station_id, occurred_at=now,
                    actor=actor)


def make(case: case_rules.Case, referral: Referral, cmd: c.MakeReferral, today: date,
         agencies: tuple[str, ...], now: datetime) -> list[NewEvent]:
    """A referral on a case that is still being worked."""
    case_rules.check_allowed(case, "refer")
    check_agency(cmd.agency, agencies)
    check_not_before(cmd.due_date, today, "due_date")
    if referral.status != NEW:
        raise ReferralExists(cmd.referral_id)
    payload = {"referral_id": cmd.referral_id, "case_id": case.case_id,
               "resident_id": case.resident_id, "station_id": case.station_id,
               "agency": cmd.agency, "reason": cmd.reason,
               "made_on": today.isoformat(), "due_date": cmd.due_date.isoformat(),
               "referred_by": cmd.actor}
    return [NewEvent("ReferralMade", payload, station_id=case.station_id, occurred_at=now,
                     actor=cmd.actor)]


def accept(r: Referral, cmd: c.AcceptReferral, completion_days: int,
           now: datetime) -> list[NewEvent]:
    check_allowed(r, "accept", cmd.referral_id)
    due = cmd.completion_due_date or (r.made_on + timedelta(days=completion_days))
    check_not_before(due, r.made_on, "completion_due_date")
    return [_event(r, "ReferralAccepted", {"completion_due_date": due.isoformat(),
                                           "note": cmd.note, "recorded_by": cmd.actor},
                   cmd.actor, now)]


def decline(r: Referral, cmd: c.DeclineReferral, now: datetime) -> list[NewEvent]:
    check_allowed(r, "decline", cmd.referral_id)
    return [_event(r, "ReferralDeclined", {"reason": cmd.reason, "recorded_by": cmd.actor},
                   cmd.actor, now)]


def complete(r: Referral, cmd: c.CompleteReferral, now: datetime) -> list[NewEvent]:
    check_allowed(r, "complete", cmd.referral_id)
    return [_event(r, "ReferralCompleted", {"result": cmd.result, "recorded_by": cmd.actor},
                   cmd.actor, now)]
