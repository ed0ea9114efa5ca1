"""What the edge computes from the read models before a query answers or a command is
decided: the facts of a unit, its figures, the weekly draft, and a submission's frozen
figures, corrections, watermark and the state of the reports below and above it.

Pure functions do the work (figures, corrections, weekly, approval); this module only
reads the rows they need.
"""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from services.reporting import approval, corrections, periods, queries, weekly
from services.reporting import commands as c
from services.reporting.figures import Scope, figures, summary
from services.reporting.tree import Tree

KIND_OF_PERIOD = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}


def unit_figures(conn: sa.Connection, stations, period: periods.Period,
                 community: str | None = None) -> dict:
    return figures(queries.facts_for(conn, stations), Scope(frozenset(stations), community),
                   period)


def unit_summary(conn: sa.Connection, stations, as_of) -> dict:
    return summary(unit_figures(conn, stations, periods.up_to(as_of)))


def side_by_side(conn: sa.Connection, tree: Tree, stations, period: periods.Period) -> dict:
    """The district compares its stations: each station's summary for the period."""
    facts = queries.facts_for(conn, stations)
    return {s: {"name": tree.name("station", s), "street_id": tree.street_of(s),
                **summary(figures(facts, Scope(frozenset({s})), period))}
            for s in sorted(stations)}


def weekly_draft(conn: sa.Connection, station: str, week: periods.Period) -> dict:
    facts = queries.facts_for(conn, {station})
    earlier = queries.reports_of(conn, "station", station, "weekly")
    return {**weekly.draft(facts, station, week),
            "corrections": corrections.corrections_for(facts, earlier, week)}


def submission(conn: sa.Connection, tree: Tree, level: str, unit_id: str,
               period: periods.Period, texts: Mapping, actor: str) -> c.SubmitReport:
    """The command that freezes a unit's report for a period, as the facts say now."""
    stations = tuple(sorted(tree.stations_under(level, unit_id)))
    street = unit_id if level == "street" else tree.street_of(unit_id)
    facts = queries.facts_for(conn, stations)
    kind = KIND_OF_PERIOD[period.kind]
    earlier = queries.reports_of(conn, level, unit_id, kind)
    return c.SubmitReport(
        approval.report_id(level, unit_id, period.key), level, unit_id, stations, street,
        tree.district_of_street(street), kind, period,
        figures(facts, Scope(frozenset(stations)), period),
        tuple(corrections.corrections_for(facts, earlier, period)), queries.watermark(conn),
        texts.get("summary"), texts.get("plan"), actor,
        waiting=_waiting(conn, level, stations, period),
        counted=tuple(corrections.counted(facts, stations, period)))


def _waiting(conn: sa.Connection, level: str, stations, period: periods.Period) -> tuple:
    """A street roll-up waits for each station's own report to be accepted."""
    if level != "street":
        return ()
    def accepted(station):
        found = queries.report(conn, approval.report_id("station", station, period.key))
        return found is not None and found.status == approval.ACCEPTED
    return tuple(s for s in stations if not accepted(s))


def locked_above(conn: sa.Connection, report: approval.Report) -> bool:
    """Is the street roll-up over this station report accepted (DHIS2: APPROVED_ABOVE)?"""
    if report.level != "station":
        return False
    above = queries.report(conn, approval.report_id("street", report.street_id,
                                                     report.period_key))
    return above is not None and above.status == approval.ACCEPTED
