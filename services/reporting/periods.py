"""Reporting periods: a week, month, quarter, year or custom range of local dates.

Stations work on China Standard Time, so a moment belongs to the local (UTC+8) date
it happened on: a visit at 2026-11-29T23:30:00+00:00 is on 2026-11-30 for the station.
Periods are named by keys that sort as text within a kind: `2026-W48` (ISO week),
`2026-11`, `2026-Q4`, `2026`, or `2026-11-01..2026-11-15` (custom).
"""
from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta

from shared.clock import CHINA as LOCAL  # the one definition of China time

KINDS = ("week", "month", "quarter", "year", "custom")


class BadPeriod(ValueError):
    """The text names no period."""


@dataclasses.dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date          # inclusive
    kind: str = "custom"

    @property
    def key(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> "Period":
        return containing(self.kind, self.start - timedelta(days=1))

    def following(self) -> "Period":
        return containing(self.kind, self.end + timedelta(days=1))

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "from": self.start.isoformat(),
                "to": self.end.isoformat()}


def local_date(moment: str | datetime | date) -> date:
    """The station's date of a moment (ISO text with an offset), or the date itself."""
    if isinstance(moment, datetime):
        return moment.astimezone(LOCAL).date() if moment.tzinfo else moment.date()
    if isinstance(moment, date):
        return moment
    if len(moment) == 10:
        return date.fromisoformat(moment)
    return local_date(datetime.fromisoformat(moment))


def containing(kind: str, day: date) -> Period:
    """The week, month, quarter or year `day` falls in."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6), "week")
    if kind == "month":
        return Period(day.replace(day=1), _month_end(day.year, day.month), "month")
    if kind == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(date(day.year, first, 1), _month_end(day.year, first + 2), "quarter")
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), "year")
    raise BadPeriod(f"unknown period kind {kind!r}")


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


_PATTERNS = (
    (re.compile(r"^(\d{4})-W(\d{2})$"), lambda y, w: _week(int(y), int(w))),
    (re.compile(r"^(\d{4})-Q([1-4])$"),
     lambda y, q: containing("quarter", date(int(y), 3 * int(q) - 2, 1))),
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda y, m: containing("month", date(int(y), int(m), 1))),
    (re.compile(r"^(\d{4})$"), lambda y: containing("year", date(int(y), 1, 1))),
    (re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"),
     lambda a, b: _custom(date.fromisoformat(a), date.fromisoformat(b))),
)


def _week(year: int, week: int) -> Period:
    return containing("week", date.fromisocalendar(year, week, 1))


def _custom(start: date, end: date) -> Period:
    if end < start:
        raise BadPeriod("a period ends on or after its start")
    return Period(start, end, "custom")


def parse(key: str) -> Period:
    """`2026-W48`, `2026-11`, `2026-Q4`, `2026` or `2026-11-01..2026-11-15`."""
    for pattern, build in _PATTERNS:
        match = pattern.match(key or "")
        if match:
            try:
                return build(*match.groups())
            except ValueError as exc:
                raise BadPeriod(str(exc)) from None
    raise BadPeriod(f"not a period: {key!r}")


def up_to(as_of: date) -> Period:
    """Everything that happened on or before `as_of` (the summary's default)."""
    return Period(date(1900, 1, 1), as_of, "custom")
