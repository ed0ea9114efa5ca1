"""Commands: what a user asks the activities service to do (imperative, fields only).

Ids of new things and the acting user are decided at the edge and passed in; so are
the clock and what the service knows of residents, so the domain stays pure.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

frozen = dataclasses.dataclass(frozen=True)


# -- projects and areas ---------------------------------------------------------------

@frozen
class CreateProject:
    project_id: str
    station_id: str
    name: str
    area: str
    owner: str
    starts_on: date
    ends_on: date | None
    actor: str


@frozen
class AddServiceArea:
    station_id: str
    area: str
    name: str
    name_zh: str
    actor: str


# -- activities and groups ------------------------------------------------------------

@frozen
class PlanActivity:
    """An activity (活动, one session) when `kind` is "activity", a group (小组) when
    "group" (its sessions follow with PlanSession; `session_at` is then its first)."""
    activity_id: str
    kind: str
    station_id: str
    community_id: str
    area: str
    title: str
    session_at: datetime | None
    project_id: str | None = None
    project_name: str | None = None
    venue: str | None = None
    partners: tuple[str, ...] = ()
    forces: tuple[str, ...] = ()
    actor: str = ""


@frozen
class PlanSession:
    activity_id: str
    session_id: str
    session_at: datetime
    venue: str | None
    topic: str | None
    actor: str


@frozen
class HoldSession:
    activity_id: str
    session_id: str | None  # None: the activity's one session
    actor: str


@frozen
class CancelActivity:
    activity_id: str
    reason: str
    actor: str


@frozen
class RecordAttendance:
    activity_id: str
    session_id: str | None  # None: the activity's one session
    resident_ids: tuple[str, ...]
    headcount: int
    actor: str


@frozen
class GiveFeedback:
    activity_id: str
    feedback_id: str
    satisfaction: int
    comments: str | None
    resident_id: str | None
    actor: str


@frozen
class ReviewActivity:
    activity_id: str
    went_well: str
    to_change: str
    actor: str


# -- organizations --------------------------------------------------------------------

@frozen
class IncubateOrganization:
    organization_id: str
    station_id: str
    community_id: str
    name: str
    type: str
    leader: str | None
    incubated_on: date
    actor: str


@frozen
class MoveOrganization:
    """A step of the organization's life: file, register, dormant, revive, dissolve."""
    organization_id: str
    step: str
    on: date
    note: str | None
    number: str | None  # filing or registration number
    actor: str


@frozen
class JoinMember:
    organization_id: str
    member_id: str
    name: str
    party_member: bool
    resident_id: str | None
    joined_on: date
    actor: str


@frozen
class LeaveMember:
    organization_id: str
    member_id: str
    left_on: date
    reason: str | None
    actor: str


# -- volunteers -----------------------------------------------------------------------

@frozen
class RegisterVolunteer:
    volunteer_id: str
    station_id: str
    community_id: str | None
    name: str
    phone: str | None
    resident_id: str | None
    organization_id: str | None
    registered_on: date
    actor: str


@frozen
class LogService:
    """Hours served; a social worker's log counts at once, a self-report once confirmed."""
    volunteer_id: str
    log_id: str
    served_on: date
    hours: Decimal
    activity_id: str | None
    organization_id: str | None
    description: str | None
    self_reported: bool
    actor: str


@frozen
class ConfirmService:
    volunteer_id: str
    log_id: str
    actor: str


@frozen
class RejectService:
    volunteer_id: str
    log_id: str
    reason: str
    actor: str
