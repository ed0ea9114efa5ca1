"""Referrals to agencies: made, then accepted or declined, then completed; refused
steps, due dates and overdue stages."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from services.casework import case as C
from services.casework import commands as c
from services.casework import referral as R
from shared.kit.errors import IllegalTransition, Invalid as InvalidCommand

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 28)
AGENCIES = ("civil_affairs", "legal_aid")


def open_case() -> C.Case:
    command = c.OpenCase("case-1", "res-1", "st-1", "assistance", "Debt", "wang", "wang")
    return C.fold(C.decide(C.Case(), command, NOW))


def make(case=None, agency="civil_affairs", due=date(2026, 12, 5)) -> list:
    command = c.MakeReferral("ref-1", "case-1", agency, "Minimum living allowance", due, "wang")
    return R.make(case or open_case(), R.Referral(), command, TODAY, AGENCIES, NOW)


def made() -> R.Referral:
    return R.fold(make())


def accepted(completion=None) -> R.Referral:
    state = made()
    return R.fold(R.accept(state, c.AcceptReferral("ref-1", completion, None, "wang"), 30, NOW),
                  state)


def test_a_referral_is_made_on_a_worked_case():
    (event,) = make()
    assert event.type == "ReferralMade"
    assert event.payload["agency"] == "civil_affairs" and event.payload["resident_id"] == "res-1"
    assert event.payload["made_on"] == "2026-11-28" and event.station_id == "st-1"


def test_a_closed_case_takes_no_referral():
    case = open_case()
    closed = C.Case(**{**case.__dict__, "state": C.CLOSED})
    with pytest.raises(IllegalTransition):
        make(closed)


def test_an_agency_outside_the_configured_list_is_refused():
    with pytest.raises(InvalidCommand) as refused:
        make(agency="fortune_teller")
    assert "agency" in refused.value.fields


def test_a_due_date_before_today_is_refused():
    with pytest.raises(InvalidCommand):
        make(due=date(2026, 11, 1))


def test_acceptance_without_a_date_gives_the_default_completion_period():
    assert accepted().completion_due_date == date(2026, 12, 28)
    assert accepted(date(2026, 12, 10)).completion_due_date == date(2026, 12, 10)


def test_a_declined_referral_is_finished():
    state = made()
    state = R.fold(R.decline(state, c.DeclineReferral("ref-1", "Not eligible", "wang"), NOW),
                   state)
    assert state.status == R.DECLINED
    with pytest.raises(IllegalTransition):
        R.accept(state, c.AcceptReferral("ref-1", None, None, "wang"), 30, NOW)


def test_an_accepted_referral_is_completed():
    state = accepted()
    (event,) = R.complete(state, c.CompleteReferral("ref-1", "Allowance granted", "wang"), NOW)
    assert event.type == "ReferralCompleted" and R.fold([event], state).status == R.COMPLETED


@pytest.mark.parametrize("step", ["complete_made", "decline_accepted", "accept_accepted",
                                  "complete_completed"])
def test_steps_out_of_order_are_refused(step):
    action, status = step.split("_")
    state = {"made": made, "accepted": accepted}.get(status, accepted)()
    if status == "completed":
        state = R.fold(R.complete(state, c.CompleteReferral("ref-1", "ok", "wang"), NOW), state)
    commands = {"complete": (R.complete, c.CompleteReferral("ref-1", "ok", "wang")),
                "decline": (R.decline, c.DeclineReferral("ref-1", "no", "wang")),
                "accept": (lambda s, cmd, now: R.accept(s, cmd, 30, now),
                           c.AcceptReferral("ref-1", None, None, "wang"))}
    decide, command = commands[action]
    with pytest.raises(R.ReferralStepRefused):
        decide(state, command, NOW)


def test_an_unknown_referral_is_not_found():
    with pytest.raises(R.ReferralNotFound):
        R.decline(R.Referral(), c.DeclineReferral("ref-x", "no", "wang"), NOW)


def test_overdue_tracks_the_response_then_the_completion():
    assert R.overdue_stage(made(), date(2026, 12, 5)) is None
    assert R.overdue_stage(made(), date(2026, 12, 6)) == "response"
    assert R.overdue_stage(accepted(), date(2026, 12, 28)) is None
    assert R.overdue_stage(accepted(), date(2026, 12, 29)) == "completion"
