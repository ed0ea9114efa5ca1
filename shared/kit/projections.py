"""A projection: read-model tables kept by folding a service's own events into them.

    projection = Projection("casework", metadata, APPLIERS, tables=OWN_TABLES, version=2,
                            not_applying={"CaseAssessedByPhone"})

- `apply(conn, event)` in the command's own transaction; an event type neither in the
  appliers nor declared `not_applying` is a gap the completeness test names.
- `rebuild(store)` empties the tables and folds every event again (service stopped).
- `ensure(store)` at start: the read models are versioned. The version stored with the
  tables differs from the declared one (or nothing is stored yet) -> drop, create and
  refold from the events, so a changed table reaches every existing database without a
  migration. The same version but tables whose columns differ from the declaration ->
  ReadModelDrift, and the service does not start: never a silent missing column.

`open(store)` (optional), called before any transaction begins, gives the function
`(conn, events) -> events` that turns stored events into what the appliers read
(residents open the sealed personal fields); `foreign` tables of the metadata are fed by other services'
events through the inbox and are only created here, never dropped.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import sqlalchemy as sa

from shared import logs
from shared.db import is_postgres
from shared.events import Recorded

log = logs.get("projections")
Applier = Callable[[sa.Connection, Recorded], None]

versions = sa.Table(
    "read_model_versions", sa.MetaData(),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)


class ReadModelDrift(RuntimeError):
    """A projection table differs from its declaration while its version is unchanged."""


class Projection:
    def __init__(self, name: str, metadata: sa.MetaData, appliers: Mapping[str, Applier], *,
                 tables: Iterable[sa.Table] | None = None, version: int = 1,
                 not_applying: Iterable[str] = (),
                 open: Callable[[object], Callable[[sa.Connection, list], list]] | None = None,
                 many: Mapping[str, Callable[[sa.Connection, list], None]] | None = None):
        self.name, self.metadata, self.appliers = name, metadata, appliers  # not a copy
        self.many = dict(many or {})  # type -> applier of several events (apply_streams)
        self.tables = tuple(tables) if tables is not None else tuple(metadata.sorted_tables)
        self.version, self.not_applying = version, frozenset(not_applying)
        self.open = open

    # -- folding ---------------------------------------------------------------------

    def apply(self, conn: sa.Connection, event: Recorded) -> None:
        applier = self.appliers.get(event.type)
        if applier is not None:
            applier(conn, event)

    def apply_all(self, conn: sa.Connection, events: Iterable[Recorded]) -> None:
        for event in events:
            self.apply(conn, event)

    def apply_streams(self, conn: sa.Connection, streams: Iterable[Iterable[Recorded]]) -> None:
        """Fold the events of many streams at once (a bulk write's, shared.eventstore's
        append_streams), each stream's events in their order: in rounds (every stream's
        first event, then every second one...), each round's events grouped by type and
        handed to the type's `many` applier (one executemany) where there is one, else
        applied one by one. Only for events whose rows belong to their own stream (a
        resident's row, their needs): events of distinct streams must commute."""
        streams = [list(s) for s in streams]
        for k in range(max((len(s) for s in streams), default=0)):
            by_type: dict[str, list[Recorded]] = {}
            for stream in streams:
                if k < len(stream):
                    by_type.setdefault(stream[k].type, []).append(stream[k])
            for type_, events in by_type.items():
                many = self.many.get(type_)
                if many is not None:
                    many(conn, events)
                else:
                    self.apply_all(conn, events)

    def _opener(self, store) -> Callable[[sa.Connection, list], list]:
        return self.open(store) if self.open else (lambda conn, events: events)

    def _refold(self, conn: sa.Connection, store, opened, page: int = 1000) -> int:
        """Empty the tables and fold every event of `store` into them, inside `conn`."""
        for table in reversed(self.tables):
            conn.execute(table.delete())
        after, count = 0, 0
        while batch := store.read_all(after, page, conn=conn):
            self.apply_all(conn, opened(conn, batch))
            after, count = batch[-1].position, count + len(batch)
        return count

    def rebuild(self, store, page: int = 1000) -> int:
        """Fold every event again (run it with the service stopped: a write meanwhile
        could be folded twice); returns the number of events read."""
        while store.sequence():
            pass
        opened = self._opener(store)
        with store.engine.begin() as conn:
            return self._refold(conn, store, opened, page)

    # -- versioned read models ---------------------------------------------------------

    def drift(self, conn: sa.Connection) -> dict[str, str]:
        """{table: what differs} between the database and the declared tables."""
        inspector = sa.inspect(conn)
        problems = {}
        for table in self.tables:
            if not inspector.has_table(table.name):
                problems[table.name] = "missing"
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            want = {c.name for c in table.columns}
            if have != want:
                problems[table.name] = (f"missing columns {sorted(want - have)}, "
                                        f"undeclared columns {sorted(have - want)}")
        return problems

    def ensure(self, store) -> str:
        """Bring the read models to the declared version: "current" or "rebuilt"."""
        while store.sequence():
            pass
        opened = self._opener(store)
        with store.engine.begin() as conn:
            if is_postgres(store.engine):  # one starting process at a time decides
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    sa.func.hashtext(f"read_models:{self.name}"))))
            versions.create(conn, checkfirst=True)
            stored = conn.execute(sa.select(versions.c.version)
                                  .where(versions.c.name == self.name)).scalar()
            if stored == self.version:
                drift = self.drift(conn)
                if drift:
                    raise ReadModelDrift(
                        f"read models of {self.name} differ from their declaration at version "
                        f"{self.version}: {drift}; raise the projection's version (they are "
                        f"rebuilt from events) or add an Alembic migration")
                self.metadata.create_all(conn)
                return "current"
            for table in reversed(self.tables):
                table.drop(conn, checkfirst=True)
            self.metadata.create_all(conn)
            count = self._refold(conn, store, opened)
            conn.execute(versions.delete().where(versions.c.name == self.name))
            conn.execute(versions.insert().values(name=self.name, version=self.version))
        log.info("read_models.rebuilt", projection=self.name, version=self.version,
                 previous=stored, events=count)
        return "rebuilt"
