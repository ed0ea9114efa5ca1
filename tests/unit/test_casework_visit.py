"""Recording visits: what a VisitRecorded carries, major changes flagged for the
residents service, and the visits that are refused."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from services.casework import campaign as K
from services.casework import case as C
from services.casework import commands as c
from services.casework import visit as V
from shared.kit.errors import IllegalTransition, Invalid as InvalidCommand, Missing as Unknown

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)


def record(**changes) -> c.RecordVisit:
    values = dict(visit_id="visit-1", resident_id="res-1", station_id=None, case_id=None,
                  method="home", visited_at=NOW - timedelta(hours=2), worker="wang",
                  findings="Stove unsafe", notes=None, campaign_id=None, major_changes=(),
                  actor="wang")
    return c.RecordVisit(**{**values, **changes})


def a_case(resident_id="res-1", closed=False) -> C.Case:
    command = c.OpenCase("case-1", resident_id, "st-1", "elderly", "Alone", "wang", "wang")
    state = C.fold(C.decide(C.Case(), command, NOW))
    return C.Case(**{**state.__dict__, "state": C.CLOSED}) if closed else state


def test_a_home_visit_is_recorded_with_worker_method_and_findings():
    (event,) = V.record(record(), None, None, "st-1", NOW)
    assert event.type == "VisitRecorded" and event.station_id == "st-1"
    p = event.payload
    assert (p["method"], p["worker"], p["findings"]) == ("home", "wang", "Stove unsafe")
    assert p["visited_at"] == "2026-11-28T00:00:00.000000+00:00" and p["case_id"] is None


def test_a_consolation_visit_needs_no_case():
    (event,) = V.record(record(method="consolation"), None, None, "st-1", NOW)
    assert event.payload["method"] == "consolation"


def test_each_major_change_is_flagged_once_for_the_residents_service():
    events = V.record(record(major_changes=("hospitalised", "bereaved", "hospitalised")),
                      None, None, "st-1", NOW)
    assert [e.type for e in events] == ["VisitRecorded", "MajorChangeFlagged",
                                        "MajorChangeFlagged"]
    assert [e.payload["change"] for e in events[1:]] == ["hospitalised", "bereaved"]
    assert events[1].payload == {"resident_id": "res-1", "station_id": "st-1",
                                 "change": "hospitalised", "visit_id": "visit-1",
                                 "flagged_at": "2026-11-28T02:00:00.000000+00:00"}


def test_a_visit_ahead_of_time_is_refused():
    with pytest.raises(InvalidCommand) as refused:
        V.record(record(visited_at=NOW + timedelta(hours=1)), None, None, "st-1", NOW)
    assert "visited_at" in refused.value.fields


def test_a_visit_takes_the_station_of_its_case():
    (event,) = V.record(record(case_id="case-1"), a_case(), None, None, NOW)
    assert event.payload["station_id"] == "st-1" and event.payload["case_id"] == "case-1"


def test_a_resident_unknown_to_casework_needs_a_station():
    with pytest.raises(Unknown):
        V.record(record(), None, None, None, NOW)


def test_a_visit_on_another_residents_case_is_refused():
    with pytest.raises(InvalidCommand):
        V.record(record(case_id="case-1"), a_case("res-2"), None, "st-1", NOW)


def test_a_visit_on_a_closed_case_is_refused():
    with pytest.raises(IllegalTransition):
        V.record(record(case_id="case-1"), a_case(closed=True), None, "st-1", NOW)


def test_a_visit_on_an_unknown_case_is_not_found():
    with pytest.raises(Unknown):
        V.record(record(case_id="case-9"), C.Case(case_id="case-9"), None, "st-1", NOW)


def test_a_campaign_visit_must_be_in_the_campaigns_station():
    campaign = K.Campaign("camp-1", "st-2", "Spring Festival", "spring_festival",
                          date(2026, 2, 1), date(2026, 2, 20), ("red", "blue"))
    with pytest.raises(InvalidCommand):
        V.record(record(campaign_id="camp-1"), None, campaign, "st-1", NOW)
    with pytest.raises(Unknown):
        V.record(record(campaign_id="camp-9"), None, K.Campaign(), "st-1", NOW)
