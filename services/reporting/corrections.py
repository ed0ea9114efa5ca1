"""Late events after a report was frozen: named as corrections in the next report.

A submitted report keeps the figures it was submitted with (its ReportSubmitted event),
the ids of the facts about its period and stations that those figures counted
(`counted`), and the watermark: each source's last position its figures had seen. A
fact about the report's period that the report did not count arrived late: judged by
the event's identity, not by its position, because a source restored from an older
backup numbers its new events again from the backup's last position (shared.inbox_sync)
and a position at or below the watermark then names an event the report never saw; an
event the report did count is never late, wherever it stands now. A report submitted
before `counted` was kept (the field absent) is judged by its watermark, as it was then.
The unit's next report
names each such fact once (its event type, what it is about, the day it happened, when
it was recorded) together with the figures of the earlier period that it changed:
submitted value, value now. A fact already named by an earlier submission is not named
again, and the frozen report itself never changes.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from services.reporting import periods
from services.reporting.approval import SUBMITTED, ACCEPTED, Report
from services.reporting.facts import Fact
from services.reporting.figures import Scope, figures, flatten

ORG_KINDS = frozenset({"district", "street", "station", "community"})
FROZEN = frozenset({SUBMITTED, ACCEPTED})


def in_scope(fact: Fact, station_ids, period: periods.Period) -> bool:
    """A fact a report of these stations for this period counts (or corrects)."""
    return (fact.kind not in ORG_KINDS and fact.station_id in station_ids
            and period.start.isoformat() <= fact.on <= period.end.isoformat())


def counted(facts: Iterable[Fact], station_ids, period: periods.Period) -> list[str]:
    """The ids of the facts in the report's scope, frozen with its figures (sorted)."""
    return sorted({f.fact_id for f in facts if in_scope(f, station_ids, period)})


def is_late(fact: Fact, report: Report) -> bool:
    """Did the report's figures not count this fact? By its id when the report kept the
    ids it counted; by its position against the watermark for an older report."""
    if report.counted is not None:
        return fact.fact_id not in report.counted
    return fact.position > int(report.watermark.get(fact.source, 0))


def named_already(reports: Iterable[Report]) -> set[str]:
    return {e["fact_id"] for r in reports for c in r.corrections for e in c["late_events"]}


def _late_in(facts: Sequence[Fact], report: Report, named: set[str]) -> list[Fact]:
    period = periods.parse(report.period_key)
    return [f for f in facts if in_scope(f, report.station_ids, period)
            and is_late(f, report) and f.fact_id not in named]


def _named(fact: Fact) -> dict:
    return {"fact_id": fact.fact_id, "event_type": fact.event_type, "kind": fact.kind,
            "subject": fact.subject, "station_id": fact.station_id, "on": fact.on,
            "recorded_at": fact.recorded_at}


def _changes(facts: Sequence[Fact], report: Report) -> dict:
    now = flatten(figures(facts, Scope(frozenset(report.station_ids)),
                          periods.parse(report.period_key)))
    then = flatten(dict(report.figures))
    return {k: {"submitted": then.get(k), "now": v} for k, v in sorted(now.items())
            if then.get(k) != v}


def corrections_for(facts: Sequence[Fact], earlier: Iterable[Report],
                    before: periods.Period) -> list[dict]:
    """Corrections the unit's report for `before` names: one per earlier frozen report
    of its kind that late facts have changed, oldest period first."""
    earlier = [r for r in earlier if r.status in FROZEN
               and periods.parse(r.period_key).end < before.start]
    named = named_already(earlier)
    found = []
    for report in sorted(earlier, key=lambda r: periods.parse(r.period_key).start):
        late = _late_in(facts, report, named)
        if late:
            found.append({"report_id": report.report_id, "period_key": report.period_key,
                          "late_events": [_named(f) for f in late],
                          "changes": _changes(facts, report)})
    return found


def watermark_of(facts: Iterable[Fact]) -> dict[str, int]:
    """Each source's last position among the facts the figures were computed from."""
    mark: dict[str, int] = {}
    for fact in facts:
        mark[fact.source] = max(mark.get(fact.source, 0), fact.position)
    return mark
