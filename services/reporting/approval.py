"""A report's submission and approval: a pure state machine, after DHIS2's data approval.

    (none) ──submit──▶ submitted ──accept──▶ accepted ──reopen (approver, reason)──▶ reopened
                 ▲         │                                                          │
                 │         └──return (comment)──▶ returned                            │
                 └─────────────────── submit again (revision + 1) ◀───────────────────┘

As in DHIS2 (period x organisation unit x data set, approval levels, locking): the
level above approves (a station's report: its street; a street's roll-up: the district),
an approved report is locked, a roll-up waits until every station below is accepted
(UNAPPROVED_WAITING), and a report cannot be reopened while the roll-up above it is
accepted (APPROVED_ABOVE). Nobody accepts or returns their own submission.

A submitted report is frozen: ReportSubmitted carries its figures, and nothing but a new
submission after a return or a reopening ever replaces them. Each step is an event, so
the trace of who submitted, returned, accepted and reopened stays in the stream.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Iterable, Mapping

from shared.events import NewEvent, iso
from shared.kit import fold as kit
from shared.kit.errors import IllegalTransition, Invalid, NotAllowed

from services.reporting import commands as c
from services.reporting.periods import local_date

NONE, SUBMITTED, ACCEPTED, RETURNED, REOPENED = (
    "none", "submitted", "accepted", "returned", "reopened")
APPROVER = {"station": "street", "street": "district"}
STATUS_ZH = {NONE: "未提交", SUBMITTED: "已提交待审核", ACCEPTED: "已通过",
             RETURNED: "已退回", REOPENED: "已重新打开"}
SUBMITTABLE = frozenset({NONE, RETURNED, REOPENED})


@dataclasses.dataclass(frozen=True)
class Report:
    report_id: str | None = None
    level: str | None = None
    unit_id: str | None = None
    station_ids: tuple[str, ...] = ()
    street_id: str | None = None
    kind: str | None = None
    period_key: str | None = None
    status: str = NONE
    revision: int = 0
    submitted_by: str | None = None
    submitted_at: str | None = None
    figures: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    corrections: tuple[Mapping[str, Any], ...] = ()
    watermark: Mapping[str, int] = dataclasses.field(default_factory=dict)
    # the ids of the facts about its period and stations the figures counted (None: a
    # report submitted before they were kept; its corrections are judged by the watermark)
    counted: frozenset[str] | None = None
    summary: str | None = None
    plan: str | None = None
    trail: tuple[Mapping[str, Any], ...] = ()
    version: int = 0


# -- guards ---------------------------------------------------------------------------

class ReportStepRefused(IllegalTransition):
    def __init__(self, step: str, status: str):
        super().__init__(f"Cannot {step} a report that is {status}",
                         f"报表当前状态为「{STATUS_ZH[status]}」，不能{_STEP_ZH[step]}")


_STEP_ZH = {"submit": "提交", "accept": "通过", "return": "退回", "reopen": "重新打开"}


def check_status(report: Report, step: str, allowed: Iterable[str]) -> None:
    if report.status not in allowed:
        raise ReportStepRefused(step, report.status)


def check_approver(report: Report, actor: str, actor_level: str) -> None:
    """The level above the report's, and never the one who submitted it."""
    if actor_level != APPROVER[report.level]:
        raise NotAllowed(f"A {report.level} report is approved by the {APPROVER[report.level]}",
                           f"{_LEVEL_ZH[report.level]}报表由{_LEVEL_ZH[APPROVER[report.level]]}审核")
    if actor == report.submitted_by:
        raise NotAllowed("Nobody accepts or returns their own submission",
                           "不能审核本人提交的报表")


_LEVEL_ZH = {"station": "社工站", "street": "街道", "district": "区"}


def check_nothing_waiting(waiting: tuple[str, ...]) -> None:
    if waiting:
        raise IllegalTransition(
            "Every station's report must be accepted before the roll-up is submitted",
            "各社工站报表均审核通过后才能提交街道汇总", fields={"waiting": list(waiting)})


def check_not_locked_above(locked_above: bool) -> None:
    if locked_above:
        raise IllegalTransition("The roll-up above is accepted: it must be reopened first",
                                "上级汇总报表已审核通过，须先重新打开上级报表")


def check_period_begun(period, now: datetime) -> None:
    """A report is for a period that has begun (the week's summary may go up on Friday)."""
    if period.start > local_date(now):
        raise Invalid(f"The period {period.key} has not begun", f"期间 {period.key} 尚未开始",
                      fields={"period": ["not begun / 尚未开始"]})


def check_text(value: str | None, field: str) -> None:
    if not (value or "").strip():
        raise Invalid(f"{field} is required", f"{field} 不能为空",
                             fields={field: ["required / 必填"]})


# -- decide ---------------------------------------------------------------------------

def _event(report_id: str, type_: str, payload: dict, actor: str, now: datetime,
           station_id: str | None) -> NewEvent:
    return NewEvent(type_, {"report_id": report_id, **payload}, station_id=station_id,
                    occurred_at=now, actor=actor)


def submit(report: Report, cmd: c.SubmitReport, now: datetime) -> list[NewEvent]:
    check_status(report, "submit", SUBMITTABLE)
    check_period_begun(cmd.period, now)
    check_nothing_waiting(cmd.waiting)
    payload = {
        "level": cmd.level, "unit_id": cmd.unit_id, "station_ids": list(cmd.station_ids),
        "street_id": cmd.street_id, "district_id": cmd.district_id, "kind": cmd.kind,
        "period_key": cmd.period.key, "period_from": cmd.period.start.isoformat(),
        "period_to": cmd.period.end.isoformat(), "revision": report.revision + 1,
        "figures": dict(cmd.figures), "corrections": [dict(x) for x in cmd.corrections],
        "watermark": dict(cmd.watermark), "summary": cmd.summary, "plan": cmd.plan,
        "submitted_by": cmd.actor, "submitted_at": iso(now)}
    if cmd.counted is not None:
        payload["counted"] = sorted(cmd.counted)
    station = cmd.unit_id if cmd.level == "station" else None
    return [_event(cmd.report_id, "ReportSubmitted", payload, cmd.actor, now, station)]


def _decision(report: Report, type_: str, step: str, actor: str, actor_level: str,
              extra: dict, now: datetime) -> list[NewEvent]:
    check_status(report, step, {SUBMITTED} if step != "reopen" else {ACCEPTED})
    check_approver(report, actor, actor_level)
    payload = {"revision": report.revision, "approver_level": actor_level, "at": iso(now),
               **extra}
    station = report.unit_id if report.level == "station" else None
    return [_event(report.report_id, type_, payload, actor, now, station)]


def accept(report: Report, cmd: c.AcceptReport, now: datetime) -> list[NewEvent]:
    return _decision(report, "ReportAccepted", "accept", cmd.actor, cmd.actor_level,
                     {"accepted_by": cmd.actor, "comment": cmd.comment}, now)


def return_(report: Report, cmd: c.ReturnReport, now: datetime) -> list[NewEvent]:
    check_text(cmd.comment, "comment")
    return _decision(report, "ReportReturned", "return", cmd.actor, cmd.actor_level,
                     {"returned_by": cmd.actor, "comment": cmd.comment}, now)


def reopen(report: Report, cmd: c.ReopenReport, now: datetime) -> list[NewEvent]:
    check_text(cmd.reason, "reason")
    check_not_locked_above(cmd.locked_above)
    # Reopening is the approver's (DHIS2: unapprove at the approving level).
    check_status(report, "reopen", {ACCEPTED})
    if cmd.actor_level != APPROVER[report.level]:
        raise NotAllowed("Only the approving level may reopen a report",
                           "只有审核层级可以重新打开报表")
    payload = {"revision": report.revision, "approver_level": cmd.actor_level,
               "at": iso(now), "reopened_by": cmd.actor, "reason": cmd.reason}
    station = report.unit_id if report.level == "station" else None
    return [_event(report.report_id, "ReportReopened", payload, cmd.actor, now, station)]


# -- evolve ---------------------------------------------------------------------------

def _trail(report: Report, step: str, by: str | None, at: str, note: str | None):
    return report.trail + ({"step": step, "by": by, "at": at, "revision": report.revision,
                            "note": note},)


def _submitted(report: Report, p: dict) -> Report:
    report = dataclasses.replace(
        report, report_id=p["report_id"], level=p["level"], unit_id=p["unit_id"],
        station_ids=tuple(p["station_ids"]), street_id=p["street_id"], kind=p["kind"],
        period_key=p["period_key"], status=SUBMITTED, revision=p["revision"],
        submitted_by=p["submitted_by"], submitted_at=p["submitted_at"], figures=p["figures"],
        corrections=tuple(p["corrections"]), watermark=p["watermark"],
        counted=frozenset(p["counted"]) if p.get("counted") is not None else None,
        summary=p.get("summary"), plan=p.get("plan"))
    return dataclasses.replace(report, trail=_trail(report, "submitted", p["submitted_by"],
                                                    p["submitted_at"], p.get("summary")))


def _step(status: str, by: str, note: str):
    def evolver(report: Report, p: dict) -> Report:
        return dataclasses.replace(report, status=status,
                                   trail=_trail(report, status, p[by], p["at"], p.get(note)))
    return evolver


EVOLVERS = {"ReportSubmitted": _submitted,
            "ReportAccepted": _step(ACCEPTED, "accepted_by", "comment"),
            "ReportReturned": _step(RETURNED, "returned_by", "comment"),
            "ReportReopened": _step(REOPENED, "reopened_by", "reason")}


def evolve(report: Report, event) -> Report:
    return kit.step(EVOLVERS, report, event)


def fold(events: Iterable, report: Report | None = None) -> Report:
    return kit.fold(evolve, events, report or Report())


def stream_of(report_id: str) -> str:
    return f"report-{report_id}"


def report_id(level: str, unit_id: str, period_key: str) -> str:
    """One report per level, unit and period (DHIS2: period x org unit x data set)."""
    return f"{level}-{unit_id}-{period_key}"
