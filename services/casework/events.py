"""Events the casework service records and publishes (past tense; payload schemas).

Published on `casework.events` with the event type as routing key. The residents
service consumes MajorChangeFlagged; reporting reads the rest. Times are ISO 8601
with an offset, dates YYYY-MM-DD.

Free text about a resident (the case's problem, assessments, plans, evaluations,
comments, service descriptions, visit findings and notes, referral reasons and results:
SEALED) is stored and published sealed with that resident's own key in casework's store,
`{"enc": "<base64>"}` (shared.security.sealing, services.casework.privacy); every event
that carries such text names its `resident_id`. When the residents service erases a
resident (its KeyDestroyed), casework destroys its key too and records its own
KeyDestroyed (stream `erasure-<resident id>`): the text reads "[erased]" from then on,
the events and their hash chains stay. Schema version 2 of these events is the sealed
form; version 1 payloads (written before sealing) are read as they are (clear text: see
docs/security.md, "Erasure of data written before sealing").
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from shared.events import Registry
from shared.fields import Id, Moment, OneOf, Text
from shared.security import erasure

CARDS = ("red", "blue", "green")
METHODS = ("home", "phone", "office", "consolation")
MAJOR_CHANGES = ("hospitalised", "bereaved", "lost_income", "unsafe_housing")
OUTCOMES = ("goals_met", "partly_met", "not_met")
SUBJECTS = ("plan", "closure")
FOLLOWUP_KINDS = ("first_contact", "regular")


def Sealed(required: bool = False) -> erasure.Encrypted:
    """Free text about the resident, sealed with their key (see SEALED)."""
    if required:
        return erasure.Encrypted(required=True)
    return erasure.Encrypted(allow_none=True, load_default=None)


def Whose() -> fields.String:
    """The resident whose key seals the event's text (absent before sealing existed)."""
    return Id(allow_none=True, load_default=None)


# -- cases ----------------------------------------------------------------------------

class CaseOpened(ma.Schema):
    case_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    domain = Id(required=True)
    problem = Sealed(required=True)
    worker = Id(required=True)
    opened_at = Moment(required=True)


class CaseAssessed(ma.Schema):
    case_id = Id(required=True)
    resident_id = Whose()
    summary = Sealed(required=True)
    needs = Sealed()  # the list of needs as written, sealed
    assessed_by = Id(required=True)
    assessed_at = Moment(required=True)


class ServicePlanDrafted(ma.Schema):
    case_id = Id(required=True)
    resident_id = Whose()
    goals = Sealed(required=True)  # the list of goals, sealed
    drafted_by = Id(required=True)


class ApprovalRequested(ma.Schema):
    case_id = Id(required=True)
    resident_id = Whose()
    request_id = Id(required=True)
    subject = OneOf(SUBJECTS, required=True)
    requested_by = Id(required=True)
    requested_at = Moment(required=True)
    outcome = OneOf(OUTCOMES, allow_none=True, load_default=None)
    evaluation = Sealed()


class ApprovalGranted(ma.Schema):
    case_id = Id(required=True)
    resident_id = Whose()
    request_id = Id(required=True)
    subject = OneOf(SUBJECTS, required=True)
    approved_by = Id(required=True)
    comments = Sealed()


class ApprovalSentBack(ma.Schema):
    case_id = Id(required=True)
    resident_id = Whose()
    request_id = Id(required=True)
    subject = OneOf(SUBJECTS, required=True)
    reviewed_by = Id(required=True)
    comments = Sealed(required=True)


class ServiceRecorded(ma.Schema):
    case_id = Id(required=True)
    resident_id = Whose()
    record_id = Id(required=True)
    served_at = Moment(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=24 * 60))
    kind = Id(allow_none=True, load_default=None)
    description = Sealed()
    worker = Id(required=True)


class CaseClosed(ma.Schema):
    case_id = Id(required=True)
    resident_id = Id(required=True)
    outcome = OneOf(OUTCOMES, required=True)
    evaluation = Sealed()
    approved_by = Id(required=True)
    closed_at = Moment(required=True)


class CaseReopened(ma.Schema):
    case_id = Id(required=True)
    resident_id = Id(required=True)
    reason = Sealed(required=True)
    reopened_by = Id(required=True)


class CaseTransferred(ma.Schema):
    case_id = Id(required=True)
    resident_id = Id(required=True)
    from_worker = Id(required=True)
    to_worker = Id(required=True)
    reason = Sealed()
    transferred_by = Id(required=True)


# -- referrals ------------------------------------------------------------------------

class ReferralMade(ma.Schema):
    referral_id = Id(required=True)
    case_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    agency = Id(required=True)
    reason = Sealed(required=True)
    made_on = fields.Date(required=True)
    due_date = fields.Date(required=True)
    referred_by = Id(required=True)


class ReferralAccepted(ma.Schema):
    referral_id = Id(required=True)
    case_id = Id(required=True)
    resident_id = Whose()
    agency = Id(required=True)
    completion_due_date = fields.Date(required=True)
    note = Sealed()
    recorded_by = Id(required=True)


class ReferralDeclined(ma.Schema):
    referral_id = Id(required=True)
    case_id = Id(required=True)
    resident_id = Whose()
    agency = Id(required=True)
    reason = Sealed(required=True)
    recorded_by = Id(required=True)


class ReferralCompleted(ma.Schema):
    referral_id = Id(required=True)
    case_id = Id(required=True)
    resident_id = Whose()
    agency = Id(required=True)
    result = Sealed(required=True)
    recorded_by = Id(required=True)


# -- visits ---------------------------------------------------------------------------

class VisitRecorded(ma.Schema):
    visit_id = Id(required=True)
    resident_id = Id(required=True)
    case_id = Id(allow_none=True, load_default=None)
    station_id = Id(required=True)
    method = OneOf(METHODS, required=True)
    visited_at = Moment(required=True)
    worker = Id(required=True)
    findings = Sealed()
    notes = Sealed()
    campaign_id = Id(allow_none=True, load_default=None)
    major_changes = fields.List(OneOf(MAJOR_CHANGES), load_default=list)


class MajorChangeFlagged(ma.Schema):
    resident_id = Id(required=True)
    station_id = Id(required=True)
    change = OneOf(MAJOR_CHANGES, required=True)
    visit_id = Id(required=True)
    flagged_at = Moment(required=True)


# -- follow-ups -----------------------------------------------------------------------

class FollowUpScheduled(ma.Schema):
    followup_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    card = OneOf(CARDS, required=True)
    kind = OneOf(FOLLOWUP_KINDS, required=True)
    window_start = Moment(required=True)
    due_at = Moment(required=True)
    worker = Id(allow_none=True, load_default=None)


class FollowUpAssigned(ma.Schema):
    followup_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    worker = Id(required=True)


class FollowUpDone(ma.Schema):
    followup_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    card = OneOf(CARDS, required=True)
    visit_id = Id(required=True)
    done_at = Moment(required=True)
    worker = Id(required=True)
    late = fields.Boolean(required=True)


class FollowUpOverdue(ma.Schema):
    followup_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    card = OneOf(CARDS, required=True)
    due_at = Moment(required=True)


class FollowUpCancelled(ma.Schema):
    followup_id = Id(required=True)
    resident_id = Id(required=True)
    station_id = Id(required=True)
    reason = Id(required=True)


# -- campaigns ------------------------------------------------------------------------

class CampaignDeclared(ma.Schema):
    campaign_id = Id(required=True)
    station_id = Id(required=True)
    name = Text(required=True)
    kind = Id(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    cards = fields.List(OneOf(CARDS), required=True, validate=validate.Length(min=1))
    declared_by = Id(required=True)


class OpenCaseClaimed(ma.Schema):
    """The claim stream of (resident, domain): its last claim names the case that holds
    the one open case allowed; a new case may claim only once that case is closed."""
    case_id = Id(required=True)
    resident_id = Id(required=True)
    domain = Id(required=True)


# event type -> its payload fields sealed with the resident's key (free text about them)
SEALED: dict[str, tuple[str, ...]] = {
    "CaseOpened": ("problem",),
    "CaseAssessed": ("summary", "needs"),
    "ServicePlanDrafted": ("goals",),
    "ApprovalRequested": ("evaluation",),
    "ApprovalGranted": ("comments",),
    "ApprovalSentBack": ("comments",),
    "ServiceRecorded": ("description",),
    "CaseClosed": ("evaluation",),
    "CaseReopened": ("reason",),
    "CaseTransferred": ("reason",),
    "ReferralMade": ("reason",),
    "ReferralAccepted": ("note",),
    "ReferralDeclined": ("reason",),
    "ReferralCompleted": ("result",),
    "VisitRecorded": ("findings", "notes"),
}

# Text in events that name a resident which is not about them, each with the reason
# (tests/unit/test_sealing_completeness.py: every such text is sealed or named here).
NOT_PERSONAL: dict[str, str] = {
    **{f"{t}.domain": "a service domain's code" for t in ("CaseOpened", "OpenCaseClaimed")},
    **{f"{t}.worker": "the staff account doing the work" for t in (
        "CaseOpened", "FollowUpAssigned", "FollowUpDone", "FollowUpScheduled",
        "ServiceRecorded", "VisitRecorded")},
    "CaseTransferred.from_worker": "a staff account",
    "CaseTransferred.to_worker": "a staff account",
    "FollowUpCancelled.reason": "written by the service: resident_<status>, transferred, "
                                "card_changed",
    **{f"{t}.agency": "the agency referred to: an organization, not the person" for t in (
        "ReferralMade", "ReferralAccepted", "ReferralDeclined", "ReferralCompleted")},
    "ServiceRecorded.kind": "the kind of service, a code",
    "VisitRecorded.major_changes": "codes of major changes (MAJOR_CHANGES)",
    "KeyDestroyed.reason": "the erasure's own record: which residents' erasure it follows",
}


def _as_stored(payload: dict) -> dict:
    """Version 1 (text in clear, before sealing): read as it is."""
    return payload


registry = Registry()
for _schema in (CaseOpened, OpenCaseClaimed, CaseAssessed, ServicePlanDrafted, ApprovalRequested,
                ApprovalGranted, ApprovalSentBack, ServiceRecorded, CaseClosed, CaseReopened,
                CaseTransferred, ReferralMade, ReferralAccepted, ReferralDeclined,
                ReferralCompleted, VisitRecorded, MajorChangeFlagged, FollowUpScheduled,
                FollowUpAssigned, FollowUpDone, FollowUpOverdue, FollowUpCancelled,
                CampaignDeclared):
    sealed = _schema.__name__ in SEALED
    registry.register(_schema.__name__, _schema, version=2 if sealed else 1,
                      upcasters={1: _as_stored} if sealed else None)
erasure.register(registry)  # KeyDestroyed: casework's key of a resident, destroyed

# Checked by tests/unit/test_kit_completeness.py: every type above has an evolver in an
# aggregate (case, referral, followup, campaign) unless named here, with the reason.
NOT_EVOLVED = {
    "OpenCaseClaimed": "the claim stream is only read for its last claim (handlers.claim_open_case)",
    "VisitRecorded": "a visit is one event on its own stream, never loaded again",
    "MajorChangeFlagged": "a visit's consequence, published for residents; no state here",
    "KeyDestroyed": "erasure: the vault and the read models act on it, no aggregate does",
}
