"""The edge of reporting: request schemas (marshmallow), validated with bilingual errors.

Periods are keys (`2026-W47`, `2026-11`, `2026-Q4`, `2026`, `2026-11-01..2026-11-15`);
`as_of` is a date (default: today in China Standard Time).
"""
from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from marshmallow import fields, validate

from services.reporting import periods
from services.reporting.events import ANSWERS, STAGES

CHAIN_TYPES = {"street_meeting": "StreetMeetingAttended", "progress_report": "ProgressReported",
               "community_visit": "CommunityVisitNoted",
               "activity_consultation": "ActivityConsulted"}


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError("Contains a NUL character. / 含有空字符（NUL）。")


def Str(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=200), _no_nul], **kwargs)


def Long(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=5000), _no_nul], **kwargs)


def Optional(field=Long, **kwargs) -> fields.Field:
    return field(allow_none=True, load_default=None, **kwargs)


class PeriodField(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return periods.parse(super()._deserialize(value, attr, data, **kwargs))
        except periods.BadPeriod:
            raise ma.ValidationError(
                "Not a period: write 2026-W47, 2026-11, 2026-Q4, 2026 or 2026-11-01..2026-11-15."
                " / 不是有效的期间：应为 2026-W47、2026-11、2026-Q4、2026 或 "
                "2026-11-01..2026-11-15。") from None


def today() -> "datetime.date":
    return datetime.now(periods.LOCAL).date()


class SummaryQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE
    as_of = fields.Date(load_default=None)


class FiguresQuery(SummaryQuery):
    period = PeriodField(load_default=None)
    community_id = Optional(Str)


class ExportQuery(ma.Schema):
    period = PeriodField(load_default=None)
    format = ma.fields.Str(load_default="xlsx", validate=ma.validate.OneOf(("xlsx", "csv")))


class SubmitRequest(ma.Schema):
    period = PeriodField(required=True)
    summary = Optional()
    plan = Optional()


class DecisionRequest(ma.Schema):
    comment = Optional()


class ReturnRequest(ma.Schema):
    comment = Long(required=True)


class ReopenRequest(ma.Schema):
    reason = Long(required=True)


class SubmissionsQuery(ma.Schema):
    """The reports the caller's scope covers, newest first: the approver's inbox
    (`?status=submitted&level=station`), a station head's own reports and their answers."""
    class Meta:
        unknown = ma.EXCLUDE
    status = fields.String(load_default=None, validate=validate.OneOf(
        ("submitted", "accepted", "returned", "reopened")))
    level = fields.String(load_default=None, validate=validate.OneOf(("station", "street")))
    unit_id = Optional(Str)
    street_id = Optional(Str)
    district_id = Optional(Str)
    period = Optional(Str)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ChainRequest(ma.Schema):
    """One chain record; which fields it needs depends on `type`."""
    type = fields.String(required=True, validate=validate.OneOf(list(CHAIN_TYPES)))
    on = fields.Date(required=True)
    central_work = Optional()
    leader = Optional(Str)
    summary = Optional()
    community_id = Optional(Str)
    key_work = Optional()
    suggestions = Optional()
    activity_id = Optional(Str)
    stage = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(STAGES))
    department = Optional(Str)
    notes = Optional()


class SuggestionRequest(ma.Schema):
    addressed_to = Str(required=True)
    title = Long(required=True)
    proposed_on = fields.Date(required=True)


class AnswerRequest(ma.Schema):
    answer = fields.String(required=True, validate=validate.OneOf(ANSWERS))
    answered_on = fields.Date(required=True)
    comment = Optional()


class MinutesRequest(ma.Schema):
    week = PeriodField(required=True)
    held_on = fields.Date(required=True)
    attendees = fields.List(Str(), required=True, validate=validate.Length(min=1))
    minutes = Long(required=True)


class SupervisionRequest(ma.Schema):
    month = PeriodField(required=True)
    held_on = fields.Date(required=True)
    supervisor = Str(required=True)
    topics = Long(required=True)


class TimelineQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE
    as_of = fields.Date(load_default=None)


# the fields each chain record type needs, and the event's names for them
CHAIN_FIELDS = {
    "street_meeting": {"central_work": "central_work"},
    "progress_report": {"leader": "leader", "summary": "summary"},
    "community_visit": {"community_id": "community_id", "key_work": "key_work",
                        "suggestions": "suggestions"},
    "activity_consultation": {"stage": "stage", "department": "department",
                              "activity_id": "activity_id", "notes": "notes"},
}
CHAIN_DAY = {"street_meeting": "held_on", "progress_report": "reported_on",
             "community_visit": "visited_on", "activity_consultation": "consulted_on"}
CHAIN_ACTOR = {"street_meeting": "attendee", "progress_report": "reported_by",
               "community_visit": "visited_by", "activity_consultation": "consulted_by"}
