"""After a fault: what the driver was told, against what the sources stored and what
reporting shows.

- Every command answered 2xx has exactly one event in its source store, reflected in
  reporting's facts (`lost`: none reflected; `doubled`: more than one event).
- A command answered 4xx or never sent wrote nothing; one answered 5xx or cut off wrote
  its event whole (stored and reflected) or not at all (`half`: stored, not reflected).
- Nothing of the station is in a source or in reporting that no command explains.
- The station's reported summary equals the driver's tally of the commands applied.
- `station events verify` finds every chain and signature intact; parked queues are empty
  or hold only the poison messages scenarios injected (named by their event ids).
- A source store restored from a backup: a command of that source accepted between the
  backup's start and the restored service's start whose event is gone is *rolled back
  by the restore* (counted apart, not lost; one accepted before the backup or after the
  restore must be there), and what every consumer folded from that source equals a fold
  of the restored store's events (a rebuild).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from services.reporting import queries
from services.reporting.projections import facts as facts_table
from station import parked
from tests.faults.workload import CARDS, Sent
from tests.support.auth import call

# kind -> (source service, event type, payload field holding the id the answer gave)
KINDS = {
    "resident": ("residents", "ResidentRegistered", "resident_id"),
    "card": ("residents", "CardAssigned", "resident_id"),
    "case": ("casework", "CaseOpened", "case_id"),
    "visit": ("casework", "VisitRecorded", "visit_id"),
    "activity": ("activities", "ActivityPlanned", "activity_id"),
    "attendance": ("activities", "AttendanceRecorded", "activity_id"),
    "donation": ("resources", "ResourceDonated", "donation_id"),
    "allocation": ("resources", "ResourceAllocated", "allocation_id"),
}
TYPES = {event_type: kind for kind, (_, event_type, _) in KINDS.items()}
SOURCES = sorted({source for source, _, _ in KINDS.values()})


@dataclass
class Row:
    scenario: str
    sent: int = 0
    accepted: int = 0
    ambiguous: int = 0
    reflected: int = 0
    lost: int = 0
    doubled: int = 0
    half: int = 0
    rolled_back: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    HEAD = ("scenario", "sent", "accepted", "5xx/cut", "reflected", "rolled back by restore",
            "lost", "doubled", "half-applied", "s to converge")

    def cells(self) -> tuple:
        return (self.scenario, self.sent, self.accepted, self.ambiguous, self.reflected,
                self.rolled_back, self.lost, self.doubled, self.half, f"{self.seconds:.0f}")


def table(rows: list[Row]) -> str:
    """A Markdown table of the rows."""
    lines = ["| " + " | ".join(Row.HEAD) + " |", "|" + "---|" * len(Row.HEAD)]
    lines += ["| " + " | ".join(str(c) for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


# -- what the stores hold --------------------------------------------------------------

def source_events(plant, station: str) -> dict[str, list]:
    """The station's events of the tracked types, by kind, from each source's store."""
    found: dict[str, list] = {kind: [] for kind in KINDS}
    for source in SOURCES:
        store, after = plant.store(source), 0
        while True:
            batch = store.read_all(after, 1000)
            if not batch:
                break
            for event in batch:
                kind = TYPES.get(event.type)
                if kind and KINDS[kind][0] == source and \
                        (event.payload.get("station_id") or event.station_id) == station:
                    found[kind].append(event)
            after = batch[-1].position
    return found


def reflected_ids(plant, event_ids: set[str]) -> Counter:
    """How many of reporting's facts came from each of these events."""
    store = plant.store("reporting")
    seen: Counter = Counter()
    ids = sorted(event_ids)
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for (fact_id,) in conn.execute(sa.select(facts_table.c.fact_id)
                                           .where(facts_table.c.fact_id.in_(chunk))):
                seen[fact_id] += 1
    return seen


def _matches(event, match: dict) -> bool:
    for key, want in match.items():
        got = event.payload.get(key)
        if key in ("value", "amount"):
            if got is None or Decimal(str(got)) != Decimal(str(want)):
                return False
        elif got != want:
            return False
    return True


def events_of(sent: Sent, events: dict[str, list]) -> list:
    """The source events that this command wrote."""
    _, _, subject_field = KINDS[sent.kind]
    if sent.outcome == "accepted" and sent.subject:
        return [e for e in events[sent.kind] if e.payload.get(subject_field) == sent.subject]
    if not sent.match:
        return []
    return [e for e in events[sent.kind] if _matches(e, sent.match)]


# -- convergence and the verdict -------------------------------------------------------

def converge(plant, station: str, timeout: float = 240.0) -> float:
    """Seconds until every tracked event of the station's sources is in reporting's facts
    (then a little longer, so that what the sources' relays still held has gone too)."""
    started = time.monotonic()
    while True:
        events = source_events(plant, station)
        ids = {e.event_id for batch in events.values() for e in batch}
        if ids and set(reflected_ids(plant, ids)) == ids and _caught_up(plant):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return time.monotonic() - started
        time.sleep(0.3)


def _caught_up(plant) -> bool:
    """Reporting's watermark per source equals each source's last position."""
    with plant.store("reporting").engine.connect() as conn:
        marks = queries.watermark(conn)
    return all(marks.get(s) == plant.store(s).last_position() for s in SOURCES)


def rolled_back(sent: Sent, restored: tuple[str, float, float] | None) -> bool:
    """Accepted by the restored source between the backup's start and the restore's end
    (its event may be gone: the backup did not hold it)."""
    if restored is None:
        return False
    source, since, until = restored
    return KINDS[sent.kind][0] == source and since <= sent.ended_at <= until


def verdict(plant, scenario: str, station: str, head_token: str, sents: list[Sent],
            seconds: float, poisons: set[str] = frozenset(),
            restored: tuple[str, float, float] | None = None) -> Row:
    """`restored`: (source, backup started, restored service started) when a source's
    store was restored from a backup during the load."""
    row = Row(scenario, seconds=seconds, sent=len(sents))
    events = source_events(plant, station)
    every_id = {e.event_id for batch in events.values() for e in batch}
    facts = reflected_ids(plant, every_id)
    claimed: set[str] = set()
    applied: list[Sent] = []
    for sent in sents:
        mine = events_of(sent, events)
        claimed |= {e.event_id for e in mine}
        shown = sum(1 for e in mine if facts[e.event_id])
        if sent.outcome == "accepted" and not mine and rolled_back(sent, restored):
            row.accepted += 1
            row.rolled_back += 1
        elif sent.outcome == "accepted":
            row.accepted += 1
            row.reflected += 1 if shown == 1 and len(mine) == 1 else 0
            row.lost += 1 if shown == 0 else 0
            row.doubled += 1 if len(mine) > 1 else 0
            if len(mine) == 1:
                applied.append(sent)
        elif sent.outcome == "ambiguous":
            row.ambiguous += 1
            row.half += 1 if shown != len(mine) else 0
            row.doubled += 1 if len(mine) > 1 else 0
            if len(mine) == 1:
                applied.append(sent)
        elif mine:
            row.problems.append(f"{sent.kind} answered {sent.status} yet written")
    unmatched_residents = sum(1 for s in sents if s.kind == "resident" and s.outcome == "ambiguous")
    for kind, batch in events.items():
        extra = [e for e in batch if e.event_id not in claimed]
        if kind == "resident" and len(extra) <= unmatched_residents:
            row.half += sum(1 for e in extra if not facts[e.event_id])
            continue
        if extra:
            row.problems.append(f"{len(extra)} {kind} event(s) no command explains")
    row.problems += _figures(plant, station, head_token, applied)
    row.problems += verify_chains(plant)
    row.problems += parked_problems(plant, poisons)
    if restored is not None:
        row.problems += rebuild_problems(plant, restored[0])
    return row


def _figures(plant, station: str, head_token: str, applied: list[Sent]) -> list[str]:
    """The station's summary against the tally of the commands applied."""
    want = {"cases_open": 0, "visits": 0, "activities": 0, "person_times": 0,
            "resources_rmb": Decimal("0"), "cards": {c: 0 for c in CARDS}}
    for sent in applied:
        for key, value in sent.tally.items():
            if key == "cards":
                want["cards"][value] += 1
            else:
                want[key] += value
    status, got = call(plant.url("reporting"), "GET",
                       f"/api/v1/reports/stations/{station}/summary", token=head_token)
    if status != 200:
        return [f"summary answered {status}"]
    got = {k: got[k] for k in want}
    got["resources_rmb"] = Decimal(got["resources_rmb"])
    return [] if got == want else [f"figures {got} != tally {want}"]


def verify_chains(plant) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "station.cli", "events", "verify",
                           "--data-dir", plant.data_dir], env=plant.env,
                          capture_output=True, text=True, timeout=300)
    return [] if done.returncode == 0 else [f"events verify: {done.stdout[-800:]}"]


def parked_problems(plant, poisons: set[str]) -> list[str]:
    """Parked queues empty, or holding only the named poison messages."""
    problems = []
    for row in parked.counts(plant.env["AMQP_URI"]):
        if not row["parked"]:
            continue
        held = parked.peek(plant.env["AMQP_URI"], row["consumer"], row["source"])
        others = [m for m in held if m["event_id"] not in poisons]
        if others:
            problems.append(f"{row['queue']}: {len(others)} parked: "
                            + json.dumps([(m["type"], m["error"]) for m in others[:3]],
                                         ensure_ascii=False, default=str)[:600])
    return problems


def rebuild_problems(plant, source: str) -> list[str]:
    """What each consumer folded from `source` against a fold of the source's events as
    its store holds them now: reporting's facts of that source, and (for the residents'
    store) the tables casework, activities and resources keep from its events, folded
    again inside a transaction that is rolled back (tests/integration/
    test_resync_read_models.py does the same with `station projections rebuild`)."""
    from services.reporting.facts import FactIndex
    from tests.integration.test_resync_read_models import FROM_RESIDENTS, folded_again
    store, after, events = plant.store(source), 0, []
    while batch := store.read_all(after, 1000):
        events += batch
        after = batch[-1].position
    problems = []
    index = FactIndex()
    for event in events:
        index.add(source, event)
    want = {f.fact_id: json.dumps(f.row(), sort_keys=True, default=str) for f in index.facts}
    with plant.store("reporting").engine.connect() as conn:
        live = {r.fact_id: json.dumps(queries.fact_of_row(r._mapping).row(), sort_keys=True,
                                      default=str)
                for r in conn.execute(sa.select(facts_table)
                                      .where(facts_table.c.source == source))}
    if live != want:
        problems.append(f"reporting's {source} facts differ from a rebuild: "
                        f"{len(set(live) - set(want))} not in the source, "
                        f"{len(set(want) - set(live))} missing, "
                        f"{sum(1 for k in set(live) & set(want) if live[k] != want[k])} "
                        "different")
    if source == "residents":
        for consumer, (tables, appliers) in FROM_RESIDENTS.items():
            engine = plant.store(consumer).engine
            with engine.connect() as conn:
                now = {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)))
                       for t in tables}
            if now != folded_again(engine, tables, appliers, events):
                problems.append(f"{consumer}'s tables from {source} differ from a rebuild")
    return problems
