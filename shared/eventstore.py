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

How an append reaches PostgreSQL (outside a caller's transaction): as ONE autocommit
statement, which is atomic by itself and costs one round trip after the pool's ping.
The INSERT carries the new rows as a JSON array, already numbered and hash-chained onto
the hash of event `expected_version`, and inserts them only if that event is stored with
that hash; if event `expected_version + 1` exists, the unique (stream_id,
stream_version) constraint refuses the whole statement. The store remembers the last
(version, hash) it wrote or read per stream, so an append after a read needs no lookup;
that memory is only a hint, since the statement checks it. Anything unexpected (a stale
hint, a stream shorter than expected) falls back to the general path, a transaction
that reads the head and decides as before; a conflict is resolved exactly as before.
"""
from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime
from typing import Iterable, Iterator, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shared import fencing, hashchain
from shared.events import NewEvent, Recorded, Registry, iso, utcnow
from shared.tables import events as T

# Recorded's fields, in order: rows are selected in this order and turned into Recorded
# positionally (no dict per row).
_COLUMNS = ("event_id", "stream_id", "stream_version", "position", "type", "schema_version",
            "station_id", "occurred_at", "recorded_at", "actor", "correlation_id",
            "causation_id", "payload", "prev_hash", "hash", "signature")
assert _COLUMNS == tuple(f.name for f in dataclasses.fields(Recorded))
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM events "

# SQLAlchemy statements, built once (the generic path: SQLite, or inside a caller's
# transaction).
_HEAD = sa.text("SELECT stream_version, hash FROM events WHERE stream_id = :s "
                "ORDER BY stream_version DESC LIMIT 1")
_BY_IDS = sa.text(_SELECT + "WHERE event_id IN :ids ORDER BY id").bindparams(
    sa.bindparam("ids", expanding=True))
_STREAM = sa.text(_SELECT + "WHERE stream_id = :s AND stream_version > :v "
                  "ORDER BY stream_version")
_STREAM_AS_OF = sa.text(_SELECT + "WHERE stream_id = :s AND stream_version > :v "
                        "AND recorded_at <= :t ORDER BY stream_version")
# The heads of many streams at once (append_streams), _HEADS_CHUNK ids a statement.
_HEADS = sa.text(
    "SELECT e.stream_id, e.stream_version, e.hash FROM events e JOIN "
    "(SELECT stream_id, max(stream_version) AS v FROM events WHERE stream_id IN :ids "
    " GROUP BY stream_id) m ON e.stream_id = m.stream_id AND e.stream_version = m.v"
).bindparams(sa.bindparam("ids", expanding=True))
_HEADS_CHUNK = 500
_STREAMS = sa.text(_SELECT + "WHERE stream_id IN :ids ORDER BY stream_id, stream_version"
                   ).bindparams(sa.bindparam("ids", expanding=True))
_ALL = sa.text(_SELECT + "WHERE position > :p ORDER BY position LIMIT :n")

# psycopg statements (the PostgreSQL path outside a caller's transaction). Each runs as
# one autocommit statement, so it is atomic on its own and costs one round trip; the
# text never varies, so psycopg prepares it on the server after a few uses. The rows of
# an append travel as one JSON array (orjson encodes it in microseconds; per-column
# array parameters cost far more to adapt).
_INSERTED = ("event_id", "stream_id", "stream_version", "type", "schema_version",
             "station_id", "occurred_at", "recorded_at", "actor", "correlation_id",
             "causation_id", "payload", "prev_hash", "hash", "signature")
_PG_INSERT = (
    "INSERT INTO events (" + ", ".join(_INSERTED) + ") SELECT " + ", ".join(_INSERTED)
    + " FROM json_to_recordset(%s::json) AS r("
    + ", ".join(c + (" integer" if c in ("stream_version", "schema_version") else " text")
                for c in _INSERTED) + ")")
# Appending after version v > 0: the rows go in only if event v is the one whose hash
# the new chain was sealed onto. (Event v+1 existing already is caught by the unique
# (stream_id, stream_version) constraint, as before.)
_PG_INSERT_AFTER = _PG_INSERT + (" WHERE EXISTS (SELECT 1 FROM events WHERE stream_id = %s "
                                 "AND stream_version = %s AND hash = %s)")
_PG_HASH_AT = "SELECT hash FROM events WHERE stream_id = %s AND stream_version = %s"
_PG_STREAM = _SELECT + "WHERE stream_id = %s AND stream_version > %s ORDER BY stream_version"
_PG_STREAM_AS_OF = (_SELECT + "WHERE stream_id = %s AND stream_version > %s "
                    "AND recorded_at <= %s ORDER BY stream_version")
_PG_ALL = _SELECT + "WHERE position > %s ORDER BY position LIMIT %s"

# Stream heads this store has seen, as hints (stream_id -> (version, hash)); bounded.
_KNOWN_HEADS_MAX = 50_000

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

    # signing: a shared.signing.Signer set by shared.stores.open_store; each appended
    # event's hash is signed with it. None (a bare store in tests) stores no signature.
    signer = None

    def __init__(self, engine: sa.Engine, registry: Registry):
        self.engine = engine
        self.registry = registry
        self._postgres = engine.dialect.name == "postgresql"
        # stream_id -> (version, hash) of an event this store wrote or read. Only a hint:
        # an append that relies on it is checked against the row in the same statement.
        self._heads: dict[str, tuple[int, str]] = {}

    # -- writing ---------------------------------------------------------------

    def append(self, stream_id: str, expected_version: int, new_events: Sequence[NewEvent],
               conn: sa.Connection | None = None, now: datetime | None = None) -> list[Recorded]:
        """Store `new_events` at the end of the stream, atomically.

        Raises ConcurrencyError (nothing written) if the stream is not at
        `expected_version`. Appending events whose ids are all stored already is a no-op
        that returns the stored events, so a writer may retry safely after a timeout.
        Invalid payloads raise before any I/O. Pass `conn` to append inside the
        caller's transaction (a subscriber writing its checkpoint in the same commit).
        While a request's idempotency key is held (shared.fencing), the append marks it
        in the same transaction, so it takes the transactional path on PostgreSQL too.
        """
        if not new_events:
            return []
        recorded_at = iso(now or utcnow())
        drafts = [self._draft(stream_id, e, recorded_at) for e in new_events]
        fence = fencing.current(self.engine)  # an Idempotency-Key, marked in the write
        if conn is not None:
            if fence is not None:
                fence.mark(conn)
            return self._append_within(conn, stream_id, expected_version, drafts)
        if self._postgres and fence is None:
            stored = self._append_postgres(stream_id, expected_version, drafts)
            if stored is not None:
                return stored
        try:
            with self.engine.begin() as own:
                if fence is not None:
                    fence.mark(own)
                stored = self._insert(own, stream_id, expected_version, drafts)
        except IntegrityError:
            with self.engine.begin() as own:
                return self._already_stored(own, stream_id, expected_version, drafts)
        self._remember(stored[-1])
        return stored

    def append_streams(self, writes: Sequence[tuple[str, int, Sequence[NewEvent]]],
                       conn: sa.Connection | None = None, now: datetime | None = None
                       ) -> list[list[Recorded]]:
        """Many streams' events in one transaction: all stored, or nothing.

        `writes` is a list of (stream_id, expected_version, events), each stream named
        once; each obeys `append`'s rules. A stream whose events are all stored already
        is left as it is and its stored events returned (a retried batch is a no-op);
        any other stream not at its expected version raises ConcurrencyError (naming
        it) and nothing of the batch is written. Every payload is validated before any
        I/O; then one head lookup per 500 streams and one multi-row INSERT for the lot,
        each stream hash-chained onto its head and each event signed exactly as
        `append` does, so `verify` and the relay (the event table is the outbox) see no
        difference. Returns the stored events, one list per write, in order.

        What a bulk writer (a roster import) uses instead of thousands of appends: a
        few statements for a whole batch. Pass `conn` to write inside the caller's
        transaction (in a savepoint of it: a refusal undoes only this batch).
        """
        streams = [w[0] for w in writes]
        if len(set(streams)) != len(streams):
            raise ValueError("append_streams: a stream is named twice in one batch")
        recorded_at = iso(now or utcnow())
        drafts = [[self._draft(s, e, recorded_at) for e in events] for s, _, events in writes]
        heads = [(s, v) for s, v, _ in writes]
        fence = fencing.current(self.engine)
        if conn is not None:
            if fence is not None:
                fence.mark(conn)
            return self._insert_streams_within(conn, heads, drafts)
        with self.engine.begin() as own:
            if fence is not None:
                fence.mark(own)
            stored = self._insert_streams_within(own, heads, drafts)
        for events in stored:
            if events:
                self._remember(events[-1])
        return stored

    def _insert_streams_within(self, conn, heads, drafts) -> list[list[Recorded]]:
        """In a savepoint; after a unique violation (a rival wrote one of the streams,
        or an event id is reused) once more, reading the heads again: the rival's rows
        then decide (stored already, or ConcurrencyError)."""
        for attempt in (1, 2):
            try:
                with conn.begin_nested():
                    return self._insert_streams(conn, heads, drafts)
            except IntegrityError:
                if attempt == 2:  # an event id stored in another stream: name the write
                    raise self._reused(conn, heads, drafts) from None
        raise AssertionError("unreachable")

    def _reused(self, conn, heads, drafts) -> ConcurrencyError:
        taken = {e.event_id for e in self._by_ids(conn, [d["event_id"] for ds in drafts
                                                         for d in ds])}
        for (stream_id, expected), stream_drafts in zip(heads, drafts):
            if any(d["event_id"] in taken for d in stream_drafts):
                return ConcurrencyError(stream_id, expected, self._head(conn, stream_id)[0])
        return ConcurrencyError(heads[0][0], heads[0][1], self._head(conn, heads[0][0])[0])

    def _insert_streams(self, conn, heads, drafts) -> list[list[Recorded]]:
        found = self._heads_of(conn, [s for s, _ in heads])
        rows, results = [], []
        for (stream_id, expected), stream_drafts in zip(heads, drafts):
            version, prev = found.get(stream_id, (0, hashchain.GENESIS))
            if version != expected:
                results.append(self._already_stored(conn, stream_id, expected, stream_drafts,
                                                    version))
                continue
            sealed, recorded = _sealed(stream_id, version, prev, stream_drafts, self.signer)
            rows += sealed
            results.append(recorded)
        if rows:
            conn.execute(T.insert(), [dict(zip(_INSERTED, row)) for row in rows])
        return results

    def _heads_of(self, conn, stream_ids: list[str]) -> dict[str, tuple[int, str]]:
        """stream_id -> (version, hash) of its last event, for those that have events."""
        found = {}
        for i in range(0, len(stream_ids), _HEADS_CHUNK):
            for stream_id, version, hash_ in conn.execute(
                    _HEADS, {"ids": stream_ids[i:i + _HEADS_CHUNK]}):
                found[stream_id] = (version, hash_)
        return found

    def _append_within(self, conn, stream_id, expected_version, drafts):
        try:
            with conn.begin_nested():
                return self._insert(conn, stream_id, expected_version, drafts)
        except IntegrityError:
            return self._already_stored(conn, stream_id, expected_version, drafts)

    def _append_postgres(self, stream_id, expected_version, drafts) -> list[Recorded] | None:
        """One autocommit INSERT (atomic on its own), sealed onto the hash of event
        `expected_version`, which is known here when this store wrote or read it last,
        else looked up by version. The INSERT writes nothing unless that event is there
        with that hash; event `expected_version + 1` existing already breaks the unique
        (stream_id, stream_version) constraint. Returns None, having written nothing, when
        the generic path must decide (a hint that was stale, a stream not at the expected
        version); raises ConcurrencyError or returns the stored events after a conflict.
        """
        if expected_version == 0:
            prev = hashchain.GENESIS
        else:
            head = self._heads.get(stream_id)
            prev = head[1] if head is not None and head[0] == expected_version else None
        try:
            with self._autocommit() as pg:
                if prev is None:
                    row = pg.execute(_PG_HASH_AT, (stream_id, expected_version)).fetchone()
                    if row is None:  # the stream is not that long: let the generic path say
                        return None
                    prev = row[0]
                rows, recorded = _sealed(stream_id, expected_version, prev, drafts, self.signer)
                batch = orjson.dumps([dict(zip(_INSERTED, row)) for row in rows]).decode()
                if expected_version == 0:
                    inserted = pg.execute(_PG_INSERT, (batch,)).rowcount
                else:
                    inserted = pg.execute(_PG_INSERT_AFTER,
                                          (batch, stream_id, expected_version, prev)).rowcount
        except IntegrityError:
            with self.engine.begin() as own:
                return self._already_stored(own, stream_id, expected_version, drafts)
        if inserted != len(rows):  # nothing written: event `expected_version` differs
            self._heads.pop(stream_id, None)
            return None
        self._remember(recorded[-1])
        return recorded

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
        rows, recorded = _sealed(stream_id, version, prev, drafts, self.signer)
        conn.execute(T.insert(), [dict(zip(_INSERTED, row)) for row in rows])
        return recorded

    def _already_stored(self, conn, stream_id, expected_version, drafts, actual=None):
        ids = [d["event_id"] for d in drafts]
        stored = self._by_ids(conn, ids)
        if len(stored) == len(ids):
            return stored
        if actual is None:
            actual, _ = self._head(conn, stream_id)
        raise ConcurrencyError(stream_id, expected_version, actual)

    def _head(self, conn, stream_id: str) -> tuple[int, str]:
        row = conn.execute(_HEAD, {"s": stream_id}).first()
        return (row[0], row[1]) if row else (0, hashchain.GENESIS)

    def _by_ids(self, conn, ids: list[str]) -> list[Recorded]:
        return self._decode(conn.execute(_BY_IDS, {"ids": ids}).fetchall())

    def _remember(self, event: Recorded) -> None:
        heads = self._heads
        if len(heads) >= _KNOWN_HEADS_MAX:
            heads.clear()
        heads[event.stream_id] = (event.stream_version, event.hash)

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
        if conn is None and self._postgres:
            with self._autocommit() as pg:
                if as_of is None:
                    rows = pg.execute(_PG_STREAM, (stream_id, from_version)).fetchall()
                else:
                    rows = pg.execute(_PG_STREAM_AS_OF,
                                      (stream_id, from_version, iso(as_of))).fetchall()
        else:
            with self._reading(conn) as c:
                if as_of is None:
                    rows = c.execute(_STREAM, {"s": stream_id, "v": from_version}).fetchall()
                else:
                    rows = c.execute(_STREAM_AS_OF, {"s": stream_id, "v": from_version,
                                                     "t": iso(as_of)}).fetchall()
        events = self._decode(rows)
        if events and conn is None:
            self._remember(events[-1])
        return events

    def read_streams(self, stream_ids: Sequence[str], conn: sa.Connection | None = None
                     ) -> dict[str, list[Recorded]]:
        """Many streams' events at once (500 streams a statement): stream_id -> events in
        version order, for those that have events (a bulk reader's read_stream)."""
        wanted = list(dict.fromkeys(stream_ids))
        found: dict[str, list[Recorded]] = {}
        with self._reading(conn) as c:
            for i in range(0, len(wanted), _HEADS_CHUNK):
                rows = c.execute(_STREAMS, {"ids": wanted[i:i + _HEADS_CHUNK]}).fetchall()
                for event in self._decode(rows):
                    found.setdefault(event.stream_id, []).append(event)
        return found

    def read_all(self, after_position: int = 0, limit: int = 1000,
                 conn: sa.Connection | None = None) -> list[Recorded]:
        """Events with positions after `after_position`, in position order, at most `limit`.

        Numbers newly visible events first, so a reader never waits on another process.
        """
        if conn is None:
            self.sequence()
            if self._postgres:
                with self._autocommit() as pg:
                    return self._decode(pg.execute(_PG_ALL, (after_position, limit)).fetchall())
        with self._reading(conn) as c:
            return self._decode(c.execute(_ALL, {"p": after_position, "n": limit}).fetchall())

    @property
    def store_id(self) -> str:
        """This store's identity, made when it was created (migration 0002)."""
        if getattr(self, "_store_id", None) is None:
            with self.engine.connect() as conn:
                self._store_id = conn.exec_driver_sql(
                    "SELECT value FROM store_meta WHERE key = 'store_id'").scalar()
        return self._store_id

    def committed_head(self) -> int:
        """The last position once every event committed before this call is numbered.

        What a subscriber must reach to have seen all of them (shared.freshness): the
        relay publishes them all, in this order. Unlike `sequence`, on PostgreSQL this
        waits for a sequencer at work (the relay's) instead of skipping, or a committed
        but not yet numbered event would be left above the answer."""
        with self.engine.begin() as conn:
            if self._postgres:
                conn.exec_driver_sql(
                    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.sequencer'))")
            while conn.execute(_SEQUENCE, {"limit": 10_000}).rowcount:
                pass
            return conn.exec_driver_sql("SELECT coalesce(max(position), 0) FROM events").scalar()

    def last_position(self) -> int:
        with self._reading(None) as c:
            return c.exec_driver_sql("SELECT coalesce(max(position), 0) FROM events").scalar()

    def stream_version(self, stream_id: str, conn: sa.Connection | None = None) -> int:
        with self._reading(conn) as c:
            return self._head(c, stream_id)[0]

    def verify(self, stream_id: str | None = None, seal_check=None) -> list[dict]:
        """The first break of every damaged stream (see hashchain.first_break); [] if sound.

        signing: `seal_check(stream)` (shared.signing.first_unsealed) checks the
        signatures of a stream whose chain holds, so a rewritten chain is caught too."""
        sql = ("SELECT stream_id, stream_version, event_id, type, schema_version, station_id, "
               "occurred_at, recorded_at, actor, correlation_id, causation_id, payload, "
               "prev_hash, hash, signature FROM events ")
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
                if problem is None and seal_check is not None:
                    problem = seal_check(stream)
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

    @contextlib.contextmanager
    def _autocommit(self):
        """A pooled psycopg connection in autocommit mode, for single-statement work.

        Checked out and returned like any other (the pool's pre-ping and reset apply);
        driver errors are raised as the SQLAlchemy exceptions the generic path raises,
        and a connection found broken is invalidated rather than pooled again.
        """
        proxied = self.engine.raw_connection()
        try:
            pg = proxied.driver_connection
            if pg.info.transaction_status != 0:  # not idle: cannot switch to autocommit
                pg.rollback()
            pg.autocommit = True
            try:
                yield pg
            finally:
                if not pg.closed:
                    pg.autocommit = False
        except self._driver_error as err:
            dialect = self.engine.dialect
            broken = dialect.is_disconnect(err, proxied.dbapi_connection, None)
            if broken:
                proxied.invalidate(err)
            raise sa.exc.DBAPIError.instance(None, None, err, self._driver_error,
                                             connection_invalidated=broken,
                                             dialect=dialect) from err
        finally:
            proxied.close()

    @property
    def _driver_error(self) -> type[Exception]:
        return self.engine.dialect.loaded_dbapi.Error

    def _decode(self, rows) -> list[Recorded]:
        """Rows selected as _COLUMNS -> Recorded, payloads parsed and upcast."""
        upcast, loads = self.registry.upcast, orjson.loads
        events = []
        append = events.append
        for (event_id, stream_id, stream_version, position, type_, schema_version, station_id,
             occurred_at, recorded_at, actor, correlation_id, causation_id, payload,
             prev_hash, hash_, signature) in rows:
            schema_version, payload = upcast(type_, schema_version, loads(payload))
            append(Recorded(event_id, stream_id, stream_version, position, type_,
                            schema_version, station_id, occurred_at, recorded_at, actor,
                            correlation_id, causation_id, payload, prev_hash, hash_,
                            signature))
        return events

    def _recorded(self, row) -> Recorded:
        return self._decode((row,))[0]


def _sealed(stream_id, version, prev, drafts, signer=None) -> tuple[list[tuple], list[Recorded]]:
    """Number the drafts after `version` and chain them onto `prev`: the rows to insert
    (as _INSERTED, payload as JSON text) and the Recorded events they stand for. With a
    `signer` (shared.signing) each hash is signed too."""
    rows, recorded = [], []
    for draft in drafts:
        version += 1
        draft["stream_version"] = version
        hash_ = hashchain.chain(prev, draft)
        signature = signer.seal(hash_) if signer is not None else None
        payload = draft["payload"]
        rows.append((draft["event_id"], stream_id, version, draft["type"],
                     draft["schema_version"], draft["station_id"], draft["occurred_at"],
                     draft["recorded_at"], draft["actor"], draft["correlation_id"],
                     draft["causation_id"], orjson.dumps(payload).decode(), prev, hash_,
                     signature))
        recorded.append(Recorded(draft["event_id"], stream_id, version, None, draft["type"],
                                 draft["schema_version"], draft["station_id"],
                                 draft["occurred_at"], draft["recorded_at"], draft["actor"],
                                 draft["correlation_id"], draft["causation_id"], payload,
                                 prev, hash_, signature))
        prev = hash_
    return rows, recorded


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
