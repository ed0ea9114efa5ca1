"""Events the activities service records and publishes (past tense; payload schemas).

Published on `activities.events` with the event type as routing key; reporting folds
them into person-times (服务人次), organization, member and volunteer-hour counts.
Times are canonical UTC ISO text with an offset, dates YYYY-MM-DD, hours a decimal
string ("2.50"). Payloads carry ids; the only personal fields are the names of members
and volunteers, volunteers' phones and organizations' leaders, sealed with each person's own key
(services.activities.privacy) and left out of the audit view, and a resident's comments on
an activity, sealed with that resident's key (RESIDENT_SEALED; comments left without a
name stay in clear). NOT_PERSONAL names the other text of events that name a resident.

Every count has an *effective date* inside the payload (a session's `session_at`, a
member's `joined_on`, an organization's `incubated_on`, a volunteer's `served_on`):
`as_of` folds (services.activities.counts) count what was true on that date.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from shared.events import Registry
from shared.fields import Id, Moment, Text
from shared.security import erasure

STANDARD_AREAS = ("assistance", "elderly", "children", "governance")  # 4 of "4+N"
FORCES = ("community", "social_workers", "social_organizations", "volunteers",
          "charity_resources")  # 五社联动
KINDS = ("activity", "group")
ORGANIZATION_STATES = ("incubating", "filed", "registered", "dormant", "dissolved")


def Optional(field_type=Id, **kwargs):
    return field_type(allow_none=True, load_default=None, **kwargs)


def Hours(**kwargs) -> fields.Decimal:
    """Hours of one day's service: more than 0, at most 24."""
    return fields.Decimal(as_string=True, places=2, **kwargs,
                          validate=validate.Range(min=0, max=24, min_inclusive=False))


# -- projects -------------------------------------------------------------------------

class ProjectCreated(ma.Schema):
    project_id = Id(required=True)
    station_id = Id(required=True)
    name = Text(required=True)
    area = Id(required=True)
    owner = Id(required=True)
    starts_on = fields.Date(required=True)
    ends_on = Optional(fields.Date)
    created_by = Id(required=True)


class ServiceAreaAdded(ma.Schema):
    """An area a station adds to the standard four (the N of 4+N)."""
    station_id = Id(required=True)
    area = Id(required=True)
    name = Text(required=True)
    name_zh = Text(required=True)
    added_by = Id(required=True)


# -- activities and groups ------------------------------------------------------------

class _Planned(ma.Schema):
    activity_id = Id(required=True)
    station_id = Id(required=True)
    community_id = Id(required=True)
    area = Id(required=True)
    title = Text(required=True)
    project_id = Optional()
    project_name = Optional(Text)
    venue = Optional(Text)
    partners = fields.List(Text(), load_default=list)
    forces = fields.List(fields.String(validate=validate.OneOf(FORCES)), load_default=list)
    planned_by = Id(required=True)


class ActivityPlanned(_Planned):
    """One activity (活动): a single session, whose session id is the activity id."""
    session_at = Moment(required=True)


class GroupCreated(_Planned):
    """A group (小组): a series of sessions, each planned with GroupSessionPlanned."""


class GroupSessionPlanned(ma.Schema):
    activity_id = Id(required=True)
    session_id = Id(required=True)
    station_id = Id(required=True)
    session_at = Moment(required=True)
    venue = Optional(Text)
    topic = Optional(Text)


class ActivityHeld(ma.Schema):
    activity_id = Id(required=True)
    session_id = Id(required=True)
    station_id = Id(required=True)
    session_at = Moment(required=True)


class ActivityCancelled(ma.Schema):
    activity_id = Id(required=True)
    station_id = Id(required=True)
    reason = Text(required=True)
    cancelled_by = Id(required=True)


class AttendanceRecorded(ma.Schema):
    """Who came to one session: residents not yet recorded for it, and a headcount of
    anonymous attendees. The session's person-times grow by len(resident_ids) + headcount."""
    activity_id = Id(required=True)
    session_id = Id(required=True)
    station_id = Id(required=True)
    community_id = Id(required=True)
    area = Id(required=True)
    project_id = Optional()
    session_at = Moment(required=True)
    resident_ids = fields.List(Id(), required=True)
    headcount = fields.Integer(required=True, validate=validate.Range(min=0))
    recorded_by = Id(required=True)


class FeedbackGiven(ma.Schema):
    activity_id = Id(required=True)
    feedback_id = Id(required=True)
    station_id = Id(required=True)
    satisfaction = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    # sealed with the resident's key when the feedback names one (RESIDENT_SEALED)
    comments = erasure.EncryptedOrText(allow_none=True, load_default=None)
    resident_id = Optional()
    given_at = Moment(required=True)


class ActivityReviewed(ma.Schema):
    activity_id = Id(required=True)
    station_id = Id(required=True)
    went_well = Text(required=True)
    to_change = Text(required=True)
    reviewed_by = Id(required=True)
    reviewed_at = Moment(required=True)


# -- community social organizations (社区社会组织) ------------------------------------

class OrganizationIncubated(ma.Schema):
    organization_id = Id(required=True)
    station_id = Id(required=True)
    community_id = Id(required=True)
    name = Text(required=True)
    type = Id(required=True)
    leader = erasure.Encrypted(allow_none=True, load_default=None)  # a person's name, sealed
    incubated_on = fields.Date(required=True)
    incubated_by = Id(required=True)


class _OrganizationStep(ma.Schema):
    organization_id = Id(required=True)
    station_id = Id(required=True)
    on = fields.Date(required=True)
    by = Id(required=True)
    note = Optional(Text)


class OrganizationFiled(_OrganizationStep):
    """备案 with the street office."""
    filing_no = Optional()


class OrganizationRegistered(_OrganizationStep):
    """登记 with civil affairs."""
    registration_no = Optional()


class OrganizationDormant(_OrganizationStep):
    pass


class OrganizationRevived(_OrganizationStep):
    """Back from dormancy to the state it had before."""
    state = fields.String(required=True, validate=validate.OneOf(ORGANIZATION_STATES[:3]))


class OrganizationDissolved(_OrganizationStep):
    pass


class MemberJoined(ma.Schema):
    organization_id = Id(required=True)
    member_id = Id(required=True)
    station_id = Id(required=True)
    community_id = Id(required=True)
    name = erasure.Encrypted(required=True)  # sealed: services.activities.privacy
    party_member = fields.Boolean(required=True)
    resident_id = Optional()
    joined_on = fields.Date(required=True)
    recorded_by = Id(required=True)


class MemberLeft(ma.Schema):
    organization_id = Id(required=True)
    member_id = Id(required=True)
    station_id = Id(required=True)
    left_on = fields.Date(required=True)
    reason = Optional(Text)
    recorded_by = Id(required=True)


# -- volunteers (志愿者) --------------------------------------------------------------

class VolunteerRegistered(ma.Schema):
    volunteer_id = Id(required=True)
    station_id = Id(required=True)
    community_id = Optional()
    name = erasure.Encrypted(required=True)  # sealed: services.activities.privacy
    phone = erasure.Encrypted(allow_none=True, load_default=None)
    resident_id = Optional()
    organization_id = Optional()
    registered_on = fields.Date(required=True)
    registered_by = Id(required=True)


class _ServiceLog(ma.Schema):
    volunteer_id = Id(required=True)
    log_id = Id(required=True)
    station_id = Id(required=True)
    served_on = fields.Date(required=True)
    hours = Hours(required=True)
    activity_id = Optional()
    organization_id = Optional()


class VolunteerServiceLogged(_ServiceLog):
    """Hours served on one day; they count only once VolunteerServiceConfirmed follows."""
    description = Optional(Text)
    self_reported = fields.Boolean(required=True)
    logged_by = Id(required=True)


class VolunteerServiceConfirmed(_ServiceLog):
    confirmed_by = Id(required=True)


class VolunteerServiceRejected(ma.Schema):
    volunteer_id = Id(required=True)
    log_id = Id(required=True)
    station_id = Id(required=True)
    reason = Text(required=True)
    rejected_by = Id(required=True)


# event type -> its payload fields sealed with the key of the resident it names
# (services.activities.privacy); version 2 is the sealed form, version 1 is read as stored.
RESIDENT_SEALED: dict[str, tuple[str, ...]] = {"FeedbackGiven": ("comments",)}

# Text in events that name a resident which is not about them, each with the reason
# (tests/unit/test_sealing_completeness.py: every such text is sealed or named here).
NOT_PERSONAL: dict[str, str] = {
    "AttendanceRecorded.area": "a service area's code (4+N), chosen from the station's list",
    "KeyDestroyed.reason": "the erasure's own record: which residents' erasure it follows",
}

registry = Registry()
registry.register("FeedbackGiven", FeedbackGiven, version=2, upcasters={1: dict})
for _schema in (ProjectCreated, ServiceAreaAdded, ActivityPlanned, GroupCreated,
                GroupSessionPlanned, ActivityHeld, ActivityCancelled, AttendanceRecorded,
                ActivityReviewed, OrganizationIncubated, OrganizationFiled,
                OrganizationRegistered, OrganizationDormant, OrganizationRevived,
                OrganizationDissolved, MemberJoined, MemberLeft, VolunteerRegistered,
                VolunteerServiceLogged, VolunteerServiceConfirmed, VolunteerServiceRejected):
    registry.register(_schema.__name__, _schema)
erasure.register(registry)  # KeyDestroyed: a member's or volunteer's key, destroyed

NOT_EVOLVED = {"KeyDestroyed": "a person's key destroyed: their names read as erased, "
                               "no aggregate's state changes"}
