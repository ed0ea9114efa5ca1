"""Roster import (花名册导入), the operation: check a sheet against the store, then write.

    report = import_run.run(store, table, station_id, Importer(actor, role, lookup_key),
                            dry_run=False, now=now, progress=print)

The pure part (services.residents.imports) says what each row means; this module reads
what it needs (the org tree, the ID numbers' claims, the records they name) and, unless
it is a dry run, runs each row's commands through the service's own handlers
(handlers.COMMAND_HANDLERS: the same events, sealing, claims and read models as the API).

Each row is all or nothing: its commands run in one savepoint, undone together if any
refuses (the row is then refused with that reason). Rows are written BATCH at a time in
one transaction, so ten thousand rows cost a few dozen commits, not ten thousand. A dry
run reads only: it writes no event, no key, no read-model row. Every event of one import
carries the importer as actor and one correlation id (the import's), so the audit trail
shows who brought which records in, together.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Callable, Mapping, Sequence

import orjson
import sqlalchemy as sa

from shared import logs
from shared.eventstore import ConcurrencyError, EventStore
from shared.kit import runner
from shared.kit.errors import DomainError, Missing
from shared.kit.ids import new_id
from shared.security import lookup
from shared.security.erasure import KeyVault

from services.residents import commands as c
from services.residents import handlers, imports, privacy, projections, resident
from shared.import_sheet import Table
from services.residents.imports import Checked, Columns, Problem, Verdict
from services.residents.resident import Resident, id_number_stream

log = logs.get("residents")
BATCH = 250
_CHUNK = 500   # ids in one IN (...) of a lookup


@dataclasses.dataclass(frozen=True)
class Importer:
    """Who imports: the user name every event carries, their role (a card needs a
    supervisor's or a station head's), and the key of the ID numbers' keyed hashes."""

    actor: str
    role: str
    lookup_key: bytes


@dataclasses.dataclass
class Report:
    checked: Checked
    kinds: dict[int, str]                  # row number -> new | unchanged | updated | refused
    problems: list[Problem]
    dry_run: bool
    correlation_id: str

    def as_dict(self) -> dict:
        body = imports.summary(self.kinds.values(), self.checked.total, self.problems)
        return {**body, "dry_run": self.dry_run}

    @property
    def refused(self) -> int:
        return len({p.row for p in self.problems})


def run(store: EventStore, table: Table, station_id: str, who: Importer, *, dry_run: bool,
        now: datetime, progress: Callable[[int, int], None] | None = None,
        batch: int = BATCH) -> Report:
    tree = handlers.load_org(store)
    if tree.get("station", station_id) is None:
        raise Missing("Unknown station", "社工站不存在")
    context = Context(tree, handlers.policy_for(tree, station_id))
    checked = imports.check_table(table, tree, station_id, context.policy, now)
    columns = Columns(checked.headers)
    verdicts = judge_all(store, checked.rows, station_id, who, columns)
    kinds = {n: "refused" for n in checked.refused_rows()}
    problems = list(checked.problems)
    for row in checked.rows:
        verdict = verdicts[row.number]
        kinds[row.number] = verdict.kind
        problems += verdict.problems
    correlation_id = str(uuid.uuid4())
    if not dry_run:
        written = write(store, checked.rows, verdicts, now, correlation_id, columns, context,
                        progress, batch)
        for number, problem in written.items():
            kinds[number] = "refused"
            problems.append(problem)
    elif progress:
        progress(len(checked.rows), len(checked.rows))
    report = Report(checked, kinds, problems, dry_run, correlation_id)
    log.info("residents.imported", station_id=station_id, actor=who.actor, dry_run=dry_run,
             correlation_id=correlation_id,
             **{k: v for k, v in report.as_dict().items() if k not in ("errors", "dry_run")})
    return report


# -- reading: what the store knows of each row's ID number ------------------------------------

def judge_all(store: EventStore, rows: Sequence[imports.Row], station_id: str, who: Importer,
              columns: Columns) -> dict[int, Verdict]:
    digests = {row.number: lookup.keyed_hash(row.id_number, who.lookup_key) for row in rows}
    claims = claimed(store, set(digests.values()))
    records = load_residents(store, sorted(set(claims.values())))
    verdicts = {}
    for row in rows:
        resident_id = claims.get(digests[row.number])
        state, erased = records[resident_id] if resident_id else (None, False)
        verdicts[row.number] = imports.judge(
            row, state, station_id, new_id(), digests[row.number], who.actor, who.role, columns,
            erased)
    return verdicts


def load_residents(store: EventStore, resident_ids: Sequence[str]
                   ) -> dict[str, tuple[Resident, bool]]:
    """resident_id -> (their record, erased?), read 500 at a time (a re-import reads every
    row's record: one statement per 500 residents, not three per resident)."""
    vault = KeyVault(store)
    found = {}
    with store.engine.connect() as conn:
        for i in range(0, len(resident_ids), _CHUNK):
            ids = resident_ids[i:i + _CHUNK]
            streams = store.read_streams([resident.stream_of(r) for r in ids], conn)
            entries = vault.entries(ids, conn)
            live = {r: key for r, (key, destroyed) in entries.items() if key and not destroyed}
            for resident_id in ids:
                events = privacy.SEALING.unseal(
                    vault, streams.get(resident.stream_of(resident_id), []), conn, known=live)
                found[resident_id] = (resident.fold(events),
                                      entries.get(resident_id, (None, False))[1])
    return found


def claimed(store: EventStore, digests: set[str]) -> dict[str, str]:
    """digest -> the resident holding that ID number, for those claimed (chunked reads)."""
    streams = {id_number_stream(d): d for d in digests}
    found, names = {}, sorted(streams)
    query = sa.text("SELECT stream_id, payload FROM events WHERE stream_version = 1 "
                    "AND stream_id IN :ids").bindparams(sa.bindparam("ids", expanding=True))
    with store.engine.connect() as conn:
        for i in range(0, len(names), _CHUNK):
            for stream_id, payload in conn.execute(query, {"ids": names[i:i + _CHUNK]}):
                found[streams[stream_id]] = orjson.loads(payload)["resident_id"]
    return found


# -- writing: each row in a savepoint, a batch of rows a transaction ----------------------------

def write(store: EventStore, rows: Sequence[imports.Row], verdicts: Mapping[int, Verdict],
          now: datetime, correlation_id: str, columns: Columns, context: Context,
          progress: Callable[[int, int], None] | None, batch: int) -> dict[int, Problem]:
    """Run the rows' commands; returns the problems of rows refused while writing."""
    KeyVault(store)  # its table made before any transaction (SQLite)
    todo = [r for r in rows if verdicts[r.number].commands]
    refused: dict[int, Problem] = {}
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        with store.engine.begin() as conn:
            new = [r for r in chunk if isinstance(verdicts[r.number].commands[0],
                                                  c.RegisterResident)]
            written = register_many(store, conn, new, verdicts, now, correlation_id, columns,
                                    context, refused) if len(new) > 1 else set()
            for row in chunk:
                if row.number in written or row.number in refused:
                    continue
                problem = write_row(store, conn, row, verdicts[row.number].commands, now,
                                    correlation_id, columns, context)
                if problem is not None:
                    refused[row.number] = problem
        if progress:
            progress(min(start + batch, len(todo)), len(todo))
    if progress and not todo:
        progress(0, 0)
    return refused


def register_many(store: EventStore, conn: sa.Connection, rows: Sequence[imports.Row],
                  verdicts: Mapping[int, Verdict], now: datetime, correlation_id: str,
                  columns: Columns, context: "Context", refused: dict[int, Problem]) -> set[int]:
    """New residents, a batch at once: the same decisions, claims, keys, sealing and read
    models as `register_new`, in a few statements for the whole batch (EventStore.
    append_streams, KeyVault.create_many, Projection.apply_streams). Rows the aggregate
    refuses go to `refused`; the others are written together, in one savepoint. Returns
    the rows written; none when the batch meets the store changed since the rows were
    judged (an ID number claimed meanwhile): the caller then writes them row by row, and
    each gets the handlers' own answer."""
    decided: list[tuple[imports.Row, c.RegisterResident, list]] = []
    for row in rows:
        register, *card = verdicts[row.number].commands
        try:
            handlers.check_community_in_station(context.tree, register.community_id,
                                                register.station_id)
            events = resident.decide(Resident(), register, now, context.policy)
            for command in card:
                events += resident.decide(resident.fold(events), command, now, context.policy)
        except DomainError as err:
            refused[row.number] = _refusal(row, err, columns)
            continue
        decided.append((row, register, events))
    if not decided:
        return set()
    vault = KeyVault(store)
    try:
        with conn.begin_nested():
            keys = vault.create_many([r.resident_id for _, r, _ in decided], conn, now)
            writes = []
            for _, register, events in decided:
                writes.append((resident.id_number_stream(register.id_digest), 0,
                               runner.stamp([resident.id_number_claim(register)], correlation_id)))
                writes.append((resident.stream_of(register.resident_id), 0,
                               privacy.seal(vault, runner.stamp(events, correlation_id), conn,
                                            keys)))
            stored = store.append_streams(writes, conn=conn, now=now)
            opened = [privacy.SEALING.unseal(vault, events, conn, known=keys)
                      for events in stored[1::2]]
            projections.projection.apply_streams(conn, opened)
    except ConcurrencyError:
        return set()
    return {row.number for row, _, _ in decided}


def _refusal(row: imports.Row, err: DomainError, columns: Columns) -> Problem:
    field = next(iter(err.fields), "id_number")
    return Problem(row.number, columns.label(imports.FIELD_OF_KEY.get(field, "id_number")),
                   err.message, err.message_zh)


def write_row(store: EventStore, conn: sa.Connection, row: imports.Row, commands: Sequence,
              now: datetime, correlation_id: str, columns: Columns,
              context: "Context") -> Problem | None:
    """The row's commands in one savepoint: all written, or none and the reason."""
    if isinstance(commands[0], c.RegisterResident):
        work = lambda tx: register_new(store, tx, commands, now, correlation_id, context)  # noqa: E731
    else:
        def work(tx):
            for command in commands:
                handlers.COMMAND_HANDLERS[type(command)](store, command, now, correlation_id,
                                                         tx, None)
    try:
        runner.transact(store.engine, work, conn)
    except DomainError as err:
        return _refusal(row, err, columns)
    except ConcurrencyError:
        return Problem(row.number, columns.label("id_number"),
                       "The record changed while importing: import the file again",
                       "导入期间该档案被修改，请重新导入")
    return None


@dataclasses.dataclass(frozen=True)
class Context:
    """What every row of one import decides against: the org tree and the station's policy."""

    tree: object
    policy: resident.Policy


def register_new(store: EventStore, conn: sa.Connection, commands: Sequence, now: datetime,
                 correlation_id: str, context: Context) -> None:
    """A new resident and their first card, as the register and card-override handlers
    would write them (the same decisions, claim, sealing and read models), in one append
    to the fresh stream: the import's hot path, a dozen statements a row instead of thirty."""
    register, *card = commands
    handlers.check_community_in_station(context.tree, register.community_id, register.station_id)
    events = resident.decide(Resident(), register, now, context.policy)
    for command in card:
        events += resident.decide(resident.fold(events), command, now, context.policy)
    claim = runner.stamp([resident.id_number_claim(register)], correlation_id)
    try:  # unclaimed when the rows were judged: claim it without reading it again
        store.append(resident.id_number_stream(register.id_digest), 0, claim, conn=conn, now=now)
    except ConcurrencyError:  # claimed since: the handler's own answer (409, the holder)
        handlers._claim_id_number(store, conn, register, now, correlation_id)
    handlers._append(store, conn, resident.stream_of(register.resident_id), 0,
                     runner.stamp(events, correlation_id), now)
