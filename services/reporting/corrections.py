"""Late events after a report was frozen: named as corrections in the next report.

A submitted report keeps the figures it was submitted with (its ReportSubmitted event)
and the watermark: each source's last position its figures had seen. A fact about the
report's period that sits beyond the watermark arrived late. The unit's next report
names each such fact once (its event type, what it is about, the day it happened, when
it was recorded) together with the figures of the earlier period that it changed:
submitted value, value now. A fact already named by an earlier submission is not named
again, and the frozen report itself never changes.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from services.reporting import periods
from services.reporting.approval import SUBMITTED, ACCEPTED, Report
from services.reporting.facts import Fact
from services.reporting.figures import Scope, figures, flatten

ORG_KINDS = frozenset({"district", "street", "station", "community"})
FROZEN = frozenset({SUBMITTED, ACCEPTED})


def is_late(fact: Fact, watermark: Mapping[str, int]) -> bool:
    return fact.position > int(watermark.get(fact.source, 0))


def named_already(reports: Iterable[Report]) -> set[str]:
    return {e["fact_id"] for r in reports for c in r.corrections for e in c["late_events"]}


def _late_in(facts: Sequence[Fact], report: Report, named: set[str]) -> list[Fact]:
    period = periods.parse(report.period_key)
    first, last = period.start.isoformat(), period.end.isoformat()
    return [f for f in facts
            if f.kind not in ORG_KINDS and first <= f.on <= last
            and f.station_id in report.station_ids and is_late(f, report.watermark)
            and f.fact_id not in named]


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
