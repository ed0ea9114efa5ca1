"""Risk grading and the three cards, given-when-then on events (pure: no I/O).

The card in force moves towards the card the last assessments imply (the highest domain
card) in exactly one event: CardAssigned, CardUpgraded or CardDowngraded, except that a
downgrade from Red waits for a supervisor other than its author.
"""
import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from services.residents import cards, configuration
from services.residents import commands as c
from services.residents.cards import Schedule
from shared.kit.errors import Conflicting, Invalid, NotAllowed
from services.residents.idnumber import check_char
from services.residents.resident import Policy, Resident, decide, fold

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 10:00 in Guiyang
S = configuration.settings()
POLICY = Policy(rubrics=S.rubrics, schedule=S.schedule, supervisor_roles=S.supervisor_roles,
                categories=S.categories.codes, derived_categories=S.categories.derived_min_age(),
                need_categories=S.need_categories.codes, urgencies=S.urgencies.codes)
CARD_EVENTS = ("CardAssigned", "CardUpgraded", "CardDowngraded")

_BLUE = {"elderly": {"lives_alone": "alone", "health": "chronic"},
         "child": {"guardian_care": "relatives", "schooling": "irregular", "income": "tight"},
         "assistance": {"income": "low_income", "employment": "unemployed"}}


def answers_for(domain: str, card: str) -> dict:
    rubric = S.rubrics[domain]
    best = {q.id: min(q.options, key=lambda o: o.points).value for q in rubric.questions}
    if card == "green":
        return best
    if card == "blue":
        return {**best, **_BLUE[domain]}
    return {q.id: max(q.options, key=lambda o: o.points).value for q in rubric.questions}


def registered(resident_id="r1", station_id="xihulu-station") -> Resident:
    command = c.RegisterResident(
        resident_id=resident_id, station_id=station_id, community_id="nanmingtang", name="张桂兰",
        gender="female", birth_date=date(1940, 3, 15), id_number=valid_id("19400315", "124"),
        categories=("living_alone",), actor="worker-1")
    return fold(decide(Resident(), command, NOW, POLICY))


def valid_id(birth: str, seq: str) -> str:
    first17 = "520102" + birth + seq
    return first17 + check_char(first17)


def assess(domain: str, card: str, actor: str = "worker-1", resident_id: str = "r1"):
    return c.AssessRisk(resident_id=resident_id, assessment_id=f"a-{domain}-{card}", domain=domain,
                        answers=answers_for(domain, card), actor=actor)


def when(state: Resident, command, now=NOW, policy=POLICY):
    events = decide(state, command, now, policy)
    return events, fold(events, state)


def types(events) -> list[str]:
    return [e.type for e in events]


def with_card(card: str, domain: str = "elderly") -> Resident:
    return when(registered(), assess(domain, card))[1]


# -- assignment, upgrades, downgrades ---------------------------------------------------

def test_the_first_assessment_assigns_the_card_it_implies():
    events, state = when(registered(), assess("elderly", "red"))
    assert types(events) == ["RiskAssessed", "CardAssigned", "ReassessmentScheduled"]
    assigned = events[1].payload
    assert assigned["card"] == "red" and assigned["domain_cards"] == {"elderly": "red"}
    assert assigned["reason"] == "assessment:elderly"
    assert state.card == "red"


def test_every_event_names_the_station_on_its_envelope():
    events, _ = when(registered(), assess("elderly", "red"))
    assert {e.station_id for e in events} == {"xihulu-station"}
    assert {e.actor for e in events} == {"worker-1"}


def test_the_assessment_records_answers_score_rubric_version_and_assessor():
    events, _ = when(registered(), assess("child", "blue", actor="worker-7"))
    p = events[0].payload
    assert p["answers"] == answers_for("child", "blue")
    assert p["score"] == 12 and p["card"] == "blue"
    assert p["rubric_version"] == S.rubrics["child"].version
    assert p["assessor"] == "worker-7"


def test_a_higher_assessment_upgrades_the_card_in_one_event():
    events, state = when(with_card("green"), assess("elderly", "blue"))
    [upgrade] = [e for e in events if e.type in CARD_EVENTS]
    assert upgrade.type == "CardUpgraded"
    assert (upgrade.payload["from_card"], upgrade.payload["to_card"]) == ("green", "blue")
    assert state.card == "blue"


def test_a_lower_assessment_from_blue_downgrades_at_once_without_confirmation():
    events, state = when(with_card("blue"), assess("elderly", "green"))
    [down] = [e for e in events if e.type in CARD_EVENTS]
    assert down.type == "CardDowngraded"
    assert down.payload["confirmed_by"] is None and down.payload["requested_by"] == "worker-1"
    assert state.card == "green"


def test_the_overall_card_is_the_highest_domain_card():
    state = with_card("blue", "elderly")
    events, state = when(state, assess("assistance", "green"))
    assert not [e for e in events if e.type in CARD_EVENTS]
    assert state.card == "blue" and state.domain_cards == {"elderly": "blue", "assistance": "green"}
    events, state = when(state, assess("child", "red"))
    assert state.card == "red"


def test_a_lower_domain_assessment_keeps_the_card_another_domain_holds_up():
    state = when(with_card("red", "child"), assess("elderly", "red"))[1]
    events, state = when(state, assess("elderly", "green"))
    assert types(events) == ["RiskAssessed"]
    assert state.card == "red" and state.pending is None


# -- downgrades from Red wait for a supervisor ------------------------------------------------

def test_a_lower_assessment_from_red_is_held_until_a_supervisor_confirms():
    events, state = when(with_card("red"), assess("elderly", "blue"))
    assert "CardDowngraded" not in types(events)
    [held] = [e for e in events if e.type == "CardDowngradeRequested"]
    assert held.payload["requested_by"] == "worker-1" and held.payload["to_card"] == "blue"
    assert state.card == "red" and state.pending.to_card == "blue"


def test_a_different_supervisor_confirms_and_the_card_goes_down():
    held = when(with_card("red"), assess("elderly", "blue"))[1]
    events, state = when(held, c.ConfirmDowngrade(resident_id="r1", actor="sup-1", role="supervisor"))
    [down] = [e for e in events if e.type in CARD_EVENTS]
    assert down.type == "CardDowngraded"
    assert down.payload["confirmed_by"] == "sup-1" and down.payload["requested_by"] == "worker-1"
    assert (down.payload["from_card"], down.payload["to_card"]) == ("red", "blue")
    assert state.card == "blue" and state.pending is None


def test_nobody_confirms_their_own_downgrade():
    held = when(with_card("red"), assess("elderly", "blue", actor="sup-1"))[1]
    with pytest.raises(NotAllowed) as err:
        decide(held, c.ConfirmDowngrade(resident_id="r1", actor="sup-1", role="supervisor"),
               NOW, POLICY)
    assert err.value.code == "self_confirmation"


def test_only_a_supervisor_confirms():
    held = when(with_card("red"), assess("elderly", "blue"))[1]
    with pytest.raises(NotAllowed):
        decide(held, c.ConfirmDowngrade(resident_id="r1", actor="w2", role="social_worker"),
               NOW, POLICY)


def test_confirming_with_nothing_held_is_a_conflict():
    with pytest.raises(Conflicting):
        decide(with_card("red"), c.ConfirmDowngrade(resident_id="r1", actor="s", role="supervisor"),
               NOW, POLICY)


def test_a_rejected_downgrade_keeps_the_red_card():
    held = when(with_card("red"), assess("elderly", "green"))[1]
    events, state = when(held, c.RejectDowngrade(resident_id="r1", reason="仍独居且行动不便",
                                                 actor="sup-1", role="supervisor"))
    assert types(events) == ["CardDowngradeRejected"]
    assert state.card == "red" and state.pending is None


def test_a_reassessment_back_at_red_cancels_the_held_downgrade():
    held = when(with_card("red"), assess("elderly", "blue"))[1]
    events, state = when(held, assess("elderly", "red"))
    assert "CardDowngradeCancelled" in types(events)
    assert state.card == "red" and state.pending is None


def test_a_further_lower_reassessment_replaces_the_held_downgrade():
    held = when(with_card("red"), assess("elderly", "blue"))[1]
    events, state = when(held, assess("elderly", "green"))
    assert state.pending.to_card == "green" and state.card == "red"


# -- manual override -----------------------------------------------------------------------

def override(card, reason="邻居反映近期多次跌倒", actor="sup-1", role="supervisor"):
    return c.OverrideCard(resident_id="r1", card=card, reason=reason, actor=actor, role=role)


def test_an_override_needs_the_supervisor_role():
    with pytest.raises(NotAllowed) as err:
        decide(with_card("green"), override("red", role="social_worker"), NOW, POLICY)
    assert err.value.code == "supervisor_required"


def test_an_override_needs_a_written_reason():
    with pytest.raises(Invalid) as err:
        decide(with_card("green"), override("red", reason="  "), NOW, POLICY)
    assert "reason" in err.value.fields


def test_an_override_up_takes_effect_at_once_and_says_so():
    events, state = when(with_card("green"), override("red"))
    [up] = [e for e in events if e.type in CARD_EVENTS]
    assert up.type == "CardUpgraded" and up.payload["override"] is True
    assert up.payload["reason"] == "override: 邻居反映近期多次跌倒" and up.actor == "sup-1"
    assert state.card == "red"


def test_an_override_down_from_red_waits_for_a_second_supervisor():
    events, held = when(with_card("red"), override("green"))
    assert "CardDowngradeRequested" in types(events) and held.card == "red"
    with pytest.raises(NotAllowed):
        decide(held, c.ConfirmDowngrade(resident_id="r1", actor="sup-1", role="supervisor"), NOW, POLICY)
    events, state = when(held, c.ConfirmDowngrade(resident_id="r1", actor="sup-2", role="supervisor"))
    assert state.card == "green"


def test_overriding_to_the_card_in_force_is_a_conflict():
    with pytest.raises(Conflicting):
        decide(with_card("blue"), override("blue"), NOW, POLICY)


# -- reassessment rhythm ---------------------------------------------------------------------

@pytest.mark.parametrize("card, due", [("red", "2026-12-28"), ("blue", "2027-02-28"),
                                       ("green", "2027-11-28")])
def test_the_next_reassessment_follows_the_card(card, due):
    state = with_card(card)
    assert state.reassess_on == due and state.reassess_reason == f"card:{card}"


def test_a_station_may_set_its_own_rhythm():
    policy = dataclasses.replace(POLICY, schedule=Schedule(red=2, blue=6, green=24))
    _, state = when(registered(), assess("elderly", "red"), policy=policy)
    assert state.reassess_on == "2027-01-28"


def test_a_held_downgrade_keeps_the_red_rhythm_until_confirmed():
    later = NOW + timedelta(days=10)
    held = when(with_card("red"), assess("elderly", "blue"), now=later)[1]
    assert held.reassess_on == "2027-01-08"  # a month after the latest assessment, as Red
    confirmed = when(held, c.ConfirmDowngrade(resident_id="r1", actor="s2", role="supervisor"),
                     now=later + timedelta(days=1))[1]
    assert confirmed.reassess_on == "2027-03-08"  # three months after it, as Blue


def test_a_major_change_makes_a_reassessment_due_at_once():
    flagged = NOW + timedelta(days=20)
    events, state = when(with_card("green"), c.FlagMajorChange(
        resident_id="r1", change="hospitalised", visit_id="v1", flagged_at=flagged,
        source_event_id="e1"), now=flagged + timedelta(minutes=1))
    assert types(events) == ["MajorChangeRecorded", "ReassessmentScheduled"]
    assert state.reassess_on == "2026-12-18" and state.reassess_reason == "major_change:hospitalised"
    assert {e.actor for e in events} == {"casework"}


def test_the_next_assessment_after_a_major_change_restores_the_rhythm():
    flagged = NOW + timedelta(days=20)
    state = when(with_card("green"), c.FlagMajorChange(
        resident_id="r1", change="bereaved", flagged_at=flagged, source_event_id="e1"))[1]
    later = flagged + timedelta(days=2)
    state = when(state, assess("elderly", "blue"), now=later)[1]
    assert state.major_change is None
    assert state.reassess_on == "2027-03-20" and state.reassess_reason == "card:blue"


def test_a_major_change_from_before_the_last_assessment_makes_nothing_due():
    state = with_card("green")
    events, after = when(state, c.FlagMajorChange(
        resident_id="r1", change="lost_income", flagged_at=NOW - timedelta(days=1),
        source_event_id="e1"))
    assert types(events) == ["MajorChangeRecorded"]
    assert after.reassess_on == state.reassess_on


def test_nothing_is_assessed_for_a_deceased_resident():
    dead = when(with_card("green"), c.ChangeStatus(resident_id="r1", status="deceased",
                                                   effective_date=date(2026, 11, 27)))[1]
    with pytest.raises(Conflicting):
        decide(dead, assess("elderly", "red"), NOW, POLICY)
    flagged = decide(dead, c.FlagMajorChange(resident_id="r1", change="bereaved",
                                             flagged_at=NOW, source_event_id="e"), NOW, POLICY)
    assert flagged == []


# -- property: cards always follow the last assessments -------------------------------------

DOMAINS = ("elderly", "child", "assistance")
steps = st.lists(st.one_of(
    st.tuples(st.just("assess"), st.sampled_from(DOMAINS), st.sampled_from(cards.CARDS)),
    st.tuples(st.just("confirm"), st.none(), st.none())), min_size=1, max_size=25)


def _run(state, step, i):
    kind, domain, card = step
    if kind == "assess":
        command = c.AssessRisk(resident_id="r1", assessment_id=f"a{i}", domain=domain,
                               answers=answers_for(domain, card), actor="worker-1")
    else:
        if state.pending is None:
            return [], state
        command = c.ConfirmDowngrade(resident_id="r1", actor="sup-1", role="supervisor")
    return when(state, command, now=NOW + timedelta(hours=i))


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_card_always_equals_what_the_last_assessments_imply(sequence):
    state, last = registered(), {}
    for i, step in enumerate(sequence):
        before = state
        events, state = _run(state, step, i)
        if step[0] == "assess":
            last[step[1]] = step[2]
        implied = cards.highest(last.values())
        changes = [e for e in events if e.type in CARD_EVENTS]
        # The card is the one the last assessments imply, unless a downgrade from Red waits.
        if state.pending is None:
            assert state.card == implied
        else:
            assert state.card == "red" and state.pending.to_card == implied != "red"
        # Every change of card is exactly one event, in the right direction.
        if state.card == before.card:
            assert changes == []
        else:
            [change] = changes
            if before.card is None:
                assert change.type == "CardAssigned" and change.payload["card"] == state.card
            else:
                up = cards.rank(state.card) > cards.rank(before.card)
                assert change.type == ("CardUpgraded" if up else "CardDowngraded")
                assert (change.payload["from_card"], change.payload["to_card"]) == (before.card,
                                                                                   state.card)
        # Red is only ever left by a supervisor's confirmation.
        if before.card == "red" and state.card != "red":
            assert step[0] == "confirm" and changes[0].payload["confirmed_by"] == "sup-1"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(DOMAINS), st.sampled_from(cards.CARDS)), min_size=1,
                max_size=20))
def test_once_held_downgrades_are_confirmed_the_card_is_the_last_assessments(assessments):
    state, last = registered(), {}
    for i, (domain, card) in enumerate(assessments):
        state = _run(state, ("assess", domain, card), i)[1]
        last[domain] = card
    state = _run(state, ("confirm", None, None), len(assessments))[1]
    assert state.card == cards.highest(last.values())
    assert state.domain_cards == last
