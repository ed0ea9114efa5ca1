"""Reads of reporting's read models: the facts a scope needs, the org tree, reports,
the chain's records. Figures are computed from the facts by services.reporting.figures.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from services.reporting import approval
from services.reporting.facts import SOURCES, Fact
from services.reporting.projections import (chain_records, fact_of_row, facts, inbox_name,
                                            meetings, reports, suggestions)
from services.reporting.tree import Tree, tree_of
from shared.relay import Checkpoint

ORG_KINDS = ("district", "street", "station", "community")


def tree(conn: sa.Connection) -> Tree:
    rows = conn.execute(sa.select(facts).where(facts.c.kind.in_(ORG_KINDS)))
    return tree_of(fact_of_row(r._mapping) for r in rows)


def facts_for(conn: sa.Connection, stations) -> list[Fact]:
    """The facts of these stations, and every fact about a resident who was ever at one of
    them (a resident who moved away is counted where they are at the report's date)."""
    stations = sorted(stations)
    theirs = sa.select(facts.c.resident_id).where(facts.c.station_id.in_(stations)) \
        .where(facts.c.resident_id.is_not(None))
    rows = conn.execute(sa.select(facts).where(sa.or_(
        facts.c.station_id.in_(stations), facts.c.resident_id.in_(theirs),
        facts.c.kind.in_(ORG_KINDS))))
    return [fact_of_row(r._mapping) for r in rows]


def resident_facts(conn: sa.Connection, resident_id: str) -> list[Fact]:
    rows = conn.execute(sa.select(facts).where(sa.or_(
        facts.c.resident_id == resident_id,
        facts.c.data.like(f'%"{resident_id}"%'))))   # named in a list (attendance)
    return [fact_of_row(r._mapping) for r in rows]


def watermark(conn: sa.Connection) -> dict[str, int]:
    """How far reporting has read each source: frozen with every submission."""
    return {source: Checkpoint(conn.engine, inbox_name(source)).get(conn) for source in SOURCES}


def _report(row) -> approval.Report:
    return approval.Report(
        report_id=row.report_id, level=row.level, unit_id=row.unit_id,
        station_ids=tuple(json.loads(row.station_ids)), street_id=row.street_id, kind=row.kind,
        period_key=row.period_key, status=row.status, revision=row.revision,
        submitted_by=row.submitted_by, submitted_at=row.submitted_at,
        figures=json.loads(row.figures), corrections=tuple(json.loads(row.corrections)),
        watermark=json.loads(row.watermark),
        counted=frozenset(json.loads(row.counted)) if row.counted is not None else None,
        summary=row.summary, plan=row.plan,
        trail=tuple(json.loads(row.trail)))


def reports_of(conn: sa.Connection, level: str, unit_id: str,
               kind: str | None = None) -> list[approval.Report]:
    query = sa.select(reports).where(reports.c.level == level).where(reports.c.unit_id == unit_id)
    if kind is not None:
        query = query.where(reports.c.kind == kind)
    return [_report(r) for r in conn.execute(query.order_by(reports.c.period_key))]


def report(conn: sa.Connection, report_id: str) -> approval.Report | None:
    row = conn.execute(sa.select(reports).where(reports.c.report_id == report_id)).first()
    return _report(row) if row else None


def report_view(r: approval.Report) -> dict:
    return {"id": r.report_id, "level": r.level, "unit_id": r.unit_id, "kind": r.kind,
            "period": r.period_key, "status": r.status, "revision": r.revision,
            "station_ids": list(r.station_ids), "submitted_by": r.submitted_by,
            "submitted_at": r.submitted_at, "figures": r.figures,
            "corrections": list(r.corrections), "summary": r.summary, "plan": r.plan,
            "trail": list(r.trail)}


def chain_of(conn: sa.Connection, station_id: str, first: str, last: str) -> dict:
    """The chain's records and suggestions of a station between two dates."""
    records = conn.execute(
        sa.select(chain_records).where(chain_records.c.station_id == station_id)
        .where(chain_records.c.on_date.between(first, last))
        .order_by(chain_records.c.on_date, chain_records.c.record_id))
    found = conn.execute(
        sa.select(suggestions).where(suggestions.c.station_id == station_id)
        .where(suggestions.c.proposed_on <= last)
        .order_by(suggestions.c.proposed_on, suggestions.c.suggestion_id))
    held = conn.execute(
        sa.select(meetings).where(meetings.c.station_id == station_id)
        .where(meetings.c.held_on.between(first, last)).order_by(meetings.c.held_on))
    return {"records": [{**json.loads(r.payload), "level": r.level, "type": r.type}
                        for r in records],
            "suggestions": [dict(r._mapping) for r in found],
            "meetings": [dict(r._mapping) for r in held]}


def submissions(conn: sa.Connection, filters: dict) -> list[approval.Report]:
    """Reports by status, level, unit, street, district and period, newest first."""
    query = sa.select(reports)
    for key, column in (("status", reports.c.status), ("level", reports.c.level),
                        ("unit_id", reports.c.unit_id), ("street_id", reports.c.street_id),
                        ("district_id", reports.c.district_id),
                        ("period", reports.c.period_key)):
        if filters.get(key) is not None:
            query = query.where(column == filters[key])
    query = query.order_by(reports.c.submitted_at.desc(), reports.c.report_id)
    return [_report(r) for r in conn.execute(query)]
