"""Activities and groups: planning, holding, attendance (person-times), feedback, review,
and the attendance that is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.activities import activity as A
from services.activities import commands as c
from services.activities import privacy, rules
from shared.security.erasure import new_key
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing
from services.activities.events import registry

KEY = new_key()  # payloads are validated as stored: personal fields sealed

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
KNOWN = rules.Known(residents={"r1": "st-1", "r2": "st-1", "r3": "st-1", "x1": "st-2"},
                    projects={"p-market": "st-1", "p-other": "st-2"})


def plan(**changes) -> c.PlanActivity:
    values = dict(activity_id="a-1", kind="activity", station_id="st-1", community_id="c-1",
                  area="elderly", title="重阳节茶话会", session_at=NOW - timedelta(hours=3),
                  project_id="p-market", venue="活动室", partners=("社区卫生服务中心",),
                  forces=("community", "volunteers"), actor="wang")
    return c.PlanActivity(**{**values, **changes})


def attend(ids=(), headcount=0, session_id=None) -> c.RecordAttendance:
    return c.RecordAttendance("a-1", session_id, tuple(ids), headcount, "wang")


def run(history, command, now=NOW):
    """Decide on the folded history; every produced payload must pass its schema."""
    state = A.fold(history)
    events = A.decide(state, command, now, KNOWN)
    for event in events:
        registry.validate(event.type, privacy.sealed_payload(event.type, event.payload, KEY))
    return events


def planned(**changes):
    return run([], plan(**changes))


def test_an_activity_is_planned_with_area_project_community_and_forces():
    (event,) = planned()
    assert event.type == "ActivityPlanned" and event.station_id == "st-1"
    p = event.payload
    assert (p["area"], p["project_id"], p["community_id"]) == ("elderly", "p-market", "c-1")
    assert p["forces"] == ["community", "volunteers"]
    assert p["session_at"] == "2026-11-27T23:00:00.000000+00:00"
    assert A.fold([event]).state == A.PLANNED


def test_an_area_the_station_has_not_added_is_refused():
    with pytest.raises(Invalid) as refused:
        planned(area="sports")
    assert "area" in refused.value.fields


def test_an_area_the_station_added_is_accepted():
    known = rules.Known(areas=rules.Known().areas | {"sports"}, projects=KNOWN.projects)
    (event,) = A.decide(A.Activity(), plan(area="sports"), NOW, known)
    assert event.payload["area"] == "sports"


def test_another_stations_project_is_refused():
    with pytest.raises(Invalid) as refused:
        planned(project_id="p-other")
    assert "project_id" in refused.value.fields


def test_attendance_counts_distinct_residents_plus_headcount():
    history = planned()
    events = run(history, attend(["r1", "r2", "r1"], headcount=12))
    assert [e.type for e in events] == ["ActivityHeld", "AttendanceRecorded"]
    assert events[1].payload["resident_ids"] == ["r1", "r2"]
    state = A.fold(history + events)
    assert state.state == A.HELD and state.person_times == 14


def test_a_resident_recorded_twice_for_a_session_counts_once():
    history = planned()
    history += run(history, attend(["r1", "r2"], headcount=3))
    again = run(history, attend(["r2", "r3"]))
    assert [e.type for e in again] == ["AttendanceRecorded"]
    assert again[0].payload["resident_ids"] == ["r3"]
    assert A.fold(history + again).person_times == 2 + 3 + 1


def test_recording_only_residents_already_there_writes_nothing():
    history = planned()
    history += run(history, attend(["r1"]))
    assert run(history, attend(["r1"])) == []


def test_attendance_for_a_session_in_the_future_is_refused():
    history = planned(session_at=NOW + timedelta(days=1))
    with pytest.raises(Invalid) as refused:
        run(history, attend(["r1"], headcount=2))
    assert "session_at" in refused.value.fields
    assert "future" in refused.value.message and "尚未到来" in refused.value.message_zh


def test_a_session_a_few_minutes_ahead_by_the_clock_is_accepted():
    history = planned(session_at=NOW + timedelta(minutes=5))
    assert [e.type for e in run(history, attend(headcount=1))][-1] == "AttendanceRecorded"


def test_a_negative_headcount_is_refused():
    with pytest.raises(Invalid) as refused:
        run(planned(), attend(["r1"], headcount=-1))
    assert refused.value.fields == {"headcount": ["Must be 0 or more / 必须大于或等于 0"]}
    assert "负数" in refused.value.message_zh


def test_an_unknown_resident_or_another_stations_is_refused_alike():
    for stranger in ("nobody", "x1"):
        with pytest.raises(Invalid) as refused:
            run(planned(), attend(["r1", stranger], headcount=1))
        assert stranger in refused.value.message and "本站" in refused.value.message_zh
        assert list(refused.value.fields) == ["resident_ids"]


def test_empty_attendance_is_refused():
    with pytest.raises(Invalid):
        run(planned(), attend())


def test_a_cancelled_activity_takes_no_attendance():
    history = planned()
    history += run(history, c.CancelActivity("a-1", "暴雨", "wang"))
    with pytest.raises(IllegalTransition) as refused:
        run(history, attend(["r1"]))
    assert "已取消" in refused.value.message_zh


def test_a_held_activity_cannot_be_cancelled():
    history = planned()
    history += run(history, c.HoldSession("a-1", None, "wang"))
    with pytest.raises(IllegalTransition):
        run(history, c.CancelActivity("a-1", "late", "wang"))


def test_holding_a_session_before_its_time_is_refused():
    with pytest.raises(Invalid):
        run(planned(session_at=NOW + timedelta(hours=2)), c.HoldSession("a-1", None, "wang"))


def test_attendance_for_an_unknown_activity_is_not_found():
    with pytest.raises(Missing):
        run([], attend(["r1"]))


def test_a_group_has_sessions_each_with_its_own_attendance():
    history = planned(kind="group", session_at=NOW - timedelta(days=7))
    assert [e.type for e in history] == ["GroupCreated", "GroupSessionPlanned"]
    history += run(history, c.PlanSession("a-1", "s-2", NOW - timedelta(hours=1), None,
                                          "第二节", "wang"))
    history += run(history, attend(["r1", "r2"], session_id="a-1"))
    history += run(history, attend(["r1"], headcount=4, session_id="s-2"))
    state = A.fold(history)
    assert [s.person_times for s in state.sessions] == [2, 5]
    assert state.person_times == 7


def test_a_single_activity_has_no_second_session():
    with pytest.raises(Invalid):
        run(planned(), c.PlanSession("a-1", "s-2", NOW, None, None, "wang"))


def test_a_session_id_is_planned_once():
    history = planned(kind="group", session_at=None)
    history += run(history, c.PlanSession("a-1", "s-1", NOW, None, None, "wang"))
    with pytest.raises(Duplicate):
        run(history, c.PlanSession("a-1", "s-1", NOW, None, None, "wang"))


def test_attendance_for_an_unplanned_session_is_not_found():
    with pytest.raises(Missing):
        run(planned(kind="group"), attend(["r1"], session_id="s-9"))


def test_feedback_and_review_follow_holding():
    history = planned()
    with pytest.raises(IllegalTransition):
        run(history, c.ReviewActivity("a-1", "热闹", "提前通知", "wang"))
    history += run(history, attend(["r1"]))
    history += run(history, c.GiveFeedback("a-1", "f-1", 5, "很好", "r1", "wang"))
    history += run(history, c.ReviewActivity("a-1", "热闹", "提前通知", "wang"))
    state = A.fold(history)
    assert state.state == A.REVIEWED and state.feedback == (5,)


def test_satisfaction_outside_one_to_five_is_refused():
    history = planned()
    history += run(history, attend(["r1"]))
    with pytest.raises(Invalid):
        run(history, c.GiveFeedback("a-1", "f-1", 6, None, None, "wang"))
