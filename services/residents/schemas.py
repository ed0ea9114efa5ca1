"""Request schemas (marshmallow) and their bilingual field messages.

Every field message reads "English / 中文": marshmallow's own messages are translated
here, the service's own validators write both languages themselves.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable

from marshmallow import (EXCLUDE, Schema, ValidationError, fields, validate, validates_schema)

from shared.errors import ValidationFailed

from services.residents import configuration, idnumber

_EXACT_ZH = {
    "Missing data for required field.": "缺少必填字段",
    "Field may not be null.": "不能为空",
    "Invalid value.": "值无效",
    "Not a valid string.": "应为字符串",
    "Not a valid integer.": "应为整数",
    "Not a valid date.": "日期无效（格式 YYYY-MM-DD）",
    "Not a valid datetime.": "时间无效（ISO 8601）",
    "Not a valid aware datetime.": "时间无效：需带时区（如 +08:00）",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "应为对象",
    "Invalid type.": "类型无效",
    "Invalid input type.": "类型无效",
    "Not a valid boolean.": "应为布尔值",
    "Unknown field.": "未知字段",
    "String does not match expected pattern.": "格式不正确",
}
_PATTERN_ZH = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度应在 \1 到 \2 之间"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"长度不能少于 \1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"长度不能超过 \1"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"必须是以下之一：\1"),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     r"应在 \1 到 \2 之间"),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"不能小于 \1"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"不能大于 \1"),
]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def bilingual(messages: Any) -> Any:
    """marshmallow's error messages (nested as it nests them), each as "English / 中文"."""
    if isinstance(messages, dict):
        return {k: bilingual(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [bilingual(m) for m in messages]
    text = str(messages)
    if _CJK.search(text):
        return text
    if text in _EXACT_ZH:
        return f"{text} / {_EXACT_ZH[text]}"
    for pattern, zh in _PATTERN_ZH:
        if pattern.match(text):
            return f"{text} / {pattern.sub(zh, text)}"
    return f"{text} / 输入有误"


def load(schema: Schema, data: Any) -> dict:
    """Validate at the edge: 400 with bilingual messages per field, nothing written."""
    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed(fields=bilingual(messages)) from None


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
                                      date.today())
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

    page = fields.Int(load_default=1, validate=validate.Range(min=1))
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
