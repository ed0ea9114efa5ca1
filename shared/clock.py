"""China time: the one place the stations' time zone is defined.

Stations work on China Standard Time (UTC+8, no daylight saving): a visit at
2026-11-29T23:30:00+00:00 happened on 2026-11-30 for the station, a follow-up is due on
a China date, an age is counted on a China date. Moments are stored in UTC
(`shared.events.iso`); dates are read here. Code that decides takes `now` as an argument
(the injectable clock: tests pass their own); only adapters call `utcnow()` or `today()`.
Never `date.today()`: that is the host's zone, a day behind China from 16:00 UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    """The service's clock: an aware UTC moment."""
    return datetime.now(timezone.utc)


def china_date(moment: datetime) -> date:
    """The China calendar date of an aware moment."""
    return moment.astimezone(CHINA).date()


def today(now: datetime | None = None) -> date:
    """Today in China (of `now` when given, else of the service's clock)."""
    return china_date(now or utcnow())
