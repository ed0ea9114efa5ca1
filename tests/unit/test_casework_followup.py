"""Follow-ups driven by cards: the rhythm, the window a visit falls in, and the overdue
flag that can be raised only once per follow-up."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.casework import commands as c
from services.casework import followup as F
from services.casework import policy
from shared.kit.errors import IllegalTransition, Invalid as InvalidCommand

CARD_GIVEN = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
POLICY = policy.load()
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def scheduled(card="red", start=CARD_GIVEN, worker=None) -> F.FollowUp:
    window_start, due_at = F.first_window(start, POLICY.rule("st-1", card))
    command = c.ScheduleFollowUp("fu-1", "res-1", "st-1", card, "first_contact",
                                 window_start, due_at, worker)
    return F.fold(F.decide(F.FollowUp(), command, start))


def visit_at(moment: datetime) -> c.SatisfyFollowUp:
    return c.SatisfyFollowUp("fu-1", "visit-1", moment, "wang")


def types(events) -> list[str]:
    return [e.type for e in events]


@pytest.mark.parametrize("card,within", [("red", 24 * HOUR), ("blue", 30 * DAY),
                                         ("green", 90 * DAY)])
def test_a_card_schedules_its_first_contact(card, within):
    state = scheduled(card)
    assert state.window_start == CARD_GIVEN and state.due_at == CARD_GIVEN + within
    assert state.status == F.PENDING and state.card == card


@pytest.mark.parametrize("card,every", [("red", 7 * DAY), ("blue", 30 * DAY),
                                        ("green", 90 * DAY)])
def test_after_a_visit_the_next_contact_follows_the_cards_rhythm(card, every):
    visited = CARD_GIVEN + 3 * HOUR
    assert F.next_window(visited, POLICY.rule("st-1", card)) == (visited, visited + every)


def test_a_station_may_set_its_own_rhythm():
    local = policy.from_data(
        {"followups": {"default": {"red": {"first_contact_hours": 24, "every_days": 7}},
                       "stations": {"st-2": {"red": {"first_contact_hours": 12,
                                                     "every_days": 3}}}},
         "case_domains": ["elderly"], "campaign_kinds": {}}, [])
    assert local.rule("st-2", "red").first_contact == 12 * HOUR
    assert local.rule("st-1", "red").first_contact == 24 * HOUR


def test_a_visit_in_the_window_satisfies_the_follow_up():
    events = F.decide(scheduled(), visit_at(CARD_GIVEN + 5 * HOUR), CARD_GIVEN + 6 * HOUR)
    assert types(events) == ["FollowUpDone"]
    assert events[0].payload["late"] is False and events[0].payload["visit_id"] == "visit-1"


def test_a_late_visit_first_records_the_miss_then_the_contact():
    events = F.decide(scheduled(), visit_at(CARD_GIVEN + 30 * HOUR), CARD_GIVEN + 31 * HOUR)
    assert types(events) == ["FollowUpOverdue", "FollowUpDone"]
    assert events[1].payload["late"] is True


def test_a_visit_after_the_overdue_flag_does_not_flag_again():
    state = scheduled()
    state = F.fold(F.decide(state, c.FlagIfOverdue("fu-1"), CARD_GIVEN + 25 * HOUR), state)
    events = F.decide(state, visit_at(CARD_GIVEN + 26 * HOUR), CARD_GIVEN + 26 * HOUR)
    assert types(events) == ["FollowUpDone"]


def test_a_visit_before_the_window_does_not_satisfy_it():
    with pytest.raises(InvalidCommand):
        F.decide(scheduled(), visit_at(CARD_GIVEN - HOUR), CARD_GIVEN)


def test_a_follow_up_is_satisfied_only_once():
    state = scheduled()
    state = F.fold(F.decide(state, visit_at(CARD_GIVEN + HOUR), CARD_GIVEN + HOUR), state)
    with pytest.raises(IllegalTransition):
        F.decide(state, visit_at(CARD_GIVEN + 2 * HOUR), CARD_GIVEN + 2 * HOUR)


def test_nothing_is_overdue_before_the_due_time():
    state = scheduled()
    assert not F.is_overdue(state, CARD_GIVEN + 23 * HOUR)
    assert F.decide(state, c.FlagIfOverdue("fu-1"), CARD_GIVEN + 24 * HOUR) == []


def test_a_missed_follow_up_is_flagged_once_however_often_it_is_checked():
    state, flagged = scheduled(), []
    for hours in (25, 26, 48, 24 * 30):
        events = F.decide(state, c.FlagIfOverdue("fu-1"), CARD_GIVEN + hours * HOUR)
        flagged += events
        state = F.fold(events, state)
    assert types(flagged) == ["FollowUpOverdue"]
    assert flagged[0].payload == {"followup_id": "fu-1", "resident_id": "res-1",
                                  "station_id": "st-1", "card": "red",
                                  "due_at": "2026-11-29T02:00:00.000000+00:00"}


def test_a_done_or_cancelled_follow_up_is_never_overdue():
    done = scheduled()
    done = F.fold(F.decide(done, visit_at(CARD_GIVEN + HOUR), CARD_GIVEN + HOUR), done)
    cancelled = scheduled()
    cancelled = F.fold(F.decide(cancelled, c.CancelFollowUp("fu-1", "card_changed"),
                                CARD_GIVEN), cancelled)
    for state in (done, cancelled):
        assert F.decide(state, c.FlagIfOverdue("fu-1"), CARD_GIVEN + 99 * DAY) == []


def test_cancelling_a_closed_follow_up_changes_nothing():
    state = scheduled()
    state = F.fold(F.decide(state, visit_at(CARD_GIVEN + HOUR), CARD_GIVEN + HOUR), state)
    assert F.decide(state, c.CancelFollowUp("fu-1", "card_changed"), CARD_GIVEN) == []


def test_scheduling_twice_is_refused():
    with pytest.raises(F.FollowUpExists):
        F.decide(scheduled(), c.ScheduleFollowUp("fu-1", "res-1", "st-1", "red", "regular",
                                                 CARD_GIVEN, CARD_GIVEN + DAY, None), CARD_GIVEN)


def test_an_open_follow_up_can_be_handed_to_a_worker():
    state = scheduled()
    (event,) = F.decide(state, c.AssignFollowUp("fu-1", "chen", "li"), CARD_GIVEN)
    assert event.type == "FollowUpAssigned" and F.fold([event], state).worker == "chen"
    assert F.decide(F.fold([event], state), c.AssignFollowUp("fu-1", "chen", "li"),
                    CARD_GIVEN) == []
