"""What every value a request brings must satisfy, whatever its schema says.

shared.web.load checks each loaded request against these rules after its schema:

- no control characters in text (NUL first: PostgreSQL cannot store it, and a NUL or an
  escape code in a name or a note is never meant); tab, line feed and carriage return
  are allowed, as free text has lines;
- times and dates within years 1900-2999: a time at the edge of what Python can hold
  (`9999-12-31T23:59:59-23:59`) overflows once converted to UTC or moved by a day.

And before its schema, on the values as sent (`sent_problems`), by the field's type, what
marshmallow would quietly take:

- a whole number (Integer) given as `1.5` (marshmallow keeps 1) or as text with other
  digits than 0-9 (`"１０"`, `"٣"`: Python reads them as 10 and 3);
- a number (Decimal, Float) given as text with other digits than 0-9;
- required text (or text that must not be empty) given as spaces only.

    problems({"name": "a\\x00b", "as_of": datetime(9999, ...)})
      -> {"name": ["Contains a control character ... / 含有控制字符 ..."],
          "as_of": ["Out of range ... / 超出范围 ..."]}
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

EARLIEST, LATEST = 1900, 2999
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = ("Contains a control character (such as NUL); only text, tabs and line "
                   "breaks are allowed / 含有控制字符（如 NUL）；只允许文字、制表符和换行")
RANGE_MESSAGE = (f"Out of range: give a time between the years {EARLIEST} and {LATEST} / "
                 f"超出范围：时间应在 {EARLIEST} 年至 {LATEST} 年之间")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def in_range(value: date) -> bool:
    """A date, or a time (judged in UTC), inside the years the API accepts."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            return False
    return EARLIEST <= value.year <= LATEST


def problems(data: Any, path: str = "") -> dict[str, list[str]]:
    """{field path: [message]} for each value breaking a rule; {} if none does."""
    found: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            found.update(problems(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            found.update(problems(value, f"{path}.{i}" if path else str(i)))
    elif isinstance(data, str) and has_control(data):
        found[path or "_schema"] = [CONTROL_MESSAGE]
    elif isinstance(data, date) and not in_range(data):
        found[path or "_schema"] = [RANGE_MESSAGE]
    return found


WHOLE_MESSAGE = "Not a whole number / 不是整数"
DIGITS_MESSAGE = "Use the digits 0-9 / 请使用半角数字 0-9"
BLANK_MESSAGE = "Must not be blank / 不能为空白"
ASCII_NUMBER = re.compile(r"[+-]?[0-9]*\.?[0-9]*([eE][+-]?[0-9]+)?", re.ASCII)


def sent_problems(schema: ma.Schema, data: Any, path: str = "") -> dict[str, list[str]]:
    """{field path: [message]} for each value sent that the schema's field would take
    other than as written (see the module's docstring); {} if none."""
    found: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        return found
    for name, field in schema.fields.items():
        key = field.data_key or name
        if field.dump_only or key not in data:
            continue
        found.update(_field_problems(field, data[key], f"{path}.{key}" if path else key))
    return found


def _field_problems(field: fields.Field, value: Any, path: str) -> dict[str, list[str]]:
    if isinstance(field, fields.Nested) and isinstance(field.schema, ma.Schema):
        items = value if field.many and isinstance(value, list) else [value]
        found: dict[str, list[str]] = {}
        for i, item in enumerate(items):
            found.update(sent_problems(field.schema, item, f"{path}.{i}" if field.many else path))
        return found
    if isinstance(field, fields.List) and isinstance(value, list):
        found = {}
        for i, item in enumerate(value):
            found.update(_field_problems(field.inner, item, f"{path}.{i}"))
        return found
    problem = _value_problem(field, value)
    return {path: [problem]} if problem else {}


def _value_problem(field: fields.Field, value: Any) -> str | None:
    if isinstance(field, fields.Integer) and isinstance(value, float) and not value.is_integer():
        return WHOLE_MESSAGE
    if isinstance(field, fields.Number) and isinstance(value, str) \
            and not ASCII_NUMBER.fullmatch(value.strip()):
        return DIGITS_MESSAGE
    if isinstance(field, fields.String) and isinstance(value, str) and value \
            and not value.strip() and _must_have_text(field):
        return BLANK_MESSAGE
    return None


def _must_have_text(field: fields.String) -> bool:
    """Required, or a length of at least one: an answer of spaces is no answer."""
    validators = field.validators or []
    return field.required or any(isinstance(v, validate.Length) and (v.min or 0) >= 1
                                 for v in validators)
