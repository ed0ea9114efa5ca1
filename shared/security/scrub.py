"""Erasure down to the bytes on disk: a store is compacted after every key destruction.

Destroying a resident's key (shared.security.erasure) and overwriting what the read
models kept of them removes the data from every answer, but not yet from the files:
SQLite keeps old page images in its write-ahead log and old cells in the free space of
pages and on free pages; PostgreSQL keeps old row versions (dead tuples) until a vacuum,
and a plain VACUUM leaves their bytes in the page.

So every key destruction also *requests a scrub* in its own transaction (a row in
`scrub_requests`, `request(conn)`), and when that transaction's connection goes back to
the pool (the transaction has ended, committed or not) the store is compacted:

- SQLite: VACUUM (the file rebuilt from the live rows: no free pages, no stale cells,
  indexes rebuilt), then `wal_checkpoint(TRUNCATE)` (the log copied in and cut to zero
  bytes). Temporary files go to memory, never beside the store.
- PostgreSQL: once every transaction older than the request has ended (their snapshots
  would keep the old row versions alive through the rewrite), VACUUM FULL of every table of the service's schema but `events` (each
  rewritten into new files, TOAST and indexes too; the old files are unlinked). The
  events table holds personal data only sealed, and a long lock on it would stop the
  service's writes. PostgreSQL's own write-ahead log and its archives are outside the
  store's reach: their retention bounds how long the bytes stay there (docs/security.md).

A request outlives a crash: after start, the first connection returned to the pool
carries out requests left over. A scrub that cannot finish (a lock not granted in time,
a reader holding the log) is logged and tried again on a later return, at most once a
minute; its request stays until it is done.

    scrub.install(engine)          # once per engine (KeyVault does it)
    scrub.request(conn)            # inside the transaction that destroys a key
"""
from __future__ import annotations

import dataclasses
import functools
import re
import time
import weakref
from datetime import datetime

import sqlalchemy as sa

from shared import db

from shared import logs
from shared.events import iso, utcnow

log = logs.get("scrub")

scrub_metadata = sa.MetaData()
scrub_requests = sa.Table(
    "scrub_requests", scrub_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("requested_at", sa.String(32), nullable=False),
)

_DUE = "shared.security.scrub:due"  # in the pooled connection's info
RETRY_S = 60.0
LOCK_TIMEOUT_MS = 10_000
SNAPSHOT_WAIT_S = 10.0  # how long older transactions may hold the erased rows' versions
SQLITE_BUSY_MS, SQLITE_USUAL_BUSY_MS = 5_000, 30_000  # the latter: shared.db's
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_KEPT = ("events",)  # PostgreSQL tables not rewritten (see above)


class ScrubIncomplete(RuntimeError):
    """The store could not be compacted completely this time (tried again later)."""


@dataclasses.dataclass
class _State:
    dialect: str
    pending: bool = True  # look for requests a crash left, at the first return
    next_try: float = 0.0


_installed: "weakref.WeakKeyDictionary[sa.Engine, _State]" = weakref.WeakKeyDictionary()


def install(engine: sa.Engine) -> None:
    """The requests table, and the pool hook that compacts after a requesting transaction."""
    if engine in _installed:
        return
    with engine.begin() as conn:   # replicas starting together
        db.ddl_lock(conn, "scrub-requests")
        scrub_metadata.create_all(conn)
    state = _State(engine.dialect.name)
    _installed[engine] = state
    sa.event.listen(engine, "checkin", functools.partial(_on_checkin, state))


def request(conn: sa.Connection, now: datetime | None = None) -> None:
    """Ask for the store to be compacted once this transaction ends."""
    if conn.engine not in _installed:
        raise RuntimeError("scrub.install(engine) first (outside any transaction)")
    conn.execute(scrub_requests.insert().values(requested_at=iso(now or utcnow())))
    conn.info[_DUE] = True


def outstanding(conn: sa.Connection) -> int:
    """Requests not yet carried out (tests and `station` checks)."""
    return conn.execute(sa.select(sa.func.count()).select_from(scrub_requests)).scalar()


def run(engine: sa.Engine) -> int:
    """Carry out outstanding requests now, on a connection of `engine`; how many."""
    install(engine)
    with engine.connect() as conn:
        return _compact(engine.dialect.name, conn.connection.dbapi_connection)


# -- the hook ------------------------------------------------------------------------

def _on_checkin(state: _State, dbapi_connection, record) -> None:
    due = bool(record.info.pop(_DUE, False)) if record is not None else False
    if dbapi_connection is None or not (due or state.pending):
        return
    if not due and time.monotonic() < state.next_try:
        return
    try:
        done = _compact(state.dialect, dbapi_connection)
    except Exception as exc:  # never fail the caller's (finished) transaction
        state.pending, state.next_try = True, time.monotonic() + RETRY_S
        log.warning("scrub.incomplete", error_type=type(exc).__name__, error=str(exc)[:300])
        return
    state.pending = False
    if done:
        log.info("scrub.done", requests=done)


def _compact(dialect: str, dbapi_connection) -> int:
    compact = _compact_sqlite if dialect == "sqlite" else _compact_postgres
    return compact(dbapi_connection)


def _compact_sqlite(dbapi) -> int:
    cur = dbapi.cursor()
    try:
        count, top = cur.execute("SELECT count(*), max(id) FROM scrub_requests").fetchone()
        if not count:
            return 0
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("VACUUM")
        _truncate_log(cur)
        cur.execute("DELETE FROM scrub_requests WHERE id <= ?", (top,))
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count
    finally:
        cur.execute(f"PRAGMA busy_timeout={SQLITE_USUAL_BUSY_MS}")
        cur.close()


def _truncate_log(cur, attempts: int = 50) -> None:
    for _ in range(attempts):
        busy, _log, _done = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.1)
    raise ScrubIncomplete("a reader holds the write-ahead log")


_OLDER_SNAPSHOTS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND xact_start < %s")


def _outlive_older_snapshots(cur, wait_s: float = SNAPSHOT_WAIT_S) -> None:
    """Wait until no transaction that began before now is still open in the database.

    VACUUM FULL copies every row version some open transaction may still see: a
    transaction of another service that began before the key was destroyed keeps the
    erased text alive in the new files. Once every such transaction has ended, the
    rewrite drops those versions (newer transactions cannot see them)."""
    cur.execute("SELECT clock_timestamp()")
    (started,) = cur.fetchone()
    deadline = time.monotonic() + wait_s
    while True:
        cur.execute(_OLDER_SNAPSHOTS, (started,))
        if not cur.fetchone()[0]:
            return
        if time.monotonic() > deadline:
            raise ScrubIncomplete("a transaction older than the erasure is still open")
        time.sleep(0.05)


def _compact_postgres(dbapi) -> int:
    was = dbapi.autocommit
    dbapi.autocommit = True
    cur = dbapi.cursor()
    try:
        cur.execute("SELECT count(*), max(id) FROM scrub_requests")
        count, top = cur.fetchone()
        if not count:
            return 0
        cur.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        _outlive_older_snapshots(cur)
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "ORDER BY tablename")
        for (table,) in cur.fetchall():
            if table not in _KEPT and _TABLE.match(table):
                cur.execute(f'VACUUM FULL "{table}"')
        cur.execute("DELETE FROM scrub_requests WHERE id <= %s", (top,))
        return count
    finally:
        cur.execute("RESET lock_timeout")
        cur.close()
        dbapi.autocommit = was
