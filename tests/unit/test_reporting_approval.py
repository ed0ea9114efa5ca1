"""Submission and approval of reports, frozen figures and named corrections (pure)."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from shared.events import Recorded

from services.reporting import approval, corrections, facts, periods, weekly
from services.reporting import commands as c
from shared.kit.errors import IllegalTransition, Invalid, NotAllowed
from services.reporting.figures import Scope, figures

from tests.unit.reporting_world import world

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
W47, W48 = periods.parse("2026-W47"), periods.parse("2026-W48")


def _recorded(events, version=0) -> list[Recorded]:
    return [Recorded(e.event_id, "report-x", version + i + 1, None, e.type, 1, e.station_id,
                     NOW.isoformat(), NOW.isoformat(), e.actor, None, None,
                     dict(e.payload), "", "") for i, e in enumerate(events)]


def _then(report, events):
    return approval.fold(_recorded(events, report.revision), report)


def _submit_cmd(fs, period=W47, level="station", unit="A", actor="head_a", earlier=(),
                waiting=()):
    stations = ("A",) if level == "station" else ("A", "B")
    return c.SubmitReport(
        approval.report_id(level, unit, period.key), level, unit, stations, "T1", "D1",
        "weekly", period, figures(fs, Scope(frozenset(stations)), period),
        tuple(corrections.corrections_for(fs, earlier, period)),
        corrections.watermark_of(fs), "summary", "plan", actor, waiting,
        tuple(corrections.counted(fs, stations, period)))


def _submitted(fs, **kw) -> approval.Report:
    return _then(approval.Report(), approval.submit(approval.Report(), _submit_cmd(fs, **kw), NOW))


def test_street_accepts_a_station_report():
    report = _submitted(facts.fold(world().by_source).facts)
    accepted = _then(report, approval.accept(report, c.AcceptReport(report.report_id, "leader",
                                                                      "street"), NOW))
    assert accepted.status == "accepted"
    assert [t["step"] for t in accepted.trail] == ["submitted", "accepted"]


def test_nobody_accepts_their_own_submission():
    report = _submitted(facts.fold(world().by_source).facts, actor="both")
    with pytest.raises(NotAllowed):
        approval.accept(report, c.AcceptReport(report.report_id, "both", "street"), NOW)
    with pytest.raises(NotAllowed):
        approval.return_(report, c.ReturnReport(report.report_id, "both", "street", "no"), NOW)


def test_only_the_level_above_approves():
    report = _submitted(facts.fold(world().by_source).facts)
    with pytest.raises(NotAllowed):
        approval.accept(report, c.AcceptReport(report.report_id, "admin", "district"), NOW)


def test_a_returned_report_carries_the_comment_and_may_be_submitted_again():
    fs = facts.fold(world().by_source).facts
    report = _submitted(fs)
    with pytest.raises(Invalid):
        approval.return_(report, c.ReturnReport(report.report_id, "leader", "street", " "), NOW)
    returned = _then(report, approval.return_(
        report, c.ReturnReport(report.report_id, "leader", "street", "add the visits"), NOW))
    assert returned.status == "returned" and returned.trail[-1]["note"] == "add the visits"
    again = _then(returned, approval.submit(returned, _submit_cmd(fs), NOW))
    assert again.status == "submitted" and again.revision == 2


def test_a_submitted_report_cannot_be_submitted_twice():
    fs = facts.fold(world().by_source).facts
    report = _submitted(fs)
    with pytest.raises(IllegalTransition):
        approval.submit(report, _submit_cmd(fs), NOW)


def test_reopening_needs_the_approver_a_reason_and_nothing_accepted_above():
    report = _submitted(facts.fold(world().by_source).facts)
    accepted = _then(report, approval.accept(report, c.AcceptReport(report.report_id, "leader",
                                                                      "street"), NOW))
    with pytest.raises(NotAllowed):
        approval.reopen(accepted, c.ReopenReport(report.report_id, "head_a", "district", "x"),
                        NOW)
    with pytest.raises(IllegalTransition):
        approval.reopen(accepted, c.ReopenReport(report.report_id, "leader", "street", "late",
                                                 locked_above=True), NOW)
    reopened = _then(accepted, approval.reopen(
        accepted, c.ReopenReport(report.report_id, "leader", "street", "late visits"), NOW))
    assert reopened.status == "reopened"
    assert [(t["step"], t["by"], t["note"]) for t in reopened.trail][-1] == \
        ("reopened", "leader", "late visits")


def test_a_period_that_has_not_begun_cannot_be_reported():
    fs = facts.fold(world().by_source).facts
    with pytest.raises(Invalid):
        approval.submit(approval.Report(), _submit_cmd(fs, period=periods.parse("2026-W49")),
                        NOW)


def test_a_street_roll_up_waits_for_every_station():
    fs = facts.fold(world().by_source).facts
    with pytest.raises(IllegalTransition) as refused:
        approval.submit(approval.Report(), _submit_cmd(fs, level="street", unit="T1",
                                                       actor="leader", waiting=("B",)), NOW)
    assert refused.value.fields == {"waiting": ["B"]}
    rollup = _submitted(fs, level="street", unit="T1", actor="leader")
    with pytest.raises(NotAllowed):
        approval.accept(rollup, c.AcceptReport(rollup.report_id, "leader2", "street"), NOW)
    done = _then(rollup, approval.accept(rollup, c.AcceptReport(rollup.report_id, "admin",
                                                                 "district"), NOW))
    assert done.status == "accepted"


def test_a_late_visit_leaves_the_submitted_report_alone_and_is_named_next_week():
    log = world()
    index = facts.fold(log.by_source)
    report = _submitted(index.facts)
    frozen = dataclasses.replace(report).figures
    assert frozen["visits"]["total"] == 2
    # Recorded on Tuesday of W48, about Friday of W47.
    late = log.add("casework", "VisitRecorded", "2026-11-20", "2026-11-24T10:00:00+08:00",
                   visit_id="v5", resident_id="r1", station_id="A", method="home",
                   visited_at="2026-11-20T16:00:00+08:00", worker="w")
    index.add("casework", late)
    assert report.figures == frozen                                      # nothing moved
    assert figures(index.facts, Scope(frozenset({"A"})), W47)["visits"]["total"] == 3
    named = corrections.corrections_for(index.facts, [report], W48)
    assert len(named) == 1 and named[0]["period_key"] == "2026-W47"
    assert [(e["event_type"], e["subject"], e["on"]) for e in named[0]["late_events"]] == \
        [("VisitRecorded", "v5", "2026-11-20")]
    assert named[0]["changes"]["visits.total"] == {"submitted": 2, "now": 3}
    assert named[0]["changes"]["visits.by_method.home"] == {"submitted": None, "now": 1}
    # Once W48 names it, W49 does not name it again.
    w48 = _submitted(index.facts, period=W48, earlier=[report])
    assert w48.corrections[0]["late_events"][0]["subject"] == "v5"
    assert corrections.corrections_for(index.facts, [report, w48],
                                       periods.parse("2026-W49")) == []


def test_a_late_event_of_another_station_is_no_correction_of_ours():
    log = world()
    index = facts.fold(log.by_source)
    report = _submitted(index.facts)
    index.add("casework", log.add("casework", "VisitRecorded", "2026-11-20",
                                  "2026-11-24T10:00:00+08:00", visit_id="v6", resident_id="r4",
                                  station_id="B", method="home",
                                  visited_at="2026-11-20T16:00:00+08:00", worker="w"))
    assert corrections.corrections_for(index.facts, [report], W48) == []


def test_the_weekly_draft_lists_done_due_overdue_and_new_red_cards():
    fs = facts.fold(world().by_source).facts
    draft = weekly.draft(fs, "A", W47)
    assert draft["done"] == {"visits": ["v2", "v4"], "followups": [], "activities": ["act1"],
                             "cases_closed": []}
    assert draft["overdue"] == ["f2"] and draft["new_red"] == ["r2"]
    assert draft["due_next_week"] == []
    assert "新增红卡 1 人" in draft["summary"] and "1 follow-ups overdue" in draft["summary"]
