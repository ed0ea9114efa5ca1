"""A volunteer (志愿者) and the service hours logged for them. Pure.

A social worker's log counts at once (VolunteerServiceLogged then
VolunteerServiceConfirmed in one decision); a volunteer's self-report waits for a
social worker to confirm or reject it, and unconfirmed hours never count. A day holds
at most 24 hours per volunteer, counting every log that is not rejected.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

from shared.events import NewEvent
from shared.kit import fold as kit

from services.activities import commands as c
from services.activities import rules
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing

PENDING, CONFIRMED, REJECTED = "pending", "confirmed", "rejected"
DAY_HOURS = Decimal(24)


class VolunteerNotFound(Missing):
    def __init__(self, volunteer_id: str | None):
        super().__init__(f"Volunteer {volunteer_id} not found", f"未找到志愿者 {volunteer_id}")


class LogNotFound(Missing):
    def __init__(self, log_id: str):
        super().__init__(f"Service log {log_id} not found", f"未找到服务记录 {log_id}")


class LogNotPending(IllegalTransition):
    def __init__(self, log_id: str, status: str):
        zh = {CONFIRMED: "已确认", REJECTED: "已驳回"}[status]
        super().__init__(f"Service log {log_id} is {status} already",
                         f"服务记录 {log_id} {zh}，不能再处理")


class DayOverfull(Invalid):
    def __init__(self, day: date, logged: Decimal, hours: Decimal):
        super().__init__(
            f"{logged + hours} hours on {day} is more than 24 (already logged: {logged})",
            f"{day} 的服务时长合计 {logged + hours} 小时，超过 24 小时（已登记 {logged} 小时）",
            {"hours": [f"Over 24 hours on {day} / 当日超过 24 小时"]})


class HoursNotPositive(Invalid):
    def __init__(self):
        super().__init__("Hours must be more than 0", "服务时长必须大于 0",
                         {"hours": ["Must be more than 0 / 必须大于 0"]})


def check_exists(volunteer: "Volunteer") -> None:
    if volunteer.volunteer_id is None:
        raise VolunteerNotFound(volunteer.volunteer_id)


def check_hours(volunteer: "Volunteer", day: date, hours: Decimal) -> None:
    if hours <= 0:
        raise HoursNotPositive()
    logged = volunteer.hours_on(day)
    if logged + hours > DAY_HOURS:
        raise DayOverfull(day, logged, hours)


def check_pending(volunteer: "Volunteer", log_id: str) -> "Log":
    log = volunteer.logs.get(log_id)
    if log is None:
        raise LogNotFound(log_id)
    if log.status != PENDING:
        raise LogNotPending(log_id, log.status)
    return log


@dataclasses.dataclass(frozen=True)
class Log:
    log_id: str
    served_on: date
    hours: Decimal
    activity_id: str | None
    organization_id: str | None
    status: str = PENDING


@dataclasses.dataclass(frozen=True)
class Volunteer:
    volunteer_id: str | None = None
    station_id: str | None = None
    resident_id: str | None = None
    organization_id: str | None = None
    logs: dict[str, Log] = dataclasses.field(default_factory=dict)
    version: int = 0

    def hours_on(self, day: date) -> Decimal:
        return sum((log.hours for log in self.logs.values()
                    if log.served_on == day and log.status != REJECTED), Decimal(0))

    @property
    def confirmed_hours(self) -> Decimal:
        return sum((log.hours for log in self.logs.values() if log.status == CONFIRMED),
                   Decimal(0))


def _logged(v: Volunteer, p: dict) -> Volunteer:
    log = Log(p["log_id"], date.fromisoformat(p["served_on"]), Decimal(p["hours"]),
              p.get("activity_id"), p.get("organization_id"))
    return dataclasses.replace(v, logs={**v.logs, log.log_id: log})


def _settled(status: str) -> Callable[[Volunteer, dict], Volunteer]:
    def settle(v: Volunteer, p: dict) -> Volunteer:
        log = dataclasses.replace(v.logs[p["log_id"]], status=status)
        return dataclasses.replace(v, logs={**v.logs, log.log_id: log})
    return settle


EVOLVERS: dict[str, Callable[[Volunteer, dict], Volunteer]] = {
    "VolunteerRegistered": lambda v, p: dataclasses.replace(
        v, volunteer_id=p["volunteer_id"], station_id=p["station_id"],
        resident_id=p.get("resident_id"), organization_id=p.get("organization_id")),
    "VolunteerServiceLogged": _logged,
    "VolunteerServiceConfirmed": _settled(CONFIRMED),
    "VolunteerServiceRejected": _settled(REJECTED),
}


def evolve(volunteer: Volunteer, event) -> Volunteer:
    return kit.step(EVOLVERS, volunteer, event)


def fold(events, volunteer: Volunteer | None = None) -> Volunteer:
    return kit.fold(evolve, events, volunteer or Volunteer())


def _event(v: Volunteer, type_: str, payload: dict, actor: str, now: datetime) -> NewEvent:
    payload = {"volunteer_id": v.volunteer_id, "station_id": v.station_id, **payload}
    return NewEvent(type_, payload, station_id=v.station_id, occurred_at=now, actor=actor)


def _register(v: Volunteer, cmd: c.RegisterVolunteer, now: datetime,
              known: rules.Known) -> list[NewEvent]:
    if v.volunteer_id is not None:
        raise Duplicate(f"Volunteer {cmd.volunteer_id} exists already", "志愿者已存在")
    rules.check_date_not_future(cmd.registered_on, now, "registered_on", "registration",
                                "登记日期")
    if cmd.resident_id is not None:
        rules.check_residents_of_station([cmd.resident_id], cmd.station_id, known.residents,
                                         "resident_id")
    new = Volunteer(volunteer_id=cmd.volunteer_id, station_id=cmd.station_id)
    return [_event(new, "VolunteerRegistered", {
        "community_id": cmd.community_id, "name": cmd.name, "phone": cmd.phone,
        "resident_id": cmd.resident_id, "organization_id": cmd.organization_id,
        "registered_on": cmd.registered_on.isoformat(), "registered_by": cmd.actor},
        cmd.actor, now)]


def _confirmed(v: Volunteer, log: Log, actor: str, now: datetime) -> NewEvent:
    return _event(v, "VolunteerServiceConfirmed", {
        "log_id": log.log_id, "served_on": log.served_on.isoformat(),
        "hours": str(log.hours), "activity_id": log.activity_id,
        "organization_id": log.organization_id, "confirmed_by": actor}, actor, now)


def _log(v: Volunteer, cmd: c.LogService, now: datetime,
         known: rules.Known) -> list[NewEvent]:
    check_exists(v)
    if cmd.log_id in v.logs:
        raise Duplicate(f"Service log {cmd.log_id} exists already", "服务记录已存在")
    rules.check_date_not_future(cmd.served_on, now, "served_on", "service day", "服务日期")
    check_hours(v, cmd.served_on, cmd.hours)
    log = Log(cmd.log_id, cmd.served_on, cmd.hours, cmd.activity_id, cmd.organization_id)
    events = [_event(v, "VolunteerServiceLogged", {
        "log_id": log.log_id, "served_on": log.served_on.isoformat(), "hours": str(log.hours),
        "activity_id": log.activity_id, "organization_id": log.organization_id,
        "description": cmd.description, "self_reported": cmd.self_reported,
        "logged_by": cmd.actor}, cmd.actor, now)]
    if not cmd.self_reported:
        events.append(_confirmed(v, log, cmd.actor, now))
    return events


def _confirm(v: Volunteer, cmd: c.ConfirmService, now: datetime,
             known: rules.Known) -> list[NewEvent]:
    check_exists(v)
    return [_confirmed(v, check_pending(v, cmd.log_id), cmd.actor, now)]


def _reject(v: Volunteer, cmd: c.RejectService, now: datetime,
            known: rules.Known) -> list[NewEvent]:
    check_exists(v)
    check_pending(v, cmd.log_id)
    return [_event(v, "VolunteerServiceRejected", {
        "log_id": cmd.log_id, "reason": cmd.reason, "rejected_by": cmd.actor}, cmd.actor, now)]


DECIDERS: dict[type, Callable[..., list[NewEvent]]] = {
    c.RegisterVolunteer: _register,
    c.LogService: _log,
    c.ConfirmService: _confirm,
    c.RejectService: _reject,
}


def decide(volunteer: Volunteer, command, now: datetime,
           known: rules.Known = rules.Known()) -> list[NewEvent]:
    """The events a command produces for this volunteer, or a domain exception."""
    return DECIDERS[type(command)](volunteer, command, now, known)
