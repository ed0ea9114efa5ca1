"""Events the reporting service records and publishes (past tense; payload schemas).

Reporting owns only the chain's own records; every figure comes from other services'
events (services.reporting.facts). Streams:
- `report-<level>-<unit>-<period key>`: one report's submission and approval
  (ReportSubmitted carries the frozen figures, the corrections it names, the ids of
  the facts the figures counted and the watermark: each source's last position the
  figures had seen).
- `chain-<station>`: the five-level chain's records (levels 1-4).
- `suggestion-<id>`: a suggestion to the street or a community (level 5) until answered.
- `meetings-<station>`: 1+1+1 weekly meeting minutes and monthly supervision.
- `access-<resident>`: ResidentRecordRead, a timeline read (shared.security.access_log).
"""
from marshmallow import Schema, fields, validate

from shared.events import Registry
from shared.security import access_log

LEVELS = ("station", "street")
KINDS = ("weekly", "monthly", "quarterly")
APPROVERS = ("street", "district")
ANSWERS = ("adopted", "declined", "pending")
STAGES = ("before", "after")


def _text(**kw):
    return fields.Str(required=True, validate=validate.Length(min=1, max=5000), **kw)


def _id(**kw):
    return fields.Str(required=True, validate=validate.Length(min=1, max=200), **kw)


def _optional_text():
    return fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=5000))


def _day():
    return fields.Date(required=True)


# -- submission and approval (DHIS2's data approval: period x unit x report) ----------

class ReportSubmitted(Schema):
    report_id = _id()
    level = fields.Str(required=True, validate=validate.OneOf(LEVELS))
    unit_id = _id()
    station_ids = fields.List(fields.Str(), required=True)
    street_id = _id()
    district_id = fields.Str(load_default=None, allow_none=True)
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    period_key = _id()
    period_from = _day()
    period_to = _day()
    revision = fields.Int(required=True, validate=validate.Range(min=1))
    figures = fields.Dict(required=True)
    corrections = fields.List(fields.Dict(), required=True)
    watermark = fields.Dict(keys=fields.Str(), values=fields.Int(), required=True)
    # the event ids of the facts it counted, by which late facts are judged (absent in
    # reports submitted before they were kept: those are judged by the watermark)
    counted = fields.List(fields.Str(), load_default=None, allow_none=True)
    summary = _optional_text()
    plan = _optional_text()
    submitted_by = _id()
    submitted_at = _id()


class ReportAccepted(Schema):
    report_id = _id()
    revision = fields.Int(required=True)
    at = _id()
    accepted_by = _id()
    approver_level = fields.Str(required=True, validate=validate.OneOf(APPROVERS))
    comment = _optional_text()


class ReportReturned(Schema):
    report_id = _id()
    revision = fields.Int(required=True)
    at = _id()
    returned_by = _id()
    approver_level = fields.Str(required=True, validate=validate.OneOf(APPROVERS))
    comment = _text()


class ReportReopened(Schema):
    report_id = _id()
    revision = fields.Int(required=True)
    at = _id()
    reopened_by = _id()
    approver_level = fields.Str(required=True, validate=validate.OneOf(APPROVERS))
    reason = _text()


# -- the five-level chain (五级工作汇报机制) ----------------------------------------------

class StreetMeetingAttended(Schema):
    """Level 1: the project supervisor at the street's regular meeting."""
    record_id = _id()
    station_id = _id()
    held_on = _day()
    attendee = _id()
    central_work = _text()


class ProgressReported(Schema):
    """Level 2: the station's overall progress reported to street leaders."""
    record_id = _id()
    station_id = _id()
    reported_on = _day()
    reported_by = _id()
    leader = _id()
    summary = _text()


class CommunityVisitNoted(Schema):
    """Level 3: a community visit, its current key work and our suggestions."""
    record_id = _id()
    station_id = _id()
    community_id = _id()
    visited_on = _day()
    visited_by = _id()
    key_work = _text()
    suggestions = _optional_text()


class ActivityConsulted(Schema):
    """Level 4: street or community departments consulted before or after an activity."""
    record_id = _id()
    station_id = _id()
    activity_id = fields.Str(load_default=None, allow_none=True)
    stage = fields.Str(required=True, validate=validate.OneOf(STAGES))
    department = _id()
    consulted_on = _day()
    consulted_by = _id()
    notes = _optional_text()


class SuggestionProposed(Schema):
    """Level 5: a work suggestion or advocacy, tracked until answered."""
    suggestion_id = _id()
    station_id = _id()
    addressed_to = _id()
    title = _text()
    proposed_on = _day()
    proposed_by = _id()


class SuggestionAnswered(Schema):
    suggestion_id = _id()
    station_id = _id()
    answer = fields.Str(required=True, validate=validate.OneOf(ANSWERS))
    answered_on = _day()
    recorded_by = _id()
    comment = _optional_text()


# -- 1+1+1 station management -----------------------------------------------------------

class WeeklyMeetingMinuted(Schema):
    minutes_id = _id()
    station_id = _id()
    week = _id()
    held_on = _day()
    attendees = fields.List(fields.Str(), required=True, validate=validate.Length(min=1))
    minutes = _text()
    recorded_by = _id()


class SupervisionRecorded(Schema):
    record_id = _id()
    station_id = _id()
    month = _id()
    held_on = _day()
    supervisor = _id()
    topics = _text()
    recorded_by = _id()


registry = Registry()
for _schema in (ReportSubmitted, ReportAccepted, ReportReturned, ReportReopened,
                StreetMeetingAttended, ProgressReported, CommunityVisitNoted, ActivityConsulted,
                SuggestionProposed, SuggestionAnswered, WeeklyMeetingMinuted,
                SupervisionRecorded):
    registry.register(_schema.__name__, _schema)
access_log.register(registry)   # ResidentRecordRead: a timeline read is audited

# Text in events that name a resident which is not about them, each with the reason
# (tests/unit/test_sealing_completeness.py: every such text is sealed or named here).
# Reporting records no text about a resident: only the reads of their timeline.
NOT_PERSONAL: dict[str, str] = {
    "ResidentRecordRead.reader": "the staff account that read the timeline",
    "ResidentRecordRead.role": "the reader's role code",
    "ResidentRecordRead.reason": "the reader's stated purpose, the access trail's own record "
                                 "(it must outlive the data it audits)",
    "ResidentRecordRead.read_fields": "the names of the fields shown",
}

NOT_EVOLVED = {
    "StreetMeetingAttended": "a chain record: appended and listed, never loaded as state",
    "ProgressReported": "a chain record: appended and listed, never loaded as state",
    "CommunityVisitNoted": "a chain record: appended and listed, never loaded as state",
    "ActivityConsulted": "a chain record: appended and listed, never loaded as state",
    "ResidentRecordRead": "the access trail of a timeline read: changes no state",
}
