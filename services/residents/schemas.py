"""Request and response schemas (marshmallow) and their bilingual field messages.

Every field message reads "English / 中文": marshmallow's own messages are translated
here, the service's own validators write both languages themselves. The response
schemas are what the OpenAPI document promises (shared.openapi): each lists exactly the
fields its endpoint answers with.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from marshmallow import (EXCLUDE, Schema, ValidationError, fields, validate, validates_schema)

from shared import clock
from services.residents import configuration, idnumber

def one_of(codes: Callable[[], tuple[str, ...]]):
    """A validator over a configured vocabulary, read when it runs (not at import)."""
    def check(value):
        allowed = codes()
        if value not in allowed:
            choices = ", ".join(allowed)
            raise ValidationError(f"Must be one of: {choices} / 必须是以下之一：{choices}")
    return check


def _settings():
    return configuration.settings()


def _text(max_len: int, **kw) -> fields.Str:
    return fields.Str(validate=validate.Length(min=1, max=max_len), **kw)


_ID = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,62}$", error=(
    "Lower-case letters, digits, '-' or '_', at most 63 / 仅限小写字母、数字、'-' 或 '_'，最多 63 个字符"))
_PHONE = validate.Regexp(r"^[0-9+()\- ]{3,20}$", error="Not a valid phone number / 电话号码格式不正确")


def _version() -> fields.Int:
    """The version the caller last read; a mismatch is a 409 version conflict."""
    return fields.Int(validate=validate.Range(min=0), load_default=None, data_key="version")


def _date_text(value: str) -> None:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("Not a valid date (YYYY-MM-DD) / 日期无效（格式 YYYY-MM-DD）") from None


# -- organisation ------------------------------------------------------------------------

class DistrictIn(Schema):
    id = fields.Str(validate=_ID, load_default=None)
    name = _text(50, required=True)


class StreetIn(DistrictIn):
    district_id = fields.Str(required=True)


class StationIn(DistrictIn):
    street_id = fields.Str(required=True)


class CommunityIn(DistrictIn):
    station_id = fields.Str(required=True)


class ScheduleIn(Schema):
    red = fields.Int(required=True, validate=validate.Range(min=1, max=36))
    blue = fields.Int(required=True, validate=validate.Range(min=1, max=36))
    green = fields.Int(required=True, validate=validate.Range(min=1, max=36))


# -- residents -------------------------------------------------------------------------------

class MemberIn(Schema):
    name = _text(50, required=True)
    relation = fields.Str(required=True, validate=one_of(lambda: _settings().relations.codes))
    resident_id = fields.Str(load_default=None, allow_none=True)
    phone = fields.Str(validate=_PHONE, load_default=None, allow_none=True)
    birth_date = fields.Str(validate=_date_text, load_default=None, allow_none=True)


class HouseholdIn(Schema):
    household_id = fields.Str(load_default=None, allow_none=True)
    members = fields.List(fields.Nested(MemberIn), load_default=list)


class RegisterIn(Schema):
    """POST /api/v1/residents"""

    station_id = fields.Str(required=True)
    community_id = fields.Str(required=True)
    name = _text(50, required=True)
    gender = fields.Str(required=True, validate=validate.OneOf(("male", "female")))
    birth_date = fields.Date(required=True)
    id_number = fields.Str(required=True)
    phone = fields.Str(validate=_PHONE, load_default=None, allow_none=True)
    address = _text(200, load_default=None, allow_none=True)
    categories = fields.List(fields.Str(validate=one_of(lambda: _settings().categories.codes)),
                             load_default=list)
    household = fields.Nested(HouseholdIn, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def id_number_fits(self, data, **_):
        if isinstance(data.get("id_number"), str):
            found = idnumber.problems(data["id_number"], data.get("birth_date"), data.get("gender"),
                                      clock.today())
            if found:
                raise ValidationError(found)


class UpdateIn(Schema):
    """PATCH /api/v1/residents/{id}: any of these; ID number, birth date and gender are fixed."""

    name = _text(50)
    phone = fields.Str(validate=_PHONE, allow_none=True)
    address = _text(200, allow_none=True)
    categories = fields.List(fields.Str(validate=one_of(lambda: _settings().categories.codes)))
    household = fields.Nested(HouseholdIn, allow_none=True)
    expected_version = _version()


class MoveIn(Schema):
    community_id = fields.Str(required=True)
    address = _text(200, load_default=None, allow_none=True)
    expected_version = _version()


class StatusIn(Schema):
    status = fields.Str(required=True, validate=validate.OneOf(("active", "moved_out", "deceased")))
    reason = _text(500, load_default=None, allow_none=True)
    effective_date = fields.Date(load_default=None)
    expected_version = _version()


class AssessIn(Schema):
    domain = fields.Str(required=True, validate=one_of(lambda: tuple(_settings().rubrics)))
    answers = fields.Dict(keys=fields.Str(), values=fields.Raw(), required=True)
    expected_version = _version()


class OverrideIn(Schema):
    card = fields.Str(required=True, validate=validate.OneOf(("red", "blue", "green")))
    reason = _text(1000, required=True)
    expected_version = _version()


class ConfirmIn(Schema):
    note = _text(1000, load_default=None, allow_none=True)
    expected_version = _version()


class RejectIn(Schema):
    reason = _text(1000, required=True)
    expected_version = _version()


class NeedIn(Schema):
    category = fields.Str(required=True, validate=one_of(lambda: _settings().need_categories.codes))
    urgency = fields.Str(required=True, validate=one_of(lambda: _settings().urgencies.codes))
    description = _text(2000, required=True)
    expected_version = _version()


class NeedMetIn(Schema):
    note = _text(1000, load_default=None, allow_none=True)


class NeedWithdrawIn(Schema):
    reason = _text(1000, required=True)


# -- queries --------------------------------------------------------------------------------

class PageIn(Schema):
    class Meta:
        unknown = EXCLUDE

    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class ResidentsQuery(PageIn):
    station_id = fields.Str()
    community_id = fields.Str()
    card = fields.Str(validate=validate.OneOf(("red", "blue", "green", "none")))
    category = fields.Str(validate=one_of(lambda: _settings().categories.codes))
    status = fields.Str(validate=validate.OneOf(("active", "moved_out", "deceased")))
    q = fields.Str(validate=validate.Length(min=1, max=50))
    due = fields.Bool()
    pending = fields.Bool()


class RosterQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    station_id = fields.Str(required=True)
    format = fields.Str(load_default="xlsx", validate=validate.OneOf(("xlsx", "csv")))


class NeedsQuery(PageIn):
    station_id = fields.Str()
    community_id = fields.Str()
    resident_id = fields.Str()
    category = fields.Str(validate=one_of(lambda: _settings().need_categories.codes))
    urgency = fields.Str(validate=one_of(lambda: _settings().urgencies.codes))
    status = fields.Str(validate=validate.OneOf(("open", "met", "withdrawn", "all")))


class HistoryQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    as_of = fields.AwareDateTime(load_default=None)


class AccessTrailQuery(PageIn):
    """GET /api/v1/residents/{id}/access-trail"""


class AccessDigestQuery(Schema):
    """GET /api/v1/residents/access-digest?station_id=&week=2026-W48 (default: this week)"""

    class Meta:
        unknown = EXCLUDE

    station_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    week = fields.Str(load_default=None, validate=validate.Regexp(
        r"^\d{4}-W\d{2}$", error="An ISO week: YYYY-Www, e.g. 2026-W48 / ISO 周：YYYY-Www，如 2026-W48"))


# -- other commands -----------------------------------------------------------------------

class EraseIn(Schema):
    """POST /api/v1/residents/{id}/erase: why the personal data is erased."""

    reason = _text(500, required=True)


class TransferIn(Schema):
    """POST /api/v1/residents/{id}/transfer: the station and community that are to take
    the record, and why (sealed in the event)."""

    to_station_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    to_community_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    reason = _text(500, required=True)


class TransferAcceptIn(Schema):
    """POST /api/v1/transfers/{id}/accept: nothing to add but an optional note."""

    note = _text(500, load_default=None, allow_none=True)


class TransferDeclineIn(Schema):
    """POST /api/v1/transfers/{id}/decline: why the receiving station refuses."""

    reason = _text(500, required=True)


class TransfersQuery(PageIn):
    """GET /api/v1/transfers?station_id=&direction=incoming|outgoing&status="""

    station_id = fields.Str()
    direction = fields.Str(validate=validate.OneOf(("incoming", "outgoing")))
    status = fields.Str(validate=validate.OneOf(("offered", "accepted", "declined")))


class RollupQuery(Schema):
    """GET /api/v1/residents/rollup?street_id= or ?district_id= (exactly one)."""

    class Meta:
        unknown = EXCLUDE

    street_id = fields.Str(validate=validate.Length(min=1, max=100))
    district_id = fields.Str(validate=validate.Length(min=1, max=100))

    @validates_schema
    def _exactly_one(self, data, **kwargs):
        if ("street_id" in data) == ("district_id" in data):
            raise ValidationError("Give either street_id or district_id / 请提供 street_id 或 "
                                  "district_id 其中之一", field_name="_schema")


class LookupIn(Schema):
    """POST /api/v1/residents/lookup (partner offices): the ID number to match."""

    id_number = fields.Str(required=True, validate=validate.Length(min=1, max=40))


# -- responses ------------------------------------------------------------------------------

def _out(field_class, **kw):
    return field_class(required=True, **kw)


def _nullable(field_class, **kw):
    return field_class(required=True, allow_none=True, **kw)


class NodeCreated(Schema):
    id = _out(fields.Str)


class ResidentCreated(Schema):
    id = _out(fields.Str)
    version = _out(fields.Int)


class NeedCreated(Schema):
    id = _out(fields.Str)


class NeedStatusOut(Schema):
    id = _out(fields.Str)
    status = _out(fields.Str)


class MonthsOut(Schema):
    red = _out(fields.Int)
    blue = _out(fields.Int)
    green = _out(fields.Int)


class ScheduleOut(Schema):
    station_id = _out(fields.Str)
    reassessment_months = _out(fields.Nested, nested=MonthsOut)


class CommunityOut(Schema):
    id = _out(fields.Str)
    name = _out(fields.Str)


class StationOut(Schema):
    id = _out(fields.Str)
    name = _out(fields.Str)
    reassessment_months = _out(fields.Nested, nested=MonthsOut)
    communities = _out(fields.List, cls_or_instance=fields.Nested(CommunityOut))


class StreetOut(Schema):
    id = _out(fields.Str)
    name = _out(fields.Str)
    stations = _out(fields.List, cls_or_instance=fields.Nested(StationOut))


class DistrictOut(Schema):
    id = _out(fields.Str)
    name = _out(fields.Str)
    streets = _out(fields.List, cls_or_instance=fields.Nested(StreetOut))


class OrgOut(Schema):
    """The organisation tree, cut to the caller's scope."""

    districts = _out(fields.List, cls_or_instance=fields.Nested(DistrictOut))


class RubricsOut(Schema):
    items = _out(fields.List, cls_or_instance=fields.Dict())
    categories = _out(fields.List, cls_or_instance=fields.Dict())
    need_categories = _out(fields.List, cls_or_instance=fields.Dict())
    urgencies = _out(fields.List, cls_or_instance=fields.Dict())
    relations = _out(fields.List, cls_or_instance=fields.Dict())
    reassessment_months = _out(fields.Nested, nested=MonthsOut)


class PendingOut(Schema):
    from_card = _out(fields.Str)
    to_card = _out(fields.Str)
    reason = _out(fields.Str)
    requested_by = _out(fields.Str)
    override = _out(fields.Bool)


class ResidentNeedOut(Schema):
    need_id = _out(fields.Str)
    category = _out(fields.Str)
    urgency = _out(fields.Str)
    description = _out(fields.Str)
    status = _out(fields.Str)


class ResidentStateOut(Schema):
    """A resident's state without personal data (what commands answer with)."""

    id = _out(fields.Str)
    station_id = _out(fields.Str)
    community_id = _out(fields.Str)
    categories = _out(fields.List, cls_or_instance=fields.Str())
    status = _out(fields.Str)
    card = _nullable(fields.Str)
    domain_cards = _out(fields.Dict, keys=fields.Str(), values=fields.Str())
    pending_downgrade = _nullable(fields.Nested, nested=PendingOut)
    last_assessed_at = _nullable(fields.Str)
    major_change = _nullable(fields.Str)
    reassess_on = _nullable(fields.Str)
    reassess_reason = _nullable(fields.Str)
    version = _out(fields.Int)
    registered_at = _out(fields.Str)
    updated_at = _out(fields.Str)


class ResidentOut(ResidentStateOut):
    """One resident's record. `id_number` and `phone` (household members' too) are masked
    unless the role may read personal data; personal fields read "[erased]" (household
    null) once the resident's data was erased."""

    name = _out(fields.Str)
    gender = _out(fields.Str)
    birth_date = _out(fields.Str)
    id_number = _out(fields.Str)
    phone = _nullable(fields.Str)
    address = _nullable(fields.Str)
    household = _nullable(fields.Dict)
    needs = _out(fields.List, cls_or_instance=fields.Nested(ResidentNeedOut))
    erased = _out(fields.Bool)


class AssessmentOut(Schema):
    id = _out(fields.Str)
    score = _out(fields.Int)
    card = _out(fields.Str)
    rubric_version = _out(fields.Int)
    resident_card = _nullable(fields.Str)
    pending_downgrade = _nullable(fields.Nested, nested=PendingOut)
    reassess_on = _nullable(fields.Str)
    version = _out(fields.Int)


class ResidentItem(Schema):
    """A resident in a list: ID number and phone always masked."""

    id = _out(fields.Str)
    station_id = _out(fields.Str)
    community_id = _out(fields.Str)
    name = _out(fields.Str)
    gender = _out(fields.Str)
    birth_date = _out(fields.Str)
    id_number = _out(fields.Str)
    phone = _nullable(fields.Str)
    categories = _out(fields.List, cls_or_instance=fields.Str())
    status = _out(fields.Str)
    card = _nullable(fields.Str)
    pending_card = _nullable(fields.Str)
    reassess_on = _nullable(fields.Str)
    version = _out(fields.Int)
    erased = _out(fields.Bool)


class ResidentPage(Schema):
    items = _out(fields.List, cls_or_instance=fields.Nested(ResidentItem))
    total = _out(fields.Int)
    page = _out(fields.Int)
    page_size = _out(fields.Int)


class NeedItem(Schema):
    id = _out(fields.Str)
    resident_id = _out(fields.Str)
    station_id = _out(fields.Str)
    community_id = _out(fields.Str)
    category = _out(fields.Str)
    urgency = _out(fields.Str)
    description = _out(fields.Str)
    status = _out(fields.Str)
    recorded_at = _out(fields.Str)
    closed_at = _nullable(fields.Str)


class NeedPage(Schema):
    items = _out(fields.List, cls_or_instance=fields.Nested(NeedItem))
    total = _out(fields.Int)
    page = _out(fields.Int)
    page_size = _out(fields.Int)


class HistoryOut(Schema):
    """The resident's events (personal fields opened, masked as for GET) and their state."""

    as_of = _nullable(fields.Str)
    events = _out(fields.List, cls_or_instance=fields.Dict())
    state = _out(fields.Nested, nested=ResidentOut)


class LookupOut(Schema):
    """Only whether the person is known, their card and their station."""

    known = _out(fields.Bool)
    card = _nullable(fields.Str)
    station_id = _nullable(fields.Str)


class EraseOut(Schema):
    id = _out(fields.Str)
    erased = _out(fields.Bool)


class AccessReadOut(Schema):
    """ResidentRecordRead: `fields` names the view read and the personal fields in clear."""

    resident_id = _out(fields.Str)
    station_id = _nullable(fields.Str)
    reader = _out(fields.Str)
    role = _out(fields.Str)
    reason = _nullable(fields.Str)
    read_fields = _out(fields.List, cls_or_instance=fields.Str(), data_key="fields")
    at = _out(fields.Str)


class AccessTrailPage(Schema):
    items = _out(fields.List, cls_or_instance=fields.Nested(AccessReadOut))
    total = _out(fields.Int)
    page = _out(fields.Int)
    page_size = _out(fields.Int)


class ReaderCount(Schema):
    reader = _out(fields.Str)
    role = _out(fields.Str)
    reads = _out(fields.Int)
    without_reason = _out(fields.Int)


class RoleCount(Schema):
    role = _out(fields.Str)
    reads = _out(fields.Int)


class DayCount(Schema):
    day = _out(fields.Str)
    reads = _out(fields.Int)


class AccessDigestOut(Schema):
    """A station's reads of residents' records in one ISO week (China dates)."""

    station_id = _out(fields.Str)
    week = _out(fields.Str)
    first_day = _out(fields.Str, data_key="from")
    last_day = _out(fields.Str, data_key="to")
    reads = _out(fields.Int)
    residents = _out(fields.Int)
    without_reason = _out(fields.Int)
    by_reader = _out(fields.List, cls_or_instance=fields.Nested(ReaderCount))
    by_role = _out(fields.List, cls_or_instance=fields.Nested(RoleCount))
    by_day = _out(fields.List, cls_or_instance=fields.Nested(DayCount))


# -- transfers and roll-ups -------------------------------------------------------------------

class TransferOfferedOut(Schema):
    transfer_id = _out(fields.Str)
    status = _out(fields.Str)


class TransferAnsweredOut(Schema):
    """The answer to an offer; an accepted record now lies with `station_id`."""

    transfer_id = _out(fields.Str)
    status = _out(fields.Str)
    resident_id = _out(fields.Str)
    station_id = _out(fields.Str)
    community_id = _out(fields.Str)


class TransferItem(Schema):
    """An offer as either station sees it: ids, card and categories, no personal field."""

    transfer_id = _out(fields.Str)
    resident_id = _out(fields.Str)
    from_station_id = _out(fields.Str)
    from_community_id = _out(fields.Str)
    to_station_id = _out(fields.Str)
    to_community_id = _out(fields.Str)
    status = _out(fields.Str)
    card = _nullable(fields.Str)
    categories = _out(fields.List, cls_or_instance=fields.Str())
    offered_by = _out(fields.Str)
    offered_at = _out(fields.Str)
    decided_by = _nullable(fields.Str)
    decided_at = _nullable(fields.Str)


class TransferPage(Schema):
    items = _out(fields.List, cls_or_instance=fields.Nested(TransferItem))
    total = _out(fields.Int)
    page = _out(fields.Int)
    page_size = _out(fields.Int)


class CardCounts(Schema):
    red = _out(fields.Int)
    blue = _out(fields.Int)
    green = _out(fields.Int)
    none = _out(fields.Int)


class RollupScope(Schema):
    kind = _out(fields.Str)          # street | district
    id = _out(fields.Str)
    name = _out(fields.Str)


class StationRollup(Schema):
    station_id = _out(fields.Str)
    name = _out(fields.Str)
    residents = _out(fields.Int)
    cards = _out(fields.Nested, nested=CardCounts)


class RollupTotal(Schema):
    stations = _out(fields.Int)
    residents = _out(fields.Int)
    cards = _out(fields.Nested, nested=CardCounts)


class RollupOut(Schema):
    """Active residents by station and card, from the residents read model."""

    scope = _out(fields.Nested, nested=RollupScope)
    stations = _out(fields.List, cls_or_instance=fields.Nested(StationRollup))
    total = _out(fields.Nested, nested=RollupTotal)
