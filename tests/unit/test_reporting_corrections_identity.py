"""Late facts are judged by event identity, not by source position (issue 20, item 2).

A source restored from an older backup numbers the events appended after the restore
from the backup's last position again (shared.inbox_sync resyncs reporting from it): a
position at or below a submitted report's watermark may then name an event the report
never counted, and an event the report did count may stand beyond the watermark. A
submitted report keeps the ids of the facts it counted; a fact is late when its id is
not among them. Pure: the stores are lists, the resync a fold of the restored list.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from shared.events import Recorded

from services.reporting import approval, corrections, facts, periods
from services.reporting import commands as c
from services.reporting.figures import Scope, figures

from tests.unit.reporting_world import Log, world

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
W47, W48 = periods.parse("2026-W47"), periods.parse("2026-W48")
STATIONS = ("A",)


def submitted(fs, keep_ids: bool = True) -> approval.Report:
    cmd = c.SubmitReport(
        approval.report_id("station", "A", W47.key), "station", "A", STATIONS, "T1", "D1",
        "weekly", W47, figures(fs, Scope(frozenset(STATIONS)), W47), (),
        corrections.watermark_of(fs), "summary", "plan", "head_a",
        counted=tuple(corrections.counted(fs, STATIONS, W47)) if keep_ids else None)
    [new] = approval.submit(approval.Report(), cmd, NOW)
    event = Recorded("e-report", "report-x", 1, None, new.type, 1, "A", NOW.isoformat(),
                     NOW.isoformat(), "head_a", None, None, dict(new.payload), "", "")
    return approval.fold([event])


def visit(log: Log, vid: str, day: str, recorded: str = "2026-11-24T10:00:00+08:00"):
    return log.add("casework", "VisitRecorded", day, recorded, visit_id=vid, resident_id="r1",
                   station_id="A", method="home", visited_at=f"{day}T16:00:00+08:00",
                   worker="w")


def restored(log: Log, backup_at: int, appended: list[Recorded]) -> dict[str, list[Recorded]]:
    """The casework store restored from a backup taken at `backup_at`, then `appended`
    written to it: numbered again from the backup's last position."""
    kept = [e for e in log.by_source["casework"] if e.position <= backup_at]
    renumbered = [dataclasses.replace(e, position=backup_at + i + 1)
                  for i, e in enumerate(appended)]
    return {**log.by_source, "casework": kept + renumbered}


def late_subjects(by_source, report) -> list[str]:
    found = corrections.corrections_for(facts.fold(by_source).facts, [report], W48)
    return [e["subject"] for x in found for e in x["late_events"]]


def test_the_submitted_report_keeps_the_ids_of_the_facts_it_counted():
    log = world()
    fs = facts.fold(log.by_source).facts
    report = submitted(fs)
    in_week = {f.subject for f in fs if f.fact_id in report.counted}
    assert {"v2", "v4"} <= in_week and "v3" not in in_week     # v3: station B's
    assert "v1" not in in_week                                 # v1: the week before
    assert late_subjects(log.by_source, report) == []


def test_after_a_restore_a_new_fact_below_the_watermark_is_late_and_a_counted_one_beyond_it_is_not():
    log = world()
    last = visit(log, "v8", "2026-11-21", recorded="2026-11-21T16:00:00+08:00")  # counted
    report = submitted(facts.fold(log.by_source).facts)
    watermark = report.watermark["casework"]
    assert last.position == watermark
    v2 = next(e for e in log.by_source["casework"] if e.payload.get("visit_id") == "v2")
    backup_at = v2.position - 1          # the backup was taken before v2 (counted) was stored
    lost = [e for e in log.by_source["casework"] if e.position > backup_at]
    # After the restore: a new visit about W47 is recorded first (its position is the one
    # v2 had, below the watermark), then the lost events are written again with their
    # ids (v8 ends one beyond the watermark).
    new = Log()
    late = new.add("casework", "VisitRecorded", "2026-11-20", "2026-11-24T10:00:00+08:00",
                   visit_id="v7", resident_id="r1", station_id="A", method="home",
                   visited_at="2026-11-20T16:00:00+08:00", worker="w")
    now = restored(log, backup_at, [late, *lost])
    moved = {e.payload.get("visit_id"): e.position for e in now["casework"]}
    assert moved["v7"] <= watermark < moved["v8"]

    assert late_subjects(now, report) == ["v7"]
    # The position rule (a report without the ids) misses v7 and flags v8 instead.
    assert late_subjects(now, dataclasses.replace(report, counted=None)) == ["v8"]


def test_a_counted_fact_the_restore_took_away_is_no_late_fact_but_a_changed_figure():
    log = world()
    report = submitted(facts.fold(log.by_source).facts)
    v4 = next(e for e in log.by_source["casework"] if e.payload.get("visit_id") == "v4")
    other = [e for e in log.by_source["casework"] if e.position > v4.position]
    now = restored(log, v4.position - 1, other)        # v4 gone; the rest written again
    index = facts.fold(now)
    assert figures(index.facts, Scope(frozenset(STATIONS)), W47)["visits"]["total"] == \
        report.figures["visits"]["total"] - 1
    assert corrections.corrections_for(index.facts, [report], W48) == []  # nothing late


def test_a_report_submitted_before_the_ids_were_kept_is_judged_by_its_watermark():
    log = world()
    report = submitted(facts.fold(log.by_source).facts, keep_ids=False)
    assert report.counted is None and "counted" not in report.trail[0]
    visit(log, "v9", "2026-11-20")
    assert late_subjects(log.by_source, report) == ["v9"]
