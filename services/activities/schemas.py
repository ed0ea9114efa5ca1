"""The HTTP edge of activities: request schemas (validated with bilingual field errors),
query strings and the responses the OpenAPI document promises.

Bodies refuse unknown fields; query strings ignore them. Rules that need the service's
state (a session in the future, a resident of another station, a negative headcount,
over 24 hours in a day) are the domain's: it answers them with its own clear message.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from shared.web import load

from services.activities.events import FORCES, KINDS
from services.activities.organization import STEPS


def load_request(schema: ma.Schema, data) -> dict:
    """Validated data, or ValidationFailed (400) naming each field in both languages."""
    return load(schema, data)


def no_nul(value: str) -> None:
    """PostgreSQL stores no NUL character, in text or in JSON."""
    if "\x00" in value:
        raise ma.ValidationError("Contains a NUL character. / 含有空字符（NUL）。")


def Str(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=kwargs.pop("max", 100)), no_nul],
                         **kwargs)


def Long(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=5000), no_nul], **kwargs)


def Optional(field_type=Long, **kwargs) -> fields.Field:
    return field_type(allow_none=True, load_default=None, **kwargs)


Time = fields.AwareDateTime


def sane_hours(value) -> None:
    """Far outside any day: refused here; the day's own rules (over 0, 24 at most with
    the day's other logs) are the domain's, with their own message."""
    if not -10_000 < value < 10_000:
        raise ma.ValidationError("Not a number of hours. / 不是有效的小时数。")


# -- projects and areas ---------------------------------------------------------------

class ProjectRequest(ma.Schema):
    station_id = Str(required=True)
    name = Str(required=True, max=200)
    area = Str(required=True)
    owner = Optional(Str)
    starts_on = fields.Date(required=True)
    ends_on = Optional(fields.Date)


class AreaRequest(ma.Schema):
    station_id = Str(required=True)
    area = fields.String(required=True, validate=[validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"),
                                                  no_nul])
    name = Str(required=True, max=200)
    name_zh = Str(required=True, max=200)


# -- activities -----------------------------------------------------------------------

class ActivityRequest(ma.Schema):
    """The contract's fields (station_id, community_id, area, title, project?, held_at)
    and more: a group (kind "group"), venue, partners, the five forces that took part."""
    station_id = Str(required=True)
    community_id = Str(required=True)
    area = Str(required=True)
    title = Str(required=True, max=200)
    project = Optional(Str, metadata={"description": "a project id of the station, or a "
                                                     "project's name / 项目编号或名称"})
    project_id = Optional(Str)
    held_at = Optional(Time, metadata={"description": "the session's time; for a group, "
                                                      "its first session (optional)"})
    kind = fields.String(load_default="activity", validate=validate.OneOf(KINDS))
    venue = Optional(Str, max=200)
    partners = fields.List(Str(max=200), load_default=list, validate=validate.Length(max=50))
    forces = fields.List(fields.String(validate=validate.OneOf(FORCES)), load_default=list)


class SessionRequest(ma.Schema):
    session_at = Time(required=True)
    venue = Optional(Str, max=200)
    topic = Optional(Str, max=200)


class HoldRequest(ma.Schema):
    session_id = Optional(Str)


class CancelRequest(ma.Schema):
    reason = Long(required=True)


class AttendanceRequest(ma.Schema):
    resident_ids = fields.List(Str(), load_default=list, validate=validate.Length(max=2000))
    headcount = fields.Integer(load_default=0, strict=True,
                               validate=validate.Range(min=-1_000_000, max=1_000_000))
    session_id = Optional(Str)


class FeedbackRequest(ma.Schema):
    satisfaction = fields.Integer(required=True, strict=True,
                                  validate=validate.Range(min=1, max=5))
    comments = Optional()
    resident_id = Optional(Str)


class ReviewRequest(ma.Schema):
    went_well = Long(required=True)
    to_change = Long(required=True)


# -- organizations --------------------------------------------------------------------

class OrganizationRequest(ma.Schema):
    station_id = Str(required=True)
    community_id = Str(required=True)
    name = Str(required=True, max=200)
    type = Str(required=True, metadata={"description": "dance, calligraphy, reading, "
                                                      "couplets, volunteer_team, mutual_aid…"})
    leader = Optional(Str, max=200)
    incubated_on = Optional(fields.Date, metadata={"description": "default: today"})


class OrganizationStepRequest(ma.Schema):
    step = fields.String(required=True, validate=validate.OneOf(tuple(STEPS)))
    on = Optional(fields.Date, metadata={"description": "default: today"})
    note = Optional()
    number = Optional(Str, metadata={"description": "filing or registration number"})


class MemberRequest(ma.Schema):
    name = Str(required=True, max=200)
    party_member = fields.Boolean(required=True)
    resident_id = Optional(Str)
    joined_on = Optional(fields.Date, metadata={"description": "default: today"})


class LeaveRequest(ma.Schema):
    left_on = Optional(fields.Date, metadata={"description": "default: today"})
    reason = Optional()


# -- volunteers -----------------------------------------------------------------------

class VolunteerRequest(ma.Schema):
    station_id = Str(required=True)
    community_id = Optional(Str)
    name = Str(required=True, max=200)
    phone = Optional(Str, max=40)
    resident_id = Optional(Str)
    organization_id = Optional(Str)
    registered_on = Optional(fields.Date, metadata={"description": "default: today"})


class ServiceLogRequest(ma.Schema):
    served_on = fields.Date(required=True)
    hours = fields.Decimal(required=True, places=2, as_string=True, validate=sane_hours,
                           metadata={"description": "decimal, e.g. \"2.5\"; more than 0, "
                                                    "at most 24 a day with the day's others"})
    activity_id = Optional(Str)
    organization_id = Optional(Str)
    description = Optional()
    self_reported = fields.Boolean(load_default=False)


class EmptyRequest(ma.Schema):
    """No fields: the path says it all."""


class RejectRequest(ma.Schema):
    reason = Long(required=True)


# -- query strings --------------------------------------------------------------------

MAX_PAGE = 1_000_000


class PageQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class StationQuery(PageQuery):
    station_id = Str(load_default=None)


class ActivityQuery(StationQuery):
    community_id = Str(load_default=None)
    area = Str(load_default=None)
    project_id = Str(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    state = fields.String(load_default=None, validate=validate.OneOf(
        ("planned", "held", "reviewed", "cancelled")))


class AttendanceQuery(PageQuery):
    resident_id = Str(required=True)


class OrganizationQuery(StationQuery):
    community_id = Str(load_default=None)
    state = fields.String(load_default=None, validate=validate.OneOf(
        ("incubating", "filed", "registered", "dormant", "dissolved")))


class MemberQuery(PageQuery):
    active = fields.Boolean(load_default=None)


class VolunteerLogQuery(PageQuery):
    status = fields.String(load_default=None,
                           validate=validate.OneOf(("pending", "confirmed", "rejected")))


class CountsQuery(ma.Schema):
    class Meta:
        unknown = EXCLUDE

    station_id = Str(load_default=None)
    community_id = Str(load_default=None)
    as_of = fields.Date(load_default=None, metadata={"description": "end of this day "
                                                                    "(default: today)"})


class HoursQuery(CountsQuery):
    by = fields.String(load_default="volunteer", validate=validate.OneOf(
        ("volunteer", "organization", "activity", "month")))


# -- responses ------------------------------------------------------------------------

def _out(field_type=fields.String, **kwargs) -> fields.Field:
    return field_type(required=True, **kwargs)


def _maybe(field_type=fields.String, **kwargs) -> fields.Field:
    return field_type(required=True, allow_none=True, **kwargs)


def Page(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A list page {"items": [item], "total", "page", "page_size"}."""
    return ma.Schema.from_dict({
        "items": _out(fields.List, cls_or_instance=fields.Nested(item)),
        "total": _out(fields.Integer), "page": _out(fields.Integer),
        "page_size": _out(fields.Integer)}, name=name)


class IdOut(ma.Schema):
    id = _out()


class StateOut(ma.Schema):
    id = _out()
    state = _out()
    version = _out(fields.Integer)


class AttendanceOut(ma.Schema):
    id = _out()
    session_id = _out()
    added = _out(fields.List, cls_or_instance=fields.String(),
                 metadata={"description": "residents not recorded for the session before"})
    headcount = _out(fields.Integer)
    person_times = _out(fields.Integer, metadata={"description": "the session's, now"})


class ProjectOut(ma.Schema):
    id = _out()
    station_id = _out()
    name = _out()
    area = _out()
    owner = _out()
    starts_on = _out()
    ends_on = _maybe()


class AreaOut(ma.Schema):
    area = _out()
    name = _out()
    name_zh = _out()
    standard = _out(fields.Boolean)


class AreaListOut(ma.Schema):
    items = _out(fields.List, cls_or_instance=fields.Nested(AreaOut))


class ActivityOut(ma.Schema):
    id = _out()
    kind = _out()
    station_id = _out()
    community_id = _out()
    area = _out()
    title = _out()
    project_id = _maybe()
    project_name = _maybe()
    venue = _maybe()
    partners = _out(fields.List, cls_or_instance=fields.String())
    forces = _out(fields.List, cls_or_instance=fields.String())
    state = _out()
    held_at = _maybe(metadata={"description": "the first session's time"})
    sessions = _out(fields.Integer)
    person_times = _out(fields.Integer)
    feedback_count = _out(fields.Integer)
    satisfaction = _maybe(metadata={"description": "average, 1-5, two decimals"})
    version = _out(fields.Integer)


class SessionOut(ma.Schema):
    session_id = _out()
    session_at = _out()
    venue = _maybe()
    topic = _maybe()
    held = _out(fields.Boolean)
    residents = _out(fields.Integer)
    headcount = _out(fields.Integer)
    person_times = _out(fields.Integer)


class ActivityDetailOut(ActivityOut):
    session_list = _out(fields.List, cls_or_instance=fields.Nested(SessionOut))


class AttendedOut(ma.Schema):
    activity_id = _out()
    session_id = _out()
    station_id = _out()
    session_at = _out()
    title = _out()
    area = _out()


class OrganizationOut(ma.Schema):
    id = _out()
    station_id = _out()
    community_id = _out()
    name = _out()
    type = _out()
    leader = _maybe()
    state = _out()
    incubated_on = _out()
    filed_on = _maybe()
    registered_on = _maybe()
    dormant_on = _maybe()
    dissolved_on = _maybe()
    members = _out(fields.Integer)
    party_members = _out(fields.Integer)
    version = _out(fields.Integer)


class MemberOut(ma.Schema):
    id = _out()
    organization_id = _out()
    name = _out(metadata={"description": "masked unless the role may read personal data"})
    party_member = _out(fields.Boolean)
    resident_id = _maybe()
    joined_on = _out()
    left_on = _maybe()


class VolunteerOut(ma.Schema):
    id = _out()
    station_id = _out()
    community_id = _maybe()
    name = _out(metadata={"description": "masked unless the role may read personal data"})
    phone = _maybe(metadata={"description": "masked unless the role may read personal data"})
    resident_id = _maybe()
    organization_id = _maybe()
    registered_on = _out()
    confirmed_hours = _out(metadata={"description": "decimal string; confirmed logs only"})
    pending_hours = _out()


class ServiceLogOut(ma.Schema):
    id = _out()
    volunteer_id = _out()
    served_on = _out()
    hours = _out()
    activity_id = _maybe()
    organization_id = _maybe()
    self_reported = _out(fields.Boolean)
    status = _out()


class CountsOut(ma.Schema):
    as_of = _out()
    activities = _out(fields.Integer)
    sessions = _out(fields.Integer)
    person_times = _out(fields.Integer)
    organizations = _out(fields.Integer)
    members = _out(fields.Integer)
    party_members = _out(fields.Integer)
    organizations_by_state = _out(fields.Dict, keys=fields.String(), values=fields.Integer())
    by_community = _out(fields.List, cls_or_instance=fields.Dict())


class HoursItemOut(ma.Schema):
    key = _out()
    hours = _out()


class HoursOut(ma.Schema):
    as_of = _out()
    by = _out()
    items = _out(fields.List, cls_or_instance=fields.Nested(HoursItemOut))
    total = _out()


ProjectPageOut = Page(ProjectOut, "ProjectPage")
ActivityPageOut = Page(ActivityOut, "ActivityPage")
AttendedPageOut = Page(AttendedOut, "AttendedPage")
OrganizationPageOut = Page(OrganizationOut, "OrganizationPage")
MemberPageOut = Page(MemberOut, "MemberPage")
VolunteerPageOut = Page(VolunteerOut, "VolunteerPage")
ServiceLogPageOut = Page(ServiceLogOut, "ServiceLogPage")
