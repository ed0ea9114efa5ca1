"""China time is defined once (shared/clock.py) and read there by every service."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

from shared import clock

ROOT = Path(__file__).resolve().parents[2]


def test_a_moment_after_16_utc_is_already_tomorrow_in_china():
    late = datetime(2026, 12, 2, 16, 30, tzinfo=timezone.utc)
    assert clock.today(late) == date(2026, 12, 3)
    assert clock.china_date(datetime(2026, 12, 2, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 2)


def test_the_service_clock_is_aware_utc():
    now = clock.utcnow()
    assert now.tzinfo is not None and now.utcoffset().total_seconds() == 0


def test_china_time_is_defined_in_one_place_and_the_host_zone_is_never_read():
    offsets, host_dates = [], []
    for folder in ("services", "shared", "station"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"timedelta\(hours=8\)", text):
                offsets.append(path.relative_to(ROOT).as_posix())
            if re.search(r"\bdate\.today\(\)", text) and path.name != "clock.py":
                host_dates.append(path.relative_to(ROOT).as_posix())
    assert offsets == ["shared/clock.py"]
    assert host_dates == []
