"""Periods are local (UTC+8) dates, named by keys that parse back to themselves."""
from datetime import date

import pytest

from services.reporting import periods


@pytest.mark.parametrize("key,start,end", [
    ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
])
def test_keys_name_their_days_and_parse_back(key, start, end):
    period = periods.parse(key)
    assert (period.start, period.end, period.key) == (start, end, key)


def test_a_moment_falls_on_the_stations_local_date():
    assert periods.local_date("2026-11-29T23:30:00+00:00") == date(2026, 11, 30)
    assert periods.local_date("2026-11-29T23:30:00+08:00") == date(2026, 11, 29)


def test_neighbouring_periods():
    assert periods.parse("2026-W52").following().key == "2026-W53"
    assert periods.parse("2027-01").previous().key == "2026-12"


@pytest.mark.parametrize("bad", ["2026-W60", "2026-13", "2026-Q5", "x", "2026-11-15..2026-11-01"])
def test_what_names_no_period_is_refused(bad):
    with pytest.raises(periods.BadPeriod):
        periods.parse(bad)
