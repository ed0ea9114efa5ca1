"""Request schemas (marshmallow) and the edge's validation with bilingual field errors.

Bodies refuse unknown fields; query strings ignore them. A 400 names each bad field
with a message in English and Chinese: {"fields": {"method": ["Must be one of: home,
phone, office, consolation. / 必须是以下之一：home, phone, office, consolation。"]}}.
"""
from __future__ import annotations

import re
from typing import Iterable

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from shared.errors import ValidationFailed

from services.casework.events import CARDS, MAJOR_CHANGES, METHODS, OUTCOMES

_ZH = [(re.compile(en), zh) for en, zh in (
    (r"^Missing data for required field\.$", "缺少必填字段。"),
    (r"^Field may not be null\.$", "不能为空值。"),
    (r"^Unknown field\.$", "未知字段。"),
    (r"^Invalid input type\.$", "输入类型无效。"),
    (r"^Not a valid string\.$", "不是有效的字符串。"),
    (r"^Not a valid integer\.$", "不是有效的整数。"),
    (r"^Not a valid number\.$", "不是有效的数字。"),
    (r"^Not a valid boolean\.$", "不是有效的布尔值。"),
    (r"^Not a valid list\.$", "不是有效的列表。"),
    (r"^Not a valid date\.$", "不是有效的日期（YYYY-MM-DD）。"),
    (r"^Not a valid (aware )?datetime\.$", "不是有效的时间（ISO 8601，须带时区）。"),
    (r"^Must be one of: (.*)\.$", r"必须是以下之一：\1。"),
    (r"^Shorter than minimum length (\d+)\.$", r"长度不能少于 \1。"),
    (r"^Longer than maximum length (\d+)\.$", r"长度不能超过 \1。"),
    (r"^Length must be between (\d+) and (\d+)\.$", r"长度必须在 \1 到 \2 之间。"),
    (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
     r"必须在 \1 到 \2 之间。"),
    (r"^Must be greater than or equal to (\S+)\.$", r"必须大于或等于 \1。"),
    (r"^Must be less than or equal to (\S+)\.$", r"必须小于或等于 \1。"),
)]


def bilingual(message: str) -> str:
    """'English / 中文' for marshmallow's messages; ours are bilingual already."""
    if " / " in message:
        return message
    for pattern, zh in _ZH:
        if pattern.match(message):
            return f"{message} / {pattern.sub(zh, message)}"
    return f"{message} / 输入有误。"


def _translate(messages):
    if isinstance(messages, dict):
        return {str(k): _translate(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [_translate(m) for m in messages]
    return bilingual(str(messages))


def load_request(schema: ma.Schema, data) -> dict:
    """Validated data, or ValidationFailed (400) naming each field in both languages."""
    try:
        return schema.load(data)
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed(fields=_translate(messages)) from None


def with_choices(schema: ma.Schema, field: str, choices: Iterable[str]) -> ma.Schema:
    """The schema with a configured list of values for one field (agencies, domains)."""
    schema.fields[field].validators.append(validate.OneOf(list(choices)))
    return schema


def Str(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=kwargs.pop("max", 200)), **kwargs)


def Long(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=5000), **kwargs)


def Optional(field_type=Long, **kwargs) -> fields.Field:
    return field_type(allow_none=True, load_default=None, **kwargs)


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

class PageQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


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
