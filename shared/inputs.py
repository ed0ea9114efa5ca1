"""What every value a request brings must satisfy, whatever its schema says.

shared.web.load checks each loaded request against these rules after its schema:

- no control characters in text (NUL first: PostgreSQL cannot store it, and a NUL or an
  escape code in a name or a note is never meant); tab, line feed and carriage return
  are allowed, as free text has lines;
- times and dates within years 1900-2999: a time at the edge of what Python can hold
  (`9999-12-31T23:59:59-23:59`) overflows once converted to UTC or moved by a day.

    problems({"name": "a\\x00b", "as_of": datetime(9999, ...)})
      -> {"name": ["Contains a control character ... / 含有控制字符 ..."],
          "as_of": ["Out of range ... / 超出范围 ..."]}
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

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
