"""The HTTP edge of activities: request schemas (validated with bilingual field errors),
query strings and the responses the OpenAPI document promises.

Bodies refuse unknown fields; query strings ignore them. Rules that need the service's
state (a session in the future, a resident of another station, a negative headcount,
over 24 hours in a day) are the domain's: it answers them with its own clear message.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from shared.fields import Long, Maybe, Optional, Out, Page, PageQuery, Str, no_nul
from shared.web import load

from services.activities.events import FORCES, KINDS
from services.activities.organization import STEPS


def load_request(schema: ma.Schema, data) -> dict:
    """Validated data, or ValidationFailed (400) naming each field in both languages."""
    return load(schema, data)


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

class IdOut(ma.Schema):
    id = Out()


class StateOut(ma.Schema):
    id = Out()
    state = Out()
    version = Out(fields.Integer)


class AttendanceOut(ma.Schema):
    id = Out()
    session_id = Out()
    added = Out(fields.List, cls_or_instance=fields.String(),
                 metadata={"description": "residents not recorded for the session before"})
    headcount = Out(fields.Integer)
    person_times = Out(fields.Integer, metadata={"description": "the session's, now"})


class ProjectOut(ma.Schema):
    id = Out()
    station_id = Out()
    name = Out()
    area = Out()
    owner = Out()
    starts_on = Out()
    ends_on = Maybe()


class AreaOut(ma.Schema):
    area = Out()
    name = Out()
    name_zh = Out()
    standard = Out(fields.Boolean)


class AreaListOut(ma.Schema):
    items = Out(fields.List, cls_or_instance=fields.Nested(AreaOut))


class ActivityOut(ma.Schema):
    id = Out()
    kind = Out()
    station_id = Out()
    community_id = Out()
    area = Out()
    title = Out()
    project_id = Maybe()
    project_name = Maybe()
    venue = Maybe()
    partners = Out(fields.List, cls_or_instance=fields.String())
    forces = Out(fields.List, cls_or_instance=fields.String())
    state = Out()
    held_at = Maybe(metadata={"description": "the first session's time"})
    sessions = Out(fields.Integer)
    person_times = Out(fields.Integer)
    feedback_count = Out(fields.Integer)
    satisfaction = Maybe(metadata={"description": "average, 1-5, two decimals"})
    version = Out(fields.Integer)


class SessionOut(ma.Schema):
    session_id = Out()
    session_at = Out()
    venue = Maybe()
    topic = Maybe()
    held = Out(fields.Boolean)
    residents = Out(fields.Integer)
    headcount = Out(fields.Integer)
    person_times = Out(fields.Integer)


class ActivityDetailOut(ActivityOut):
    session_list = Out(fields.List, cls_or_instance=fields.Nested(SessionOut))


class AttendedOut(ma.Schema):
    activity_id = Out()
    session_id = Out()
    station_id = Out()
    session_at = Out()
    title = Out()
    area = Out()


class OrganizationOut(ma.Schema):
    id = Out()
    station_id = Out()
    community_id = Out()
    name = Out()
    type = Out()
    leader = Maybe()
    state = Out()
    incubated_on = Out()
    filed_on = Maybe()
    registered_on = Maybe()
    dormant_on = Maybe()
    dissolved_on = Maybe()
    members = Out(fields.Integer)
    party_members = Out(fields.Integer)
    version = Out(fields.Integer)


class MemberOut(ma.Schema):
    id = Out()
    organization_id = Out()
    name = Out(metadata={"description": "masked unless the role may read personal data"})
    party_member = Out(fields.Boolean)
    resident_id = Maybe()
    joined_on = Out()
    left_on = Maybe()


class VolunteerOut(ma.Schema):
    id = Out()
    station_id = Out()
    community_id = Maybe()
    name = Out(metadata={"description": "masked unless the role may read personal data"})
    phone = Maybe(metadata={"description": "masked unless the role may read personal data"})
    resident_id = Maybe()
    organization_id = Maybe()
    registered_on = Out()
    confirmed_hours = Out(metadata={"description": "decimal string; confirmed logs only"})
    pending_hours = Out()


class ServiceLogOut(ma.Schema):
    id = Out()
    volunteer_id = Out()
    served_on = Out()
    hours = Out()
    activity_id = Maybe()
    organization_id = Maybe()
    self_reported = Out(fields.Boolean)
    status = Out()


class CountsOut(ma.Schema):
    as_of = Out()
    activities = Out(fields.Integer)
    sessions = Out(fields.Integer)
    person_times = Out(fields.Integer)
    organizations = Out(fields.Integer)
    members = Out(fields.Integer)
    party_members = Out(fields.Integer)
    organizations_by_state = Out(fields.Dict, keys=fields.String(), values=fields.Integer())
    by_community = Out(fields.List, cls_or_instance=fields.Dict())


class HoursItemOut(ma.Schema):
    key = Out()
    hours = Out()


class HoursOut(ma.Schema):
    as_of = Out()
    by = Out()
    items = Out(fields.List, cls_or_instance=fields.Nested(HoursItemOut))
    total = Out()


ProjectPageOut = Page(ProjectOut, "ProjectPage")
ActivityPageOut = Page(ActivityOut, "ActivityPage")
AttendedPageOut = Page(AttendedOut, "AttendedPage")
OrganizationPageOut = Page(OrganizationOut, "OrganizationPage")
MemberPageOut = Page(MemberOut, "MemberPage")
VolunteerPageOut = Page(VolunteerOut, "VolunteerPage")
ServiceLogPageOut = Page(ServiceLogOut, "ServiceLogPage")
