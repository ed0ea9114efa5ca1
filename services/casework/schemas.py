"""Request schemas (marshmallow) and the edge's validation with bilingual field errors.

Bodies refuse unknown fields; query strings ignore them. A 400 names each bad field
with a message in English and Chinese: {"fields": {"method": ["Must be one of: home,
phone, office, consolation. / 必须是以下之一：home, phone, office, consolation。"]}}.
"""
from __future__ import annotations

from typing import Iterable

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from shared.fields import Long, Optional, Page, PageQuery, Str
from shared.fields import Maybe as _maybe
from shared.fields import Out as _out
from shared.fields import Strings as _strings
from shared.web import load

from services.casework.events import CARDS, MAJOR_CHANGES, METHODS, OUTCOMES

def load_request(schema: ma.Schema, data) -> dict:
    """Validated data, or ValidationFailed (400) naming each field in both languages."""
    return load(schema, data)


def with_choices(schema: ma.Schema, field: str, choices: Iterable[str]) -> ma.Schema:
    """The schema with a configured list of values for one field (agencies, domains)."""
    schema.fields[field].validators.append(validate.OneOf(list(choices)))
    return schema


Time = fields.AwareDateTime


# -- cases ----------------------------------------------------------------------------

class OpenCaseRequest(ma.Schema):
    resident_id = Str(required=True)
    domain = Str(required=True)
    problem = Long(required=True)
    worker = Optional(Str)
    station_id = Optional(Str)


class AssessRequest(ma.Schema):
    summary = Long(required=True)
    needs = fields.List(Str(), load_default=list)


class PlanRequest(ma.Schema):
    goals = fields.List(Long(), required=True, validate=validate.Length(min=1, max=50))


class CloseRequest(ma.Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    evaluation = Optional()


class ApproveRequest(ma.Schema):
    comments = Optional()


class SendBackRequest(ma.Schema):
    comments = Long(required=True)


class ServiceRequest(ma.Schema):
    served_at = Time(required=True)
    minutes = fields.Integer(required=True, strict=True,
                             validate=validate.Range(min=1, max=24 * 60))
    kind = Optional(Str)
    description = Optional()


class ReopenRequest(ma.Schema):
    reason = Long(required=True)


class TransferRequest(ma.Schema):
    to_worker = Str(required=True)
    reason = Optional()


# -- referrals ------------------------------------------------------------------------

class ReferralRequest(ma.Schema):
    agency = Str(required=True)
    reason = Long(required=True)
    due_date = fields.Date(required=True)


class AcceptReferralRequest(ma.Schema):
    completion_due_date = fields.Date(allow_none=True, load_default=None)
    note = Optional()


class DeclineReferralRequest(ma.Schema):
    reason = Long(required=True)


class CompleteReferralRequest(ma.Schema):
    result = Long(required=True)


# -- visits, follow-ups, campaigns ----------------------------------------------------

class VisitRequest(ma.Schema):
    resident_id = Str(required=True)
    case_id = Optional(Str)
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    visited_at = Time(required=True)
    findings = Optional()
    notes = Optional()
    worker = Optional(Str)
    station_id = Optional(Str)
    campaign_id = Optional(Str)
    major_changes = fields.List(fields.String(validate=validate.OneOf(MAJOR_CHANGES)),
                                load_default=list)


class AssignRequest(ma.Schema):
    worker = Str(required=True)


class CampaignRequest(ma.Schema):
    station_id = Str(required=True)
    name = Str(required=True)
    kind = Str(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    cards = fields.List(fields.String(validate=validate.OneOf(CARDS)),
                        validate=validate.Length(min=1), load_default=lambda: ["red", "blue"])


class CheckOverdueRequest(ma.Schema):
    now = Time(required=True)


# -- query strings --------------------------------------------------------------------

class FollowUpQuery(PageQuery):
    station_id = Str(load_default=None)
    worker = Str(load_default=None)
    resident_id = Str(load_default=None)
    card = fields.String(load_default=None, validate=validate.OneOf(CARDS))
    status = fields.String(load_default=None,
                           validate=validate.OneOf(("due", "overdue", "done", "cancelled")))
    as_of = Time(load_default=None)


class FollowUpSummaryQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    station_id = Str(load_default=None)
    worker = Str(load_default=None)
    as_of = Time(load_default=None)


class CaseQuery(PageQuery):
    station_id = Str(load_default=None)
    worker = Str(load_default=None)
    resident_id = Str(load_default=None)
    domain = Str(load_default=None)
    state = Str(load_default=None)


class ApprovalQuery(PageQuery):
    station_id = Str(load_default=None)
    case_id = Str(load_default=None)
    status = fields.String(load_default=None,
                           validate=validate.OneOf(("pending", "approved", "sent_back")))


class VisitQuery(PageQuery):
    resident_id = Str(load_default=None)
    station_id = Str(load_default=None)
    case_id = Str(load_default=None)
    worker = Str(load_default=None)
    campaign_id = Str(load_default=None)
    method = fields.String(load_default=None, validate=validate.OneOf(METHODS))


class ReferralQuery(PageQuery):
    station_id = Str(load_default=None)
    case_id = Str(load_default=None)
    agency = Str(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(
        ("made", "accepted", "declined", "completed")))
    overdue = fields.Boolean(load_default=None)


class CampaignQuery(PageQuery):
    station_id = Str(load_default=None)


class CampaignWorklistQuery(PageQuery):
    visited = fields.Boolean(load_default=None)


# -- responses (what the OpenAPI document promises; schemathesis holds us to it) ------

class IdOut(ma.Schema):
    id = _out()


class CaseOut(ma.Schema):
    """A case after a command: its state and version, the pending request if any."""
    id = _out()
    state = _out()
    version = _out(fields.Integer)
    request_id = _maybe()


class ServiceRecordedOut(CaseOut):
    record_id = _out()


class ApprovalOut(ma.Schema):
    request_id = _out()
    subject = _out()
    requested_by = _out()
    requested_at = _out()
    outcome = _maybe()
    evaluation = _maybe()
    status = _out()
    decided_by = _maybe()
    comments = _maybe()


class ServiceRecordOut(ma.Schema):
    record_id = _out()
    served_at = _out()
    minutes = _out(fields.Integer)
    kind = _maybe()
    description = _maybe()
    worker = _out()


class CaseDetailOut(ma.Schema):
    id = _out()
    resident_id = _out()
    station_id = _out()
    domain = _out()
    problem = _out()
    worker = _out()
    state = _out()
    opened_at = _out()
    assessment = _maybe()
    needs = _strings()
    goals = _strings()
    outcome = _maybe()
    evaluation = _maybe()
    closed_at = _maybe()
    minutes_spent = _out(fields.Integer)
    reopened_count = _out(fields.Integer)
    pending_approval = _maybe(fields.Nested, nested=ApprovalOut)
    approvals = _out(fields.List, cls_or_instance=fields.Nested(ApprovalOut))
    services = _out(fields.List, cls_or_instance=fields.Nested(ServiceRecordOut))
    version = _out(fields.Integer)


class CaseItemOut(ma.Schema):
    id = _out()
    resident_id = _out()
    station_id = _out()
    domain = _out()
    worker = _out()
    state = _out()
    opened_at = _out()
    closed_at = _maybe()
    outcome = _maybe()
    minutes_spent = _out(fields.Integer)
    pending_request_id = _maybe()
    version = _out(fields.Integer)


class ApprovalItemOut(ma.Schema):
    id = _out()
    case_id = _out()
    station_id = _maybe()
    subject = _out()
    requested_by = _out()
    requested_at = _out()
    status = _out()
    decided_by = _maybe()
    comments = _maybe()


class ReferralMadeOut(ma.Schema):
    id = _out()
    status = _out()


class ReferralStepOut(ReferralMadeOut):
    version = _out(fields.Integer)


class ReferralOut(ma.Schema):
    id = _out()
    case_id = _out()
    resident_id = _out()
    station_id = _out()
    agency = _out()
    status = _out()
    made_on = _out()
    due_date = _out()
    completion_due_date = _maybe()
    referred_by = _out()
    overdue = _out(fields.Boolean)


class AgencyOut(ma.Schema):
    code = _out()
    name = _out()
    name_zh = _out()


class AgencyListOut(ma.Schema):
    items = _out(fields.List, cls_or_instance=fields.Nested(AgencyOut))


class VisitRecordedOut(ma.Schema):
    id = _out()
    followups_done = _strings()
    major_changes = _strings()


class VisitOut(ma.Schema):
    id = _out()
    resident_id = _out()
    case_id = _maybe()
    station_id = _out()
    method = _out()
    visited_at = _out()
    worker = _out()
    campaign_id = _maybe()


class FollowUpOut(ma.Schema):
    id = _out()
    resident_id = _out()
    station_id = _out()
    card = _out()
    kind = _out()
    status = _out()
    window_start = _out()
    due_at = _out()
    worker = _maybe()
    done_at = _maybe()
    visit_id = _maybe()
    done_by = _maybe()
    late = _maybe(fields.Boolean)


class FollowUpSummaryOut(ma.Schema):
    due = _out(fields.Integer)
    overdue = _out(fields.Integer)
    done = _out(fields.Integer)


class AssignedOut(ma.Schema):
    id = _out()
    worker = _out()


class CampaignOut(ma.Schema):
    id = _out()
    station_id = _out()
    name = _out()
    kind = _out()
    starts_on = _out()
    ends_on = _out()
    cards = _strings()


class CoverageOut(ma.Schema):
    total = _out(fields.Integer)
    visited = _out(fields.Integer)
    ratio = _out()


class CampaignDetailOut(CampaignOut):
    coverage = _out(fields.Nested, nested=CoverageOut)


class CampaignTargetOut(ma.Schema):
    resident_id = _out()
    card = _out()
    visit_id = _maybe()
    visited_at = _maybe()
    visited = _out(fields.Boolean)


CasePageOut = Page(CaseItemOut, "CasePage")
ApprovalPageOut = Page(ApprovalItemOut, "ApprovalPage")
ReferralPageOut = Page(ReferralOut, "ReferralPage")
VisitPageOut = Page(VisitOut, "VisitPage")
FollowUpPageOut = Page(FollowUpOut, "FollowUpPage")
CampaignPageOut = Page(CampaignOut, "CampaignPage")
CampaignWorklistOut = Page(CampaignTargetOut, "CampaignWorklist")
