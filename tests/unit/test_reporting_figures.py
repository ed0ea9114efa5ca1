"""Reporting's figures are folds over other services' events, equal to hand counts."""
from __future__ import annotations

from datetime import date

from services.reporting import facts, periods
from services.reporting.figures import Scope, figures, summary
from services.reporting.tree import tree_of

from tests.unit.reporting_world import Log, world

W47 = periods.parse("2026-W47")
A, B = Scope(frozenset({"A"})), Scope(frozenset({"B"}))


def _facts(log: Log):
    return facts.fold(log.by_source).facts


def test_station_a_week_47_equals_the_hand_count():
    got = figures(_facts(world()), A, W47)
    assert got["residents"] == {
        "total": 3,  # r1, r2, r5 (r3 died on 11-20)
        "by_category": {"advanced_age": 1, "left_behind_child": 1, "living_alone": 1,
                        "low_income": 1},
        "by_card": {"red": 2, "blue": 0, "green": 1, "none": 0},
        "card_changes": {"assigned": 1, "upgraded": 1, "downgraded": 0},
        "new_red": 1}
    assert got["cases"] == {"opened": 1, "closed": 0, "open": 2}
    assert got["visits"] == {"total": 2, "by_method": {"consolation": 1, "phone": 1},
                             "consolations": 1}
    assert got["followups"] == {"due": 1, "overdue": 1, "done_on_time": 0, "done_late": 0}
    assert got["referrals"] == {"made_in_period": 0,
                                "by_status": {"made": 0, "accepted": 1, "declined": 0,
                                              "completed": 0}}
    assert got["activities"] == {"held": 1, "person_times": 12, "by_area": {"elderly": 1}}
    assert got["organizations"] == {"organizations": 1, "by_state": {"incubating": 1},
                                    "members": 2, "party_members": 1}
    assert got["volunteers"] == {"volunteers": 1, "confirmed_hours": "2.50"}
    assert got["resources"] == {"donations_rmb": "0.30", "allocations_rmb": "0.10",
                                "wishes": {"posted": 1, "claimed": 0, "delivered": 1,
                                           "closed": 0, "expired": 0}}
    assert got["needs"] == {"open": 0, "met": 1, "met_in_period": 1}


def test_summary_as_of_a_date_keeps_the_api_keys_and_counts_from_the_start():
    log = world()
    as_of = periods.up_to(date(2026, 11, 22))
    assert summary(figures(_facts(log), A, as_of)) == {
        "cases_open": 2, "cases_closed": 0, "visits": 3, "activities": 2, "person_times": 32,
        "organizations": 1, "members": 2, "party_members": 1, "resources_rmb": "1250.80",
        "cards": {"red": 2, "blue": 0, "green": 1}, "followups_overdue": 1}
    assert summary(figures(_facts(log), B, as_of)) == {
        "cases_open": 0, "cases_closed": 1, "visits": 1, "activities": 1, "person_times": 6,
        "organizations": 1, "members": 1, "party_members": 1, "resources_rmb": "100.00",
        "cards": {"red": 1, "blue": 0, "green": 0}, "followups_overdue": 0}


def test_an_earlier_date_sees_the_state_of_that_date():
    before = summary(figures(_facts(world()), A, periods.up_to(date(2026, 11, 16))))
    # r2 still blue; c3, v2, v4, act1 and d1, d2 not yet; m3 still a member; f2 not due yet
    assert before == {
        "cases_open": 1, "cases_closed": 0, "visits": 1, "activities": 1, "person_times": 20,
        "organizations": 1, "members": 3, "party_members": 2, "resources_rmb": "1250.50",
        "cards": {"red": 1, "blue": 1, "green": 1}, "followups_overdue": 0}


def test_station_b_events_never_change_station_a_figures():
    full = world()
    only_a = Log()
    for source, events in full.by_source.items():
        only_a.by_source[source] = [e for e in events if e.payload.get("station_id") != "B"
                                    and e.payload.get("activity_id") != "act2"
                                    and e.payload.get("organization_id") != "o2"
                                    and e.payload.get("case_id") != "c2"]
    assert figures(_facts(full), A, W47) == figures(_facts(only_a), A, W47)


def test_street_and_district_roll_ups_add_their_stations():
    fs = _facts(world())
    tree = tree_of(fs)
    assert tree.stations_under("street", "T1") == {"A", "B"}
    assert tree.stations_under("district", "D1") == {"A", "B"}
    street = summary(figures(fs, Scope(tree.stations_under("street", "T1")),
                             periods.up_to(date(2026, 11, 22))))
    assert street["visits"] == 4 and street["person_times"] == 38
    assert street["resources_rmb"] == "1350.80"
    assert street["cards"] == {"red": 3, "blue": 0, "green": 1}


def test_one_community_counts_its_residents_and_their_visits():
    got = figures(_facts(world()), Scope(frozenset({"A"}), community="A2"), W47)
    assert got["residents"]["total"] == 2          # r2, r5
    assert got["visits"]["total"] == 1             # v2 (r2 lives in A2)
    assert got["activities"]["held"] == 0          # act1 was in A1, act4 cancelled


def test_money_is_exact_to_the_fen():
    assert facts.money("0.1") + facts.money("0.2") == facts.money("0.30")
    assert str(facts.money("1250.5")) == "1250.50"


def test_a_type_from_the_wrong_source_or_unknown_contributes_nothing():
    log = Log()
    wrong = log.add("activities", "VisitRecorded", "2026-11-18", visit_id="x", station_id="A",
                    resident_id="r1", method="home", visited_at="2026-11-18T10:00:00+08:00")
    odd = log.add("casework", "SomethingNew", "2026-11-18", station_id="A")
    index = facts.FactIndex()
    assert index.add("activities", wrong) == [] and index.add("casework", odd) == []


def test_a_redelivered_event_adds_its_facts_once():
    log = world()
    index = facts.fold(log.by_source)
    again = log.by_source["casework"][1]
    assert index.add("casework", again) == []


def test_a_group_recorded_after_its_past_sessions_counts_them_under_its_area():
    """Found by the demo (issue 15): a group created today whose sessions were held in
    August; August's report read the group's area as of August (none yet) and its
    `by_area` got a None key, which the hash chain cannot write (500 on submit)."""
    log, X = Log(), "activities"
    at = "2026-08-12T09:00:00+08:00"
    log.add(X, "GroupCreated", "2026-11-30", activity_id="g1", station_id="A",
            community_id="A1", area="children", title="乐童公社", planned_by="w")
    log.add(X, "ActivityHeld", "2026-08-12", activity_id="g1", session_id="s1",
            station_id="A", session_at=at)
    log.add(X, "AttendanceRecorded", "2026-08-12", activity_id="g1", session_id="s1",
            station_id="A", community_id="A1", area="children", session_at=at,
            resident_ids=[], headcount=9, recorded_by="w")
    got = figures(_facts(log), A, periods.parse("2026-08"))
    assert got["activities"] == {"held": 1, "person_times": 9, "by_area": {"children": 1}}
