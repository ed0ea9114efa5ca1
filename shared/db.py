"""Engines for a service's own store: a SQLite file by default, a PostgreSQL schema in production.

Each service owns its store. On SQLite that is one file per service under the data
directory; on PostgreSQL it is one schema per service (named after the service) in the
database DATABASE_URL names, selected through the connection's search_path.
"""
from __future__ import annotations

import os
import pathlib
import re

import sqlalchemy as sa
from sqlalchemy import event

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def normalise_url(url: str) -> str:
    """Accept the URLs operators write (postgres://, postgresql://) and pick psycopg 3."""
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    return url


def store_url(service: str, database_url: str | None, data_dir: str | pathlib.Path) -> str:
    if database_url:
        return normalise_url(database_url)
    path = private_dir(data_dir)
    return f"sqlite:///{private_file(path / (service + '.db'))}"


def private_dir(data_dir: str | pathlib.Path) -> pathlib.Path:
    """The data directory, created (or narrowed) to its owner alone: 0700. It holds the
    stores, per-resident keys and the signing keys."""
    path = pathlib.Path(data_dir).absolute()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: pathlib.Path) -> pathlib.Path:
    """A store file created (or narrowed) to 0600 before SQLite opens it: SQLite gives its
    -wal and -shm files the database file's mode, so they are private too."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for sibling in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sibling.exists() and sibling.stat().st_mode & 0o077:
            sibling.chmod(0o600)
    return path


def make_engine(url: str, schema: str | None = None, **kwargs) -> sa.Engine:
    """An engine whose connections see only `schema` (PostgreSQL) or one file (SQLite)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if schema is None:
        return sa.create_engine(url, **kwargs)
    if not _SCHEMA.match(schema):
        raise ValueError(f"bad schema name {schema!r}")
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"},
                              pool_pre_ping=True, **kwargs)
    with engine.begin() as conn:
        ddl_lock(conn, f"schema:{schema}")  # replicas starting together
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return engine


def ddl_lock(conn: sa.Connection, name: str) -> None:
    """Serialise DDL of several processes (replicas starting at once) until commit:
    concurrent CREATE ... IF NOT EXISTS on PostgreSQL can fail with a duplicate key.
    SQLite needs nothing: every transaction there begins IMMEDIATE."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:n))"),
                     {"n": f"station.ddl:{name}"})


def _sqlite_engine(url: str, **kwargs) -> sa.Engine:
    # One writer at a time: every transaction starts with BEGIN IMMEDIATE, so a
    # read-then-write (expected version, checkpoint) can never interleave with another.
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                              **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def is_postgres(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql"
