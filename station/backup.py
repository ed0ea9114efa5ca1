"""`station backup create|restore|verify`: one service's store to a file and back.

A backup is the service's whole store taken in one consistent snapshot: its events
(the truth), its identity, its checkpoints (the relay's and its inboxes'), quarantined
events and its read-model tables, as JSON lines. Leases are left out (they belong to
running processes). `restore` rebuilds the store from the file into an empty schema
(or file), `verify` compares the live store with the file event by event (ids,
positions, streams, versions, hashes) and checks every hash chain.

The first line of a backup is a header: the service, the store id, the number of
events, the last position and a digest of every stream's head hash, so a backup can be
checked against a store without reading its payloads.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
import sys
from typing import IO, Iterator

import sqlalchemy as sa

from shared import db, migrations
from shared.kit.projections import versions as read_model_versions  # their declared version
from shared.stores import engine_for
from shared.tables import metadata as store_tables

FORMAT = "station-backup/1"
SKIPPED = {"leases", "alembic_version"}
EVENT_KEY = ("position", "event_id", "stream_id", "stream_version", "hash")


class BackupMismatch(Exception):
    pass


# -- values that JSON has no type for ----------------------------------------------------

def encode(value):
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, (bytes, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    raise TypeError(type(value).__name__)


def decode(obj: dict):
    if len(obj) == 1:
        (key, value), = obj.items()
        kinds = {"$datetime": dt.datetime.fromisoformat, "$date": dt.date.fromisoformat,
                 "$decimal": decimal.Decimal, "$bytes": base64.b64decode}
        if key in kinds:
            return kinds[key](value)
    return obj


# -- what a store holds ------------------------------------------------------------------

def tables_of(engine: sa.Engine, extra: sa.MetaData | None) -> list[sa.Table]:
    """The store's own tables, then the read models', parents before children."""
    own = [t for t in store_tables.sorted_tables if t.name not in SKIPPED]
    return own + ([read_model_versions, *extra.sorted_tables] if extra is not None else [])


def digest(rows) -> tuple[int, int, str]:
    """(events, last position, sha256 over every stream's head) of event key rows."""
    heads, count, last = {}, 0, 0
    for position, _event_id, stream_id, version, hash_ in rows:
        count, last = count + 1, max(last, position or 0)
        if version >= heads.get(stream_id, (0, ""))[0]:
            heads[stream_id] = (version, hash_)
    text = "\n".join(f"{s}\t{v}\t{h}" for s, (v, h) in sorted(heads.items()))
    return count, last, hashlib.sha256(text.encode()).hexdigest()


def event_keys(conn: sa.Connection) -> list[tuple]:
    events = store_tables.tables["events"]
    query = sa.select(*[events.c[k] for k in EVENT_KEY]).order_by(events.c.position)
    return [tuple(r) for r in conn.execute(query)]


# -- create ------------------------------------------------------------------------------

def create(engine: sa.Engine, service: str, out: IO[str], read_models: sa.MetaData | None = None
           ) -> dict:
    """Write the store to `out`; returns the header. One snapshot (REPEATABLE READ)."""
    from shared.eventstore import EventStore
    from shared.events import Registry
    EventStore(engine, Registry()).sequence()  # number every committed event first
    options = {"isolation_level": "REPEATABLE READ"} if db.is_postgres(engine) else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        keys = event_keys(conn)
        count, last, heads = digest(keys)
        store_id = conn.exec_driver_sql(
            "SELECT value FROM store_meta WHERE key = 'store_id'").scalar()
        header = {"format": FORMAT, "service": service, "store_id": store_id,
                  "migration": migrations.current(engine), "events": count,
                  "last_position": last, "heads_sha256": heads,
                  "created_at": dt.datetime.now(dt.timezone.utc).isoformat()}
        out.write(json.dumps(header) + "\n")
        existing = set(sa.inspect(conn).get_table_names())
        for table in tables_of(engine, read_models):
            if table.name not in existing:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(sa.select(table).order_by(*order)):
                out.write(json.dumps({"table": table.name, "row": dict(row._mapping)},
                                     default=encode, ensure_ascii=False) + "\n")
    return header


def read(source: IO[str]) -> tuple[dict, Iterator[tuple[str, dict]]]:
    header = json.loads(source.readline())
    if header.get("format") != FORMAT:
        raise BackupMismatch(f"not a {FORMAT} file")
    rows = ((line["table"], line["row"]) for line in
            (json.loads(text, object_hook=decode) for text in source if text.strip()))
    return header, rows


# -- restore -----------------------------------------------------------------------------

def is_empty(engine: sa.Engine) -> bool:
    """No events and no consumer progress (a migrated but unused store is empty)."""
    present = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        return not any(conn.exec_driver_sql(f"SELECT 1 FROM {name} LIMIT 1").first()
                       for name in ("events", "checkpoints", "quarantine") if name in present)


def restore(engine: sa.Engine, source: IO[str], read_models: sa.MetaData | None = None,
            new_identity: bool = False, batch: int = 1000) -> dict:
    """Load a backup into an empty store; returns the header. Refuses a store with events."""
    if not is_empty(engine):
        raise BackupMismatch("the store already has events: drop it first (`--replace`)")
    header, rows = read(source)
    migrations.upgrade(engine)
    if read_models is not None:
        read_model_versions.create(engine, checkfirst=True)
        read_models.create_all(engine)
    tables = {t.name: t for t in tables_of(engine, read_models)}
    with engine.begin() as conn:
        conn.execute(tables["store_meta"].delete())
        pending: dict[str, list[dict]] = {}
        for name, row in rows:
            pending.setdefault(name, []).append(row)
            if len(pending[name]) >= batch:
                conn.execute(tables[name].insert(), pending.pop(name))
        for name in [t for t in tables if t in pending]:  # parents before children
            conn.execute(tables[name].insert(), pending[name])
        if db.is_postgres(engine):
            reset_sequences(conn, tables.values())
        if new_identity:
            import uuid
            conn.execute(tables["store_meta"].update().where(
                tables["store_meta"].c.key == "store_id").values(value=str(uuid.uuid4())))
    return header


def reset_sequences(conn: sa.Connection, tables) -> None:
    """Rows came with their ids: move each serial column's sequence past them."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto"
                                                and isinstance(column.type, sa.Integer)):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"coalesce(max(\"{column.name}\"), 0) + 1, false) FROM \"{table.name}\"")


def drop(engine: sa.Engine, service: str) -> None:
    """Remove a service's store entirely (its PostgreSQL schema, or its SQLite tables)."""
    if db.is_postgres(engine):
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{service}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{service}"')
    else:
        meta = sa.MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)


# -- verify ------------------------------------------------------------------------------

def verify(engine: sa.Engine, source: IO[str]) -> dict:
    """Compare the store with a backup, event by event, and check every hash chain."""
    from shared.eventstore import EventStore
    from shared.events import Registry
    header, rows = read(source)
    backed_up = [tuple(row[k] for k in EVENT_KEY) for name, row in rows if name == "events"]
    backed_up.sort(key=lambda r: r[0])
    with engine.connect() as conn:
        live = event_keys(conn)
        store_id = conn.exec_driver_sql(
            "SELECT value FROM store_meta WHERE key = 'store_id'").scalar()
    count, last, heads = digest(live)
    differing = [{"backup": list(b), "store": list(s)} for b, s in zip(backed_up, live) if b != s]
    problems = EventStore(engine, Registry()).verify()
    report = {
        "service": header["service"], "events": {"backup": len(backed_up), "store": count},
        "heads_sha256": {"backup": header["heads_sha256"], "store": heads},
        "same_store_id": store_id == header["store_id"],
        "differing_events": differing[:20], "chain_problems": problems,
    }
    report["ok"] = (len(backed_up) == count == header["events"] and not differing
                    and heads == header["heads_sha256"] and not problems
                    and last == header["last_position"])
    return report


# -- command line ------------------------------------------------------------------------

def _open(path: str, mode: str):
    return gzip.open(path, mode + "t", encoding="utf-8") if path.endswith(".gz") \
        else open(path, mode, encoding="utf-8")


def _engine(args):
    from shared import logs
    from station import catalog
    from station.cli import _config, _settings
    logs.configure(_settings(args).log_level)  # JSON lines on stderr; stdout is the report
    catalog.service_class(args.service)  # exits naming the known services if unknown
    return engine_for(args.service, _config(args)), catalog.projections(args.service)


def cmd_create(args) -> int:
    engine, read_models = _engine(args)
    with _open(args.file, "w") as out:
        header = create(engine, args.service, out, read_models)
    print(json.dumps(header, indent=2))
    return 0


def cmd_restore(args) -> int:
    engine, read_models = _engine(args)
    if args.replace:
        drop(engine, args.service)
    try:
        with _open(args.file, "r") as source:
            header = restore(engine, source, read_models, new_identity=args.new_identity)
    except BackupMismatch as exc:
        print(f"{exc} / 无法恢复", file=sys.stderr)
        return 1
    with _open(args.file, "r") as source:
        report = verify(engine, source)
    print(json.dumps({"restored": header, "verify": report}, indent=2))
    return 0 if report["ok"] else 1


def cmd_verify(args) -> int:
    engine, _ = _engine(args)
    with _open(args.file, "r") as source:
        report = verify(engine, source)
    print(json.dumps(report, indent=2))
    print("store matches the backup / 与备份一致" if report["ok"]
          else "store DIFFERS from the backup / 与备份不一致", file=sys.stderr)
    return 0 if report["ok"] else 1


def register(sub, with_data_dir) -> None:
    group = sub.add_parser("backup", help="back up, restore and verify a service's store"
                           ).add_subparsers(dest="action", required=True)
    for action, func, text in (
            ("create", cmd_create, "write the store to FILE (.gz compresses)"),
            ("restore", cmd_restore, "load FILE into the service's empty store, then verify"),
            ("verify", cmd_verify, "compare the store with FILE; exit 1 if they differ")):
        command = with_data_dir(group.add_parser(action, help=text))
        command.add_argument("service")
        command.add_argument("file")
        if action == "restore":
            command.add_argument("--replace", action="store_true",
                                 help="drop the service's current store first")
            command.add_argument("--new-identity", action="store_true",
                                 help="give the restored store a new id, so subscribers "
                                 "resync from it (events after the backup were lost)")
        command.set_defaults(func=func)
