"""The case (个案) aggregate: a pure state machine.

    open ──assess──▶ assessed ──draft plan──▶ planned ──request approval──▶ plan_pending
                                                ▲                                 │
                                                └──────────── sent back ──────────┤ approved
                                                                                  ▼
    closed ◀──approved── closure_pending ◀──request closure (outcome)── in_service
       │                       └──────────── sent back ─────────▶ in_service
       └──reopen──▶ open (assessed again)

Service records, transfers, referrals and visits belong to a case that is not closed.
A supervisor (督导) approves plans and closures; nobody reviews their own request.
Every step not in ALLOWED is refused with IllegalTransition, naming state and step.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable

from shared.events import NewEvent, iso
from shared.kit import fold as kit
from shared.kit.errors import IllegalTransition, Invalid, NotAllowed, Missing

from services.casework import commands as c

NEW, OPEN, ASSESSED, PLANNED = "new", "open", "assessed", "planned"
PLAN_PENDING, IN_SERVICE, CLOSURE_PENDING, CLOSED = (
    "plan_pending", "in_service", "closure_pending", "closed")

STATE_NAMES_ZH = {
    NEW: "未开案", OPEN: "已开案待评估", ASSESSED: "已评估", PLANNED: "服务计划草拟中",
    PLAN_PENDING: "服务计划待审批", IN_SERVICE: "服务中", CLOSURE_PENDING: "结案待审批",
    CLOSED: "已结案",
}
ACTION_NAMES = {  # step -> (English, Chinese)
    "open": ("open", "开案"), "assess": ("assess", "评估"),
    "draft_plan": ("draft a service plan for", "制定服务计划"),
    "request_plan_approval": ("request plan approval for", "提交服务计划审批"),
    "approve": ("approve a request on", "审批通过"), "send_back": ("send back a request on", "退回"),
    "record_service": ("record a service on", "记录服务"),
    "request_closure": ("request closure of", "申请结案"), "reopen": ("reopen", "重新开案"),
    "transfer": ("transfer", "转案"), "refer": ("make a referral on", "转介"),
    "visit": ("record a visit on", "记录探访"),
}
WORKING = frozenset({OPEN, ASSESSED, PLANNED, PLAN_PENDING, IN_SERVICE, CLOSURE_PENDING})
ALLOWED: dict[str, frozenset[str]] = {
    "open": frozenset({NEW}),
    "assess": frozenset({OPEN}),
    "draft_plan": frozenset({ASSESSED, PLANNED}),
    "request_plan_approval": frozenset({PLANNED}),
    "approve": frozenset({PLAN_PENDING, CLOSURE_PENDING}),
    "send_back": frozenset({PLAN_PENDING, CLOSURE_PENDING}),
    "record_service": WORKING,
    "request_closure": frozenset({IN_SERVICE}),
    "reopen": frozenset({CLOSED}),
    "transfer": WORKING,
    "refer": WORKING,
    "visit": WORKING,
}
REVIEWER_ROLES = frozenset({"supervisor", "station_head"})


# -- exceptions and guards ------------------------------------------------------------

class CaseNotFound(Missing):
    def __init__(self, case_id: str | None):
        super().__init__(f"Case {case_id} not found", f"未找到个案 {case_id}")


class CaseStepRefused(IllegalTransition):
    def __init__(self, action: str, state: str):
        en, zh = ACTION_NAMES[action]
        super().__init__(f"Cannot {en} a case that is {state}",
                         f"个案当前状态为「{STATE_NAMES_ZH[state]}」，不能{zh}")
        self.action, self.state = action, state


class NotAReviewer(NotAllowed):
    def __init__(self, role: str | None):
        super().__init__(f"Only a supervisor or station head may review; your role is {role}",
                         f"只有督导或站长可以审批，您的角色是 {role}")


class SelfApprovalRefused(NotAllowed):
    code = "self_approval"

    def __init__(self):
        super().__init__("Nobody may review their own request", "不能审批自己提交的申请")


class RequestNotPending(Missing):
    def __init__(self, request_id: str):
        super().__init__(f"No pending request {request_id} on this case",
                         f"该个案没有待审批的申请 {request_id}")


def check_exists(case: "Case") -> None:
    if case.state == NEW:
        raise CaseNotFound(case.case_id)


def check_allowed(case: "Case", action: str) -> None:
    """The one guard of the state machine (also used by referrals and visits)."""
    if action != "open":
        check_exists(case)
    if case.state not in ALLOWED[action]:
        raise CaseStepRefused(action, case.state)


def check_reviewer(role: str | None) -> None:
    if role not in REVIEWER_ROLES:
        raise NotAReviewer(role)


def check_pending_request(case: "Case", request_id: str) -> "Approval":
    pending = case.pending
    if pending is None or pending.request_id != request_id:
        raise RequestNotPending(request_id)
    return pending


def check_not_own_request(approval: "Approval", actor: str) -> None:
    if approval.requested_by == actor:
        raise SelfApprovalRefused()


def check_new_worker(case: "Case", to_worker: str) -> None:
    if to_worker == case.worker:
        raise Invalid("The case is already with this worker", "个案已由该社工负责",
                             {"to_worker": ["Same worker as now / 与当前社工相同"]})


# -- state ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Approval:
    request_id: str
    subject: str  # plan | closure
    requested_by: str
    requested_at: str
    outcome: str | None = None
    evaluation: str | None = None
    status: str = "pending"  # pending | approved | sent_back
    decided_by: str | None = None
    comments: str | None = None


@dataclasses.dataclass(frozen=True)
class Case:
    case_id: str | None = None
    resident_id: str | None = None
    station_id: str | None = None
    domain: str | None = None
    problem: str | None = None
    worker: str | None = None
    state: str = NEW
    version: int = 0
    opened_at: str | None = None
    assessment: str | None = None
    needs: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    approvals: tuple[Approval, ...] = ()
    outcome: str | None = None
    evaluation: str | None = None
    closed_at: str | None = None
    minutes_spent: int = 0
    reopened_count: int = 0

    @property
    def pending(self) -> Approval | None:
        last = self.approvals[-1] if self.approvals else None
        return last if last is not None and last.status == "pending" else None


# -- evolve ---------------------------------------------------------------------------

def _decided(case: Case, status: str, by: str, comments: str | None) -> tuple[Approval, ...]:
    last = dataclasses.replace(case.approvals[-1], status=status, decided_by=by,
                               comments=comments)
    return case.approvals[:-1] + (last,)


def _granted(case: Case, p: dict) -> Case:
    approvals = _decided(case, "approved", p["approved_by"], p.get("comments"))
    state = IN_SERVICE if p["subject"] == "plan" else case.state  # CaseClosed follows
    return dataclasses.replace(case, approvals=approvals, state=state)


def _sent_back(case: Case, p: dict) -> Case:
    approvals = _decided(case, "sent_back", p["reviewed_by"], p["comments"])
    return dataclasses.replace(case, approvals=approvals,
                               state=PLANNED if p["subject"] == "plan" else IN_SERVICE)


def _requested(case: Case, p: dict) -> Case:
    approval = Approval(p["request_id"], p["subject"], p["requested_by"], p["requested_at"],
                        p.get("outcome"), p.get("evaluation"))
    return dataclasses.replace(case, approvals=case.approvals + (approval,),
                               state=PLAN_PENDING if p["subject"] == "plan" else CLOSURE_PENDING)


def texts(value) -> tuple:
    """A list of texts as the state keeps it; sealed (or erased) it is one value."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


EVOLVERS: dict[str, Callable[[Case, dict], Case]] = {
    "CaseOpened": lambda s, p: dataclasses.replace(
        s, case_id=p["case_id"], resident_id=p["resident_id"], station_id=p["station_id"],
        domain=p["domain"], problem=p["problem"], worker=p["worker"], state=OPEN,
        opened_at=p["opened_at"]),
    "CaseAssessed": lambda s, p: dataclasses.replace(
        s, assessment=p["summary"], needs=texts(p.get("needs")), state=ASSESSED),
    "ServicePlanDrafted": lambda s, p: dataclasses.replace(s, goals=texts(p["goals"]),
                                                           state=PLANNED),
    "ApprovalRequested": _requested,
    "ApprovalGranted": _granted,
    "ApprovalSentBack": _sent_back,
    "ServiceRecorded": lambda s, p: dataclasses.replace(
        s, minutes_spent=s.minutes_spent + p["minutes"]),
    "CaseClosed": lambda s, p: dataclasses.replace(
        s, state=CLOSED, outcome=p["outcome"], evaluation=p.get("evaluation"),
        closed_at=p["closed_at"]),
    "CaseReopened": lambda s, p: dataclasses.replace(
        s, state=OPEN, outcome=None, evaluation=None, closed_at=None,
        reopened_count=s.reopened_count + 1),
    "CaseTransferred": lambda s, p: dataclasses.replace(s, worker=p["to_worker"]),
}


def evolve(case: Case, event) -> Case:
    """The case after one event (a Recorded or a NewEvent); unknown types only count."""
    return kit.step(EVOLVERS, case, event)


def fold(events, case: Case | None = None) -> Case:
    return kit.fold(evolve, events, case or Case())


# -- decide ---------------------------------------------------------------------------

def _event(case: Case, type_: str, payload: dict, actor: str, now: datetime) -> NewEvent:
    """An event of the case; it names the resident, whose key seals its text."""
    return NewEvent(type_, {"resident_id": case.resident_id, **payload},
                    station_id=case.station_id, occurred_at=now, actor=actor)


def _open(case: Case, cmd: c.OpenCase, now: datetime) -> list[NewEvent]:
    check_allowed(case, "open")
    payload = {"case_id": cmd.case_id, "resident_id": cmd.resident_id,
               "station_id": cmd.station_id, "domain": cmd.domain, "problem": cmd.problem,
               "worker": cmd.worker, "opened_at": iso(now)}
    return [NewEvent("CaseOpened", payload, station_id=cmd.station_id, occurred_at=now,
                     actor=cmd.actor)]


def _assess(case: Case, cmd: c.AssessCase, now: datetime) -> list[NewEvent]:
    check_allowed(case, "assess")
    return [_event(case, "CaseAssessed", {"case_id": case.case_id, "summary": cmd.summary,
                                          "needs": list(cmd.needs), "assessed_by": cmd.actor,
                                          "assessed_at": iso(now)}, cmd.actor, now)]


def _draft_plan(case: Case, cmd: c.DraftServicePlan, now: datetime) -> list[NewEvent]:
    check_allowed(case, "draft_plan")
    return [_event(case, "ServicePlanDrafted", {"case_id": case.case_id,
                                                "goals": list(cmd.goals),
                                                "drafted_by": cmd.actor}, cmd.actor, now)]


def _request_plan(case: Case, cmd: c.RequestPlanApproval, now: datetime) -> list[NewEvent]:
    check_allowed(case, "request_plan_approval")
    return [_event(case, "ApprovalRequested", {
        "case_id": case.case_id, "request_id": cmd.request_id, "subject": "plan",
        "requested_by": cmd.actor, "requested_at": iso(now)}, cmd.actor, now)]


def _request_closure(case: Case, cmd: c.RequestClosure, now: datetime) -> list[NewEvent]:
    check_allowed(case, "request_closure")
    return [_event(case, "ApprovalRequested", {
        "case_id": case.case_id, "request_id": cmd.request_id, "subject": "closure",
        "requested_by": cmd.actor, "requested_at": iso(now), "outcome": cmd.outcome,
        "evaluation": cmd.evaluation}, cmd.actor, now)]


def _approve(case: Case, cmd: c.ApproveRequest, now: datetime) -> list[NewEvent]:
    check_allowed(case, "approve")
    check_reviewer(cmd.role)
    pending = check_pending_request(case, cmd.request_id)
    check_not_own_request(pending, cmd.actor)
    events = [_event(case, "ApprovalGranted", {
        "case_id": case.case_id, "request_id": pending.request_id, "subject": pending.subject,
        "approved_by": cmd.actor, "comments": cmd.comments}, cmd.actor, now)]
    if pending.subject == "closure":
        events.append(_event(case, "CaseClosed", {
            "case_id": case.case_id, "resident_id": case.resident_id,
            "outcome": pending.outcome, "evaluation": pending.evaluation,
            "approved_by": cmd.actor, "closed_at": iso(now)}, cmd.actor, now))
    return events


def _send_back(case: Case, cmd: c.SendBackRequest, now: datetime) -> list[NewEvent]:
    check_allowed(case, "send_back")
    check_reviewer(cmd.role)
    pending = check_pending_request(case, cmd.request_id)
    check_not_own_request(pending, cmd.actor)
    return [_event(case, "ApprovalSentBack", {
        "case_id": case.case_id, "request_id": pending.request_id, "subject": pending.subject,
        "reviewed_by": cmd.actor, "comments": cmd.comments}, cmd.actor, now)]


def _record_service(case: Case, cmd: c.RecordService, now: datetime) -> list[NewEvent]:
    check_allowed(case, "record_service")
    return [_event(case, "ServiceRecorded", {
        "case_id": case.case_id, "record_id": cmd.record_id, "served_at": iso(cmd.served_at),
        "minutes": cmd.minutes, "kind": cmd.kind, "description": cmd.description,
        "worker": cmd.actor}, cmd.actor, now)]


def _reopen(case: Case, cmd: c.ReopenCase, now: datetime) -> list[NewEvent]:
    check_allowed(case, "reopen")
    return [_event(case, "CaseReopened", {"case_id": case.case_id,
                                          "resident_id": case.resident_id,
                                          "reason": cmd.reason, "reopened_by": cmd.actor},
                   cmd.actor, now)]


def _transfer(case: Case, cmd: c.TransferCase, now: datetime) -> list[NewEvent]:
    check_allowed(case, "transfer")
    check_new_worker(case, cmd.to_worker)
    return [_event(case, "CaseTransferred", {
        "case_id": case.case_id, "resident_id": case.resident_id, "from_worker": case.worker,
        "to_worker": cmd.to_worker, "reason": cmd.reason, "transferred_by": cmd.actor},
        cmd.actor, now)]


DECIDERS: dict[type, Callable[[Case, object, datetime], list[NewEvent]]] = {
    c.OpenCase: _open,
    c.AssessCase: _assess,
    c.DraftServicePlan: _draft_plan,
    c.RequestPlanApproval: _request_plan,
    c.RequestClosure: _request_closure,
    c.ApproveRequest: _approve,
    c.SendBackRequest: _send_back,
    c.RecordService: _record_service,
    c.ReopenCase: _reopen,
    c.TransferCase: _transfer,
}


def decide(case: Case, command, now: datetime) -> list[NewEvent]:
    """The events a command produces on this case, or a domain exception."""
    return DECIDERS[type(command)](case, command, now)
