"""Visiting campaigns: declared for a period, covering the station's Red and Blue
residents; coverage is each target's first visit in the period."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from services.casework import campaign as K
from services.casework import commands as c
from services.casework import policy
from shared.kit.errors import Invalid as InvalidCommand

NOW = datetime(2026, 1, 20, 2, 0, tzinfo=timezone.utc)
KINDS = policy.load().campaign_kinds


def declare(**changes) -> list:
    values = dict(campaign_id="camp-1", station_id="st-1", name="春节走访",
                  kind="spring_festival", starts_on=date(2026, 2, 10),
                  ends_on=date(2026, 2, 24), cards=("red", "blue"), actor="head")
    return K.declare(K.Campaign(), c.DeclareCampaign(**{**values, **changes}), KINDS, NOW)


def test_a_station_declares_a_spring_festival_campaign_for_red_and_blue():
    (event,) = declare()
    assert event.type == "CampaignDeclared" and event.payload["cards"] == ["red", "blue"]
    state = K.fold([event])
    assert state.starts_on == date(2026, 2, 10) and state.station_id == "st-1"


def test_a_campaign_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidCommand):
        declare(ends_on=date(2026, 2, 1))


def test_an_unknown_kind_is_refused():
    with pytest.raises(InvalidCommand):
        declare(kind="picnic")


def test_the_period_runs_over_whole_days_of_the_stations_calendar():
    start, end = K.period(K.fold(declare()), policy.load())
    assert start == "2026-02-09T16:00:00.000000+00:00"  # 10 Feb 00:00 in UTC+8
    assert end == "2026-02-24T16:00:00.000000+00:00"    # 25 Feb 00:00 in UTC+8


def test_coverage_shows_each_target_with_its_first_visit_in_the_period():
    targets = [("res-1", "red"), ("res-2", "blue"), ("res-3", "red")]
    visits = [("res-1", "v2", "2026-02-12T00:00:00.000000+00:00"),
              ("res-1", "v1", "2026-02-11T00:00:00.000000+00:00"),
              ("res-3", "v3", "2026-02-13T00:00:00.000000+00:00")]
    rows = K.coverage(targets, visits)
    assert [(r.resident_id, r.visit_id, r.visited) for r in rows] == [
        ("res-1", "v1", True), ("res-2", None, False), ("res-3", "v3", True)]
