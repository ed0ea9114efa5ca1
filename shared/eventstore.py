"""The event store: one per service, the single source of truth of that service.

Vocabulary (after pyeventsourcing): a *stream* holds one aggregate's events, numbered
by *stream version* from 1; *expected version* is the version the writer last saw (0
for a new stream); a *position* numbers all events of the store densely in the order
they became visible, and `read_all` follows it.

Why positions are assigned after commit: on PostgreSQL a sequence value taken at
insert becomes visible only at commit, so transactions commit out of order and a reader
that remembers "the last position I saw" skips the late ones for good. Instead of
serialising writers with a table lock, writers insert with no position and a
*sequencer* numbers rows that are already visible, under an advisory lock that only
sequencers take. A row committed later is numbered later, so a reader following
positions can never skip one, and positions have no holes, so a subscriber that sees a
position jump knows it has missed a message.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Iterable, Iterator, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shared import hashchain
from shared.events import NewEvent, Recorded, Registry, iso, utcnow
from shared.tables import events as T

_COLUMNS = ("event_id", "stream_id", "stream_version", "position", "type", "schema_version",
            "station_id", "occurred_at", "recorded_at", "actor", "correlation_id",
            "causation_id", "payload", "prev_hash", "hash")
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM events "

_SEQUENCE = sa.text(
    "UPDATE events SET position = m.base + n.rn "
    "FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM events "
    "      WHERE position IS NULL ORDER BY id LIMIT :limit) AS n, "
    "     (SELECT coalesce(max(position), 0) AS base FROM events) AS m "
    "WHERE events.id = n.id")


class ConcurrencyError(Exception):
    """The stream is not at the expected version: nothing was written."""

    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(f"stream {stream_id}: expected version {expected}, found {actual}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class EventStore:
    """Append to and read one service's events (SQLite or PostgreSQL, same code)."""

    def __init__(self, engine: sa.Engine, registry: Registry):
        self.engine = engine
        self.registry = registry
        self._postgres = engine.dialect.name == "postgresql"

    # -- writing ---------------------------------------------------------------

    def append(self, stream_id: str, expected_version: int, new_events: Sequence[NewEvent],
               conn: sa.Connection | None = None, now: datetime | None = None) -> list[Recorded]:
        """Store `new_events` at the end of the stream, atomically.

        Raises ConcurrencyError (nothing written) if the stream is not at
        `expected_version`. Appending events whose ids are all stored already is a no-op
        that returns the stored events, so a writer may retry safely after a timeout.
        Invalid payloads raise before any I/O. Pass `conn` to append inside the
        caller's transaction (a subscriber writing its checkpoint in the same commit).
        """
        if not new_events:
            return []
        recorded_at = iso(now or utcnow())
        drafts = [self._draft(stream_id, e, recorded_at) for e in new_events]
        if conn is not None:
            return self._append_within(conn, stream_id, expected_version, drafts)
        try:
            with self.engine.begin() as own:
                return self._insert(own, stream_id, expected_version, drafts)
        except IntegrityError:
            with self.engine.begin() as own:
                return self._already_stored(own, stream_id, expected_version, drafts)

    def _append_within(self, conn, stream_id, expected_version, drafts):
        try:
            with conn.begin_nested():
                return self._insert(conn, stream_id, expected_version, drafts)
        except IntegrityError:
            return self._already_stored(conn, stream_id, expected_version, drafts)

    def _draft(self, stream_id: str, event: NewEvent, recorded_at: str) -> dict:
        event_type = self.registry.get(event.type)
        return {
            "event_id": event.event_id, "stream_id": stream_id, "type": event.type,
            "schema_version": event_type.version, "station_id": event.station_id,
            "occurred_at": iso(event.occurred_at) if event.occurred_at else recorded_at,
            "recorded_at": recorded_at, "actor": event.actor,
            "correlation_id": event.correlation_id, "causation_id": event.causation_id,
            "payload": self.registry.validate(event.type, event.payload),
        }

    def _insert(self, conn, stream_id, expected_version, drafts) -> list[Recorded]:
        version, prev = self._head(conn, stream_id)
        if version != expected_version:
            return self._already_stored(conn, stream_id, expected_version, drafts, version)
        rows = []
        for draft in drafts:
            version += 1
            row = {**draft, "stream_version": version, "prev_hash": prev}
            row["hash"] = prev = hashchain.chain(prev, row)
            rows.append(row)
        conn.execute(T.insert(), [{**r, "payload": orjson.dumps(r["payload"]).decode()}
                                  for r in rows])
        return [Recorded(position=None, **r) for r in rows]

    def _already_stored(self, conn, stream_id, expected_version, drafts, actual=None):
        ids = [d["event_id"] for d in drafts]
        stored = self._by_ids(conn, ids)
        if len(stored) == len(ids):
            return stored
        if actual is None:
            actual, _ = self._head(conn, stream_id)
        raise ConcurrencyError(stream_id, expected_version, actual)

    def _head(self, conn, stream_id: str) -> tuple[int, str]:
        row = conn.execute(
            sa.text("SELECT stream_version, hash FROM events WHERE stream_id = :s "
                    "ORDER BY stream_version DESC LIMIT 1"), {"s": stream_id}).first()
        return (row[0], row[1]) if row else (0, hashchain.GENESIS)

    def _by_ids(self, conn, ids: list[str]) -> list[Recorded]:
        rows = conn.execute(sa.text(_SELECT + "WHERE event_id IN :ids ORDER BY id")
                            .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})
        return [self._recorded(r) for r in rows]

    # -- sequencing ------------------------------------------------------------

    def sequence(self, limit: int = 10_000) -> int:
        """Give positions to visible, unnumbered events; returns how many were numbered."""
        with self.engine.begin() as conn:
            if self._postgres:
                got = conn.exec_driver_sql(
                    "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.sequencer'))"
                ).scalar()
                if not got:
                    return 0
            else:
                pending = conn.exec_driver_sql(
                    "SELECT 1 FROM events WHERE position IS NULL LIMIT 1").first()
                if pending is None:
                    return 0
            return conn.execute(_SEQUENCE, {"limit": limit}).rowcount

    # -- reading ---------------------------------------------------------------

    def read_stream(self, stream_id: str, from_version: int = 0, as_of: datetime | None = None,
                    conn: sa.Connection | None = None) -> list[Recorded]:
        """The stream's events after `from_version`; with `as_of`, only those recorded by then."""
        sql = _SELECT + "WHERE stream_id = :s AND stream_version > :v "
        params = {"s": stream_id, "v": from_version}
        if as_of is not None:
            sql += "AND recorded_at <= :t "
            params["t"] = iso(as_of)
        with self._reading(conn) as c:
            return [self._recorded(r) for r in c.execute(sa.text(sql + "ORDER BY stream_version"),
                                                         params)]

    def read_all(self, after_position: int = 0, limit: int = 1000,
                 conn: sa.Connection | None = None) -> list[Recorded]:
        """Events with positions after `after_position`, in position order, at most `limit`.

        Numbers newly visible events first, so a reader never waits on another process.
        """
        if conn is None:
            self.sequence()
        with self._reading(conn) as c:
            rows = c.execute(sa.text(_SELECT + "WHERE position > :p ORDER BY position LIMIT :n"),
                             {"p": after_position, "n": limit})
            return [self._recorded(r) for r in rows]

    def last_position(self) -> int:
        with self._reading(None) as c:
            return c.exec_driver_sql("SELECT coalesce(max(position), 0) FROM events").scalar()

    def stream_version(self, stream_id: str, conn: sa.Connection | None = None) -> int:
        with self._reading(conn) as c:
            return self._head(c, stream_id)[0]

    def verify(self, stream_id: str | None = None) -> list[dict]:
        """The first break of every damaged stream (see hashchain.first_break); [] if sound."""
        sql = ("SELECT stream_id, stream_version, event_id, type, schema_version, station_id, "
               "occurred_at, recorded_at, actor, correlation_id, causation_id, payload, "
               "prev_hash, hash FROM events ")
        params = {}
        if stream_id is not None:
            sql += "WHERE stream_id = :s "
            params["s"] = stream_id
        problems = []
        with self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=5000).execute(
                sa.text(sql + "ORDER BY stream_id, stream_version"), params)
            for _, stream in _group_by_stream(rows):
                problem = hashchain.first_break(stream)
                if problem:
                    problems.append(problem)
        return problems

    # -- helpers ---------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self, conn) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as own:
                yield own

    def _recorded(self, row) -> Recorded:
        data = dict(zip(_COLUMNS, row))
        version, payload = self.registry.upcast(data["type"], data["schema_version"],
                                                orjson.loads(data["payload"]))
        data["schema_version"], data["payload"] = version, payload
        return Recorded(**data)


def _group_by_stream(rows) -> Iterable[tuple[str, list[dict]]]:
    current, batch = None, []
    for row in rows:
        data = row._asdict()
        data["payload"] = orjson.loads(data["payload"])
        if data["stream_id"] != current and batch:
            yield current, batch
            batch = []
        current = data["stream_id"]
        batch.append(data)
    if batch:
        yield current, batch
