"""Read models of reporting, in its own database beside its events.

Fed by other services' events (through the inbox, or a rebuild from their `read_all`):
- `report_facts`: every fact (services.reporting.facts) with the source position it
  came from; figures are folds over these rows (services.reporting.figures).
- `report_resident_streams`: which stream of which source names which resident, so the
  audit timeline knows what to read back and verify.
Fed by reporting's own events (`apply`): `report_reports` (each report's latest
revision, its frozen figures and its trail), `report_chain` (levels 1-4),
`report_suggestions` (level 5), `report_meetings` (1+1+1).

Everything here is a fold: `rebuild` empties the tables and folds again, and a rebuilt
database equals the incrementally kept one table by table (tests/integration).
"""
from __future__ import annotations

import json
from typing import Callable, Mapping

import sqlalchemy as sa
from sqlalchemy import Column, Index, Integer, String, Table, Text

from shared import topology
from shared.events import Recorded
from shared.kit.projections import Projection
from shared.relay import Checkpoint

from services.reporting import approval
from services.reporting.chain import CHAIN_LEVELS
from services.reporting.facts import SOURCES, SPECS, Fact, facts_of

metadata = sa.MetaData()


def _id(name: str, **kw) -> Column:
    return Column(name, String(200), **kw)


facts = Table(
    "report_facts", metadata,
    _id("fact_id", primary_key=True),
    Column("source", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    _id("subject", nullable=False),
    _id("station_id", nullable=True, index=True),
    _id("community_id", nullable=True),
    _id("resident_id", nullable=True, index=True),
    Column("on_date", String(10), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("position", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_report_facts_kind_subject", "kind", "subject"),
)

resident_streams = Table(
    "report_resident_streams", metadata,
    _id("resident_id", primary_key=True),
    Column("source", String(20), primary_key=True),
    _id("stream_id", primary_key=True),
)

reports = Table(
    "report_reports", metadata,
    _id("report_id", primary_key=True),
    Column("level", String(10), nullable=False),
    _id("unit_id", nullable=False, index=True),
    _id("street_id", nullable=False),
    _id("district_id", nullable=True),
    Column("kind", String(10), nullable=False),
    Column("period_key", String(30), nullable=False),
    Column("status", String(10), nullable=False),
    Column("revision", Integer, nullable=False),
    _id("submitted_by", nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("station_ids", Text, nullable=False),
    Column("figures", Text, nullable=False),
    Column("corrections", Text, nullable=False),
    Column("watermark", Text, nullable=False),
    Column("counted", Text, nullable=True),          # JSON list of fact ids, or NULL
    Column("summary", Text, nullable=True),
    Column("plan", Text, nullable=True),
    Column("trail", Text, nullable=False),
)

chain_records = Table(
    "report_chain", metadata,
    _id("record_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    Column("level", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("on_date", String(10), nullable=False),
    Column("payload", Text, nullable=False),
)

suggestions = Table(
    "report_suggestions", metadata,
    _id("suggestion_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    _id("addressed_to", nullable=False),
    Column("title", Text, nullable=False),
    Column("proposed_on", String(10), nullable=False),
    _id("proposed_by", nullable=False),
    Column("state", String(10), nullable=False),
    Column("answered_on", String(10), nullable=True),
    Column("comment", Text, nullable=True),
)

meetings = Table(
    "report_meetings", metadata,
    _id("meeting_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    Column("kind", String(12), nullable=False),      # minutes | supervision
    Column("period_key", String(10), nullable=False),
    Column("held_on", String(10), nullable=False),
    _id("lead", nullable=False),
    Column("text", Text, nullable=False),
)

FOREIGN = (facts, resident_streams)
OWN = (reports, chain_records, suggestions, meetings)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# -- other services' events -----------------------------------------------------------

def fact_of_row(row: Mapping) -> Fact:
    return Fact(row["fact_id"], row["source"], row["kind"], row["subject"], row["station_id"],
                row["community_id"], row["resident_id"], row["on_date"], row["recorded_at"],
                row["event_type"], json.loads(row["data"]), row["position"])


def _lookup(conn: sa.Connection) -> Callable[[str, str], Fact | None]:
    def first(kind: str, subject: str) -> Fact | None:
        row = conn.execute(sa.select(facts).where(facts.c.kind == kind)
                           .where(facts.c.subject == subject)
                           .order_by(facts.c.position).limit(1)).first()
        return fact_of_row(row._mapping) if row else None
    return first


def residents_named(event: Recorded) -> set[str]:
    """The residents an event is about: its `resident_id`, `resident_ids`, or whose own
    stream it is (resident-, access-, erasure-<id>)."""
    named = {event.payload.get("resident_id")} | set(event.payload.get("resident_ids") or ())
    for prefix in ("resident-", "access-", "erasure-"):
        if event.stream_id.startswith(prefix):
            named.add(event.stream_id[len(prefix):])
    return {r for r in named if isinstance(r, str) and r}


def _index_streams(conn: sa.Connection, source: str, event: Recorded) -> None:
    for resident in residents_named(event):
        key = {"resident_id": resident, "source": source, "stream_id": event.stream_id}
        exists = conn.execute(sa.select(sa.literal(1)).select_from(resident_streams)
                              .where(*(resident_streams.c[k] == v for k, v in key.items()))
                              ).first()
        if not exists:
            conn.execute(resident_streams.insert().values(**key))


def apply_source(conn: sa.Connection, source: str, event: Recorded) -> None:
    """One event of another service: its facts and the resident streams it names."""
    for fact in facts_of(source, event, _lookup(conn)):
        row = fact.row()
        conn.execute(facts.insert().values(
            **{k: v for k, v in row.items() if k not in ("on", "data")},
            on_date=row["on"], data=dumps(row["data"])))
    _index_streams(conn, source, event)


def forget_source(conn: sa.Connection, source: str) -> None:
    """Empty what reporting folded from one source (its facts, the resident streams it
    named), before a resync folds that source's events again (shared.inbox_sync): the
    facts then equal a rebuild's, without those of events the source no longer has."""
    conn.execute(facts.delete().where(facts.c.source == source))
    conn.execute(resident_streams.delete().where(resident_streams.c.source == source))


SOURCE_OF = {t: source for source, types in SOURCES.items() for t in types}


def inbox_handlers(_store, sources=None) -> dict:
    """{type: handler} of the types that make facts, for the sources reporting subscribes
    to (the completeness test checks each is registered by its source)."""
    sources = topology.SUBSCRIPTIONS["reporting"] if sources is None else sources
    return {t: (lambda conn, event, s=SOURCE_OF[t]: apply_source(conn, s, event))
            for t in SPECS if SOURCE_OF.get(t) in sources}


class EveryType(Mapping):
    """The inbox's handler table: every type of the source, known to reporting or not
    (each names residents the audit timeline must find; SPECS picks what counts)."""

    def __init__(self, source: str, handle: Callable[[sa.Connection, str, Recorded], None]):
        self.source, self.handle = source, handle

    def __getitem__(self, name: str):
        return lambda conn, event: self.handle(conn, self.source, event)

    def __iter__(self):
        return iter(sorted(t for t in SPECS if SOURCE_OF.get(t) == self.source))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def get(self, name, default=None):
        return self[name]


# -- reporting's own events -----------------------------------------------------------

def _report_submitted(conn, event: Recorded) -> None:
    p = event.payload
    trail = approval.fold([event]).trail
    old = conn.execute(sa.select(reports.c.trail).where(reports.c.report_id == p["report_id"])
                       ).scalar()
    conn.execute(reports.delete().where(reports.c.report_id == p["report_id"]))
    conn.execute(reports.insert().values(
        report_id=p["report_id"], level=p["level"], unit_id=p["unit_id"],
        street_id=p["street_id"], district_id=p.get("district_id"), kind=p["kind"],
        period_key=p["period_key"], status=approval.SUBMITTED, revision=p["revision"],
        submitted_by=p["submitted_by"], submitted_at=p["submitted_at"],
        station_ids=dumps(p["station_ids"]), figures=dumps(p["figures"]),
        corrections=dumps(p["corrections"]), watermark=dumps(p["watermark"]),
        counted=dumps(p["counted"]) if p.get("counted") is not None else None,
        summary=p.get("summary"), plan=p.get("plan"),
        trail=dumps((json.loads(old) if old else []) + [dict(t) for t in trail])))


def _report_step(conn, event: Recorded) -> None:
    row = conn.execute(sa.select(reports).where(reports.c.report_id == event.payload["report_id"])
                       ).first()
    state = approval.Report(report_id=row.report_id, level=row.level, revision=row.revision)
    after = approval.evolve(state, event)
    conn.execute(reports.update().where(reports.c.report_id == row.report_id).values(
        status=after.status, trail=dumps(json.loads(row.trail) + [dict(after.trail[-1])])))


def _chain(conn, event: Recorded) -> None:
    p = event.payload
    day = next(p[k] for k in ("held_on", "reported_on", "visited_on", "consulted_on") if k in p)
    conn.execute(chain_records.insert().values(
        record_id=p["record_id"], station_id=p["station_id"], level=CHAIN_LEVELS[event.type],
        type=event.type, on_date=day, payload=dumps(p)))


def _proposed(conn, event: Recorded) -> None:
    p = event.payload
    conn.execute(suggestions.insert().values(
        suggestion_id=p["suggestion_id"], station_id=p["station_id"],
        addressed_to=p["addressed_to"], title=p["title"], proposed_on=p["proposed_on"],
        proposed_by=p["proposed_by"], state="proposed"))


def _answered(conn, event: Recorded) -> None:
    p = event.payload
    conn.execute(suggestions.update().where(suggestions.c.suggestion_id == p["suggestion_id"])
                 .values(state=p["answer"], answered_on=p["answered_on"], comment=p["comment"]))


def _meeting(kind: str, key: str, lead: str, text: str):
    def apply_(conn, event: Recorded) -> None:
        p = event.payload
        conn.execute(meetings.insert().values(
            meeting_id=p["minutes_id" if kind == "minutes" else "record_id"],
            station_id=p["station_id"], kind=kind, period_key=p[key], held_on=p["held_on"],
            lead=p[lead], text=p[text]))
    return apply_


APPLIERS: dict[str, Callable[[sa.Connection, Recorded], None]] = {
    "ReportSubmitted": _report_submitted,
    "ReportAccepted": _report_step, "ReportReturned": _report_step,
    "ReportReopened": _report_step,
    **{t: _chain for t in CHAIN_LEVELS},
    "SuggestionProposed": _proposed, "SuggestionAnswered": _answered,
    "WeeklyMeetingMinuted": _meeting("minutes", "week", "recorded_by", "minutes"),
    "SupervisionRecorded": _meeting("supervision", "month", "supervisor", "topics"),
}
VERSION = 2   # 2: report_reports.counted (the fact ids a submitted report counted)
# Own tables are refolded by the kit when VERSION changes; the facts and the stream
# index come from other services and are rebuilt by `rebuild` below (every source).
projection = Projection("reporting", metadata, APPLIERS, tables=OWN, version=VERSION,
                        not_applying={"ResidentRecordRead"})
apply, apply_all = projection.apply, projection.apply_all


# -- rebuild --------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]   # (source, events read, events in all)
PAGE = 1000


def inbox_name(source: str) -> str:
    """The checkpoint of reporting's inbox for `source` (shared.inbox.Inbox.name)."""
    return f"inbox:reporting:{source}"


def _fold(name: str, store, fold_one: Callable[[Recorded], None],
          progress: Progress | None, conn: sa.Connection | None = None) -> tuple[int, int]:
    """Every event of `store` through `fold_one`, page by page: (events read, last
    position). `conn`: read inside that transaction (reporting's own store, whose write
    lock the rebuild holds, numbered before it began)."""
    while conn is None and store.sequence():
        pass
    total = store.last_position() if conn is None else \
        conn.exec_driver_sql("SELECT coalesce(max(position), 0) FROM events").scalar()
    after, count = 0, 0
    while batch := store.read_all(after, PAGE, conn=conn):
        for event in batch:
            fold_one(event)
        after, count = batch[-1].position, count + len(batch)
        if progress:
            progress(name, count, total)
    return count, after


def rebuild(store, sources: Mapping[str, object], progress: Progress | None = None) -> int:
    """Empty every read model and fold reporting's own events and every source's
    `read_all` again (run it with reporting stopped). Returns the events read."""
    while store.sequence():
        pass
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        count, _ = _fold("reporting", store, lambda e: apply(conn, e), progress, conn)
        for source, source_store in sources.items():
            read, last = _fold(source, source_store,
                               lambda e, s=source: apply_source(conn, s, e), progress)
            # The inbox goes on after what was folded: nothing applied twice or skipped.
            Checkpoint(store.engine, inbox_name(source)).set(last, conn)
            count += read
    return count
