"""The case state machine, given-when-then on events: every illegal step is refused,
every legal one records its events, and nobody reviews their own request."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from services.casework import case as C
from services.casework import commands as c
from shared.kit.errors import (IllegalTransition, Invalid as InvalidCommand, Missing as Unknown,
                               NotAllowed as NotPermitted)

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
WORKER, SUPERVISOR, OTHER_SUPERVISOR = "wang", "li", "zhao"


def opened():
    return c.OpenCase("case-1", "res-1", "st-1", "elderly", "Lives alone after a fall",
                      WORKER, WORKER)


STEPS = {  # action -> a command that attempts it
    "open": opened,
    "assess": lambda: c.AssessCase("case-1", "Needs daily check-ins", ("meals",), WORKER),
    "draft_plan": lambda: c.DraftServicePlan("case-1", ("Weekly visits", "Meal delivery"),
                                             WORKER),
    "request_plan_approval": lambda: c.RequestPlanApproval("case-1", "rq-plan", WORKER),
    "approve": lambda: c.ApproveRequest("case-1", PENDING_ID, "ok", SUPERVISOR, "supervisor"),
    "send_back": lambda: c.SendBackRequest("case-1", PENDING_ID, "add goals", SUPERVISOR,
                                           "supervisor"),
    "record_service": lambda: c.RecordService("case-1", "svc-1", NOW, 45, "counselling",
                                              None, WORKER),
    "request_closure": lambda: c.RequestClosure("case-1", "rq-close", "goals_met",
                                                "Stable now", WORKER),
    "reopen": lambda: c.ReopenCase("case-1", "Fell again", WORKER),
    "transfer": lambda: c.TransferCase("case-1", "chen", "Leave", WORKER),
}
PENDING_ID = "rq-pending"

# How each state is reached, step by step (approvals use the pending request's id).
PATHS = {
    C.NEW: [],
    C.OPEN: ["open"],
    C.ASSESSED: ["open", "assess"],
    C.PLANNED: ["open", "assess", "draft_plan"],
    C.PLAN_PENDING: ["open", "assess", "draft_plan", "request_plan_approval"],
    C.IN_SERVICE: ["open", "assess", "draft_plan", "request_plan_approval", "approve"],
    C.CLOSURE_PENDING: ["open", "assess", "draft_plan", "request_plan_approval", "approve",
                        "request_closure"],
    C.CLOSED: ["open", "assess", "draft_plan", "request_plan_approval", "approve",
               "request_closure", "approve"],
}

# Written out by hand, not read from C.ALLOWED, so the test checks the table.
WORKING = {C.OPEN, C.ASSESSED, C.PLANNED, C.PLAN_PENDING, C.IN_SERVICE, C.CLOSURE_PENDING}
LEGAL = {
    ("open", C.NEW), ("assess", C.OPEN), ("draft_plan", C.ASSESSED), ("draft_plan", C.PLANNED),
    ("request_plan_approval", C.PLANNED), ("approve", C.PLAN_PENDING),
    ("approve", C.CLOSURE_PENDING), ("send_back", C.PLAN_PENDING),
    ("send_back", C.CLOSURE_PENDING), ("request_closure", C.IN_SERVICE), ("reopen", C.CLOSED),
    *{("record_service", s) for s in WORKING}, *{("transfer", s) for s in WORKING},
}
ILLEGAL = sorted({(a, s) for a in STEPS for s in PATHS} - LEGAL)


def command_for(action: str, state: C.Case):
    command = STEPS[action]()
    if action in ("approve", "send_back") and state.pending is not None:
        command = dataclasses.replace(command, request_id=state.pending.request_id)
    return command


def given(path: list[str]) -> C.Case:
    state = C.Case()
    for action in path:
        state = C.fold(C.decide(state, command_for(action, state), NOW), state)
    return state


def when(state: C.Case, command) -> list:
    return C.decide(state, command, NOW)


def types(events) -> list[str]:
    return [e.type for e in events]


@pytest.mark.parametrize("state", sorted(PATHS))
def test_each_path_reaches_its_state(state):
    assert given(PATHS[state]).state == state


@pytest.mark.parametrize("action,state", ILLEGAL)
def test_an_illegal_step_is_refused_and_nothing_is_decided(action, state):
    current = given(PATHS[state])
    expected = Unknown if state == C.NEW else IllegalTransition
    with pytest.raises(expected) as refused:
        when(current, command_for(action, current))
    assert refused.value.message and refused.value.message_zh


def test_the_illegal_steps_cover_every_state_and_action():
    assert {s for _, s in ILLEGAL} == set(PATHS)
    assert {a for a, _ in ILLEGAL} == set(STEPS)
    assert len(ILLEGAL) + len(LEGAL) == len(STEPS) * len(PATHS)


@pytest.mark.parametrize("action,state", sorted(LEGAL))
def test_a_legal_step_records_events(action, state):
    current = given(PATHS[state])
    assert when(current, command_for(action, current))


def test_a_refusal_names_the_state_in_both_languages():
    with pytest.raises(C.CaseStepRefused) as refused:
        when(given(PATHS[C.CLOSED]), STEPS["record_service"]())
    assert "closed" in refused.value.message
    assert "已结案" in refused.value.message_zh and "记录服务" in refused.value.message_zh


def test_opening_records_the_resident_domain_problem_and_worker():
    (event,) = when(C.Case(), opened())
    assert event.type == "CaseOpened"
    assert event.payload["resident_id"] == "res-1" and event.payload["worker"] == WORKER
    assert event.station_id == "st-1" and event.actor == WORKER


def test_a_worker_may_not_approve_their_own_plan():
    state = given(PATHS[C.PLAN_PENDING])
    with pytest.raises(C.SelfApprovalRefused):
        when(state, c.ApproveRequest("case-1", state.pending.request_id, None, WORKER,
                                     "supervisor"))


def test_a_supervisor_may_not_approve_their_own_closure_request():
    state = given(PATHS[C.IN_SERVICE])
    mine = c.RequestClosure("case-1", "rq-mine", "partly_met", None, SUPERVISOR)
    state = C.fold(when(state, mine), state)
    with pytest.raises(C.SelfApprovalRefused):
        when(state, c.ApproveRequest("case-1", "rq-mine", None, SUPERVISOR, "supervisor"))
    with pytest.raises(C.SelfApprovalRefused):
        when(state, c.SendBackRequest("case-1", "rq-mine", "no", SUPERVISOR, "supervisor"))
    approved = when(state, c.ApproveRequest("case-1", "rq-mine", None, OTHER_SUPERVISOR,
                                            "supervisor"))
    assert types(approved) == ["ApprovalGranted", "CaseClosed"]


def test_only_a_supervisor_or_station_head_reviews():
    state = given(PATHS[C.PLAN_PENDING])
    with pytest.raises(NotPermitted):
        when(state, c.ApproveRequest("case-1", state.pending.request_id, None, "chen",
                                     "social_worker"))
    assert when(state, c.ApproveRequest("case-1", state.pending.request_id, None, "head",
                                        "station_head"))


def test_approving_a_request_that_is_not_pending_is_refused():
    state = given(PATHS[C.PLAN_PENDING])
    with pytest.raises(C.RequestNotPending):
        when(state, c.ApproveRequest("case-1", "rq-other", None, SUPERVISOR, "supervisor"))


def test_an_approved_plan_puts_the_case_in_service():
    state = given(PATHS[C.PLAN_PENDING])
    events = when(state, command_for("approve", state))
    assert types(events) == ["ApprovalGranted"]
    after = C.fold(events, state)
    assert after.state == C.IN_SERVICE and after.approvals[-1].status == "approved"


def test_a_plan_sent_back_returns_to_drafting_with_the_comments():
    state = given(PATHS[C.PLAN_PENDING])
    after = C.fold(when(state, command_for("send_back", state)), state)
    assert after.state == C.PLANNED and after.pending is None
    assert after.approvals[-1].comments == "add goals"
    again = when(after, c.RequestPlanApproval("case-1", "rq-plan-2", WORKER))
    assert C.fold(again, after).pending.request_id == "rq-plan-2"


def test_closure_approved_closes_with_the_requested_outcome():
    state = given(PATHS[C.CLOSURE_PENDING])
    events = when(state, command_for("approve", state))
    closed = events[-1]
    assert closed.type == "CaseClosed" and closed.payload["outcome"] == "goals_met"
    assert closed.payload["approved_by"] == SUPERVISOR
    assert C.fold(events, state).outcome == "goals_met"


def test_closure_sent_back_keeps_the_case_in_service():
    state = given(PATHS[C.CLOSURE_PENDING])
    assert C.fold(when(state, command_for("send_back", state)), state).state == C.IN_SERVICE


def test_a_reopened_case_is_assessed_again():
    state = given(PATHS[C.CLOSED])
    after = C.fold(when(state, STEPS["reopen"]()), state)
    assert after.state == C.OPEN and after.outcome is None and after.reopened_count == 1
    with pytest.raises(IllegalTransition):
        when(after, STEPS["draft_plan"]())


def test_a_transfer_moves_the_case_to_another_worker():
    state = given(PATHS[C.IN_SERVICE])
    (event,) = when(state, STEPS["transfer"]())
    assert event.payload["from_worker"] == WORKER and event.payload["to_worker"] == "chen"
    assert C.fold([event], state).worker == "chen"


def test_a_transfer_to_the_same_worker_is_refused():
    with pytest.raises(InvalidCommand) as refused:
        when(given(PATHS[C.OPEN]), c.TransferCase("case-1", WORKER, None, WORKER))
    assert "to_worker" in refused.value.fields


def test_service_records_add_up_the_time_spent():
    state = given(PATHS[C.IN_SERVICE])
    for n, minutes in enumerate((30, 45)):
        state = C.fold(when(state, c.RecordService("case-1", f"svc-{n}", NOW, minutes, None,
                                                   None, WORKER)), state)
    assert state.minutes_spent == 75


def test_the_version_counts_the_events():
    assert given(PATHS[C.CLOSED]).version == 8  # closure approval is two events
