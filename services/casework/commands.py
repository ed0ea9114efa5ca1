"""Commands: what a user or a timer asks casework to do (imperative, fields only).

Ids of new things and the acting user are decided at the edge and passed in, so the
domain stays free of uuids and clocks.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

frozen = dataclasses.dataclass(frozen=True)


# -- cases ----------------------------------------------------------------------------

@frozen
class OpenCase:
    case_id: str
    resident_id: str
    station_id: str | None  # None: the station casework knows for the resident
    domain: str
    problem: str
    worker: str
    actor: str


@frozen
class AssessCase:
    case_id: str
    summary: str
    needs: tuple[str, ...]
    actor: str


@frozen
class DraftServicePlan:
    case_id: str
    goals: tuple[str, ...]
    actor: str


@frozen
class RequestPlanApproval:
    case_id: str
    request_id: str
    actor: str


@frozen
class RequestClosure:
    case_id: str
    request_id: str
    outcome: str
    evaluation: str | None
    actor: str


@frozen
class ApproveRequest:
    case_id: str
    request_id: str
    comments: str | None
    actor: str
    role: str


@frozen
class SendBackRequest:
    case_id: str
    request_id: str
    comments: str
    actor: str
    role: str


@frozen
class RecordService:
    case_id: str
    record_id: str
    served_at: datetime
    minutes: int
    kind: str | None
    description: str | None
    actor: str


@frozen
class ReopenCase:
    case_id: str
    reason: str
    actor: str


@frozen
class TransferCase:
    case_id: str
    to_worker: str
    reason: str | None
    actor: str


# -- referrals ------------------------------------------------------------------------

@frozen
class MakeReferral:
    referral_id: str
    case_id: str
    agency: str
    reason: str
    due_date: date
    actor: str


@frozen
class AcceptReferral:
    referral_id: str
    completion_due_date: date | None
    note: str | None
    actor: str


@frozen
class DeclineReferral:
    referral_id: str
    reason: str
    actor: str


@frozen
class CompleteReferral:
    referral_id: str
    result: str
    actor: str


# -- visits, follow-ups, campaigns ----------------------------------------------------

@frozen
class RecordVisit:
    visit_id: str
    resident_id: str
    station_id: str | None
    case_id: str | None
    method: str
    visited_at: datetime
    worker: str
    findings: str | None
    notes: str | None
    campaign_id: str | None
    major_changes: tuple[str, ...]
    actor: str


@frozen
class AssignFollowUp:
    followup_id: str
    worker: str
    actor: str


@frozen
class DeclareCampaign:
    campaign_id: str
    station_id: str
    name: str
    kind: str
    starts_on: date
    ends_on: date
    cards: tuple[str, ...]
    actor: str


# -- follow-ups, as the card policy, visits and the checker ask for them ----------------

@frozen
class ScheduleFollowUp:
    followup_id: str
    resident_id: str
    station_id: str
    card: str
    kind: str  # first_contact | regular
    window_start: datetime
    due_at: datetime
    worker: str | None


@frozen
class SatisfyFollowUp:
    followup_id: str
    visit_id: str
    visited_at: datetime
    worker: str


@frozen
class FlagIfOverdue:
    followup_id: str


@frozen
class CancelFollowUp:
    followup_id: str
    reason: str
