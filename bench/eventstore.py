#!/usr/bin/env python
"""Event store benchmark: our store (shared.eventstore) against a peer and a raw limit.

    python bench/eventstore.py [--database-url URL] [--duration SECONDS] [--keep]

Prints ONE JSON object on stdout (progress goes to stderr) with figures for

* "ours":  shared.eventstore.EventStore on PostgreSQL (schema ``bench_ours``);
* "peer":  the ``eventsourcing`` library 9.x, PostgresApplicationRecorder used directly
           (schema ``bench_peer``): insert_events / select_events / select_notifications;
* "limit": pgbench inserting one row per transaction into a bigserial + text table
           (schema ``bench_limit``), with 1 and 8 clients;

and "goals" (booleans computed from those figures) and "meta". Every run drops and
recreates the three schemas, so runs are comparable; they are dropped again at the end
unless --keep is given.

Workloads (the same for ours and the peer, same JSON payload for every event):

* append_1_per_txn_per_s: one writer process; each transaction appends 1 event to one of
  the writer's own 100 streams, round robin, so every stream keeps growing (the writer
  knows each stream's version, as an aggregate repository would).
* append_1_per_txn_8_writers_per_s: eight writer *processes* (not threads: the GIL would
  serialise the Python side), each with its own 100 streams and its own connection,
  started together; total appends/s over the common wall-clock window.
* append_100_per_txn_per_s: one writer; each transaction appends 100 events to one of
  10 growing streams; figure in events/s.
* replay_1000_ms: read one 1,000-event stream back, best of several runs.
* scan_per_s: read the whole store in global order, 1,000 events a page (our read_all,
  the peer's select_notifications), best of several passes; events/s.

What each side does per event is not identical, and the differences favour the peer:
ours validates every payload with its marshmallow schema, computes the SHA-256 hash chain,
and decodes payloads (JSON) into Recorded envelopes when reading; the peer's recorder
stores and returns opaque bytes (its application layer, not measured here, would do the
mapping). Ours has a post-commit sequencer for global order; before the scan it is run to
completion and its rate is reported as ours.sequence_per_s.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WRITERS = 8
STREAMS_PER_WRITER = 100
STREAMS_BATCH = 10
BATCH = 100
REPLAY_EVENTS = 1000
PAGE = 1000
SCHEMAS = {"ours": "bench_ours", "peer": "bench_peer", "limit": "bench_limit"}
TOPIC = "bench.visits:VisitRecorded"
EVENT_TYPE = "VisitRecorded"

PAYLOAD = {
    "resident_id": "6f1c2f1e-4b8a-4c55-9a57-0d8f5a1f3c21",
    "visited_on": "2024-05-14",
    "method": "home",
    "worker": "worker-017",
    "duration_minutes": 45,
    "notes": "Checked medication and meals; resident in good spirits, asked about the "
             "community lunch on Friday.",
}


def log(*args) -> None:
    print("[bench]", *args, file=sys.stderr, flush=True)


# -- the two stores behind one small interface ------------------------------------------

def _registry():
    import marshmallow as ma
    from shared.events import Registry

    class VisitRecordedSchema(ma.Schema):
        resident_id = ma.fields.UUID(required=True)
        visited_on = ma.fields.Date(required=True)
        method = ma.fields.Str(required=True, validate=ma.validate.OneOf(["home", "phone", "centre"]))
        worker = ma.fields.Str(required=True)
        duration_minutes = ma.fields.Int(required=True, validate=ma.validate.Range(min=0))
        notes = ma.fields.Str(load_default="")

    registry = Registry()
    registry.register(EVENT_TYPE, VisitRecordedSchema)
    return registry


class Ours:
    name = "ours"

    def __init__(self, url: str):
        from shared.db import make_engine
        from shared.eventstore import EventStore
        from shared.events import NewEvent
        self.NewEvent = NewEvent
        self.engine = make_engine(url, schema=SCHEMAS["ours"])
        self.store = EventStore(self.engine, _registry())

    @staticmethod
    def setup(url: str) -> None:
        from shared import migrations
        from shared.db import make_engine
        engine = make_engine(url, schema=SCHEMAS["ours"])
        migrations.upgrade(engine)
        engine.dispose()

    def new_stream(self):
        return str(uuid.uuid4())

    def append(self, stream, expected: int, n: int) -> None:
        NewEvent = self.NewEvent
        self.store.append(stream, expected, [NewEvent(EVENT_TYPE, PAYLOAD) for _ in range(n)])

    def replay(self, stream) -> int:
        return len(self.store.read_stream(stream))

    def prepare_scan(self) -> tuple[int, float]:
        t0, numbered = time.perf_counter(), 0
        while True:
            n = self.store.sequence()
            if not n:
                break
            numbered += n
        return numbered, time.perf_counter() - t0

    def scan(self) -> int:
        after, total = 0, 0
        while True:
            page = self.store.read_all(after, limit=PAGE)
            if not page:
                return total
            total += len(page)
            after = page[-1].position

    def close(self) -> None:
        self.engine.dispose()


class Peer:
    name = "peer"

    def __init__(self, url: str):
        from eventsourcing.persistence import StoredEvent
        from eventsourcing.postgres import PostgresApplicationRecorder
        self.StoredEvent = StoredEvent
        self.datastore = _peer_datastore(url)
        self.recorder = PostgresApplicationRecorder(self.datastore)
        import orjson
        self.orjson = orjson

    @staticmethod
    def setup(url: str) -> None:
        from eventsourcing.postgres import PostgresApplicationRecorder
        datastore = _peer_datastore(url)
        PostgresApplicationRecorder(datastore).create_table()
        datastore.close()

    def new_stream(self):
        return uuid.uuid4()

    def append(self, stream, expected: int, n: int) -> None:
        StoredEvent, dumps = self.StoredEvent, self.orjson.dumps
        self.recorder.insert_events([StoredEvent(stream, expected + i + 1, TOPIC, dumps(PAYLOAD))
                                     for i in range(n)])

    def replay(self, stream) -> int:
        return len(self.recorder.select_events(stream))

    def prepare_scan(self) -> tuple[int, float]:
        return 0, 0.0

    def scan(self) -> int:
        start, total = 1, 0
        while True:
            page = self.recorder.select_notifications(start, PAGE)
            if not page:
                return total
            total += len(page)
            start = page[-1].id + 1

    def close(self) -> None:
        self.datastore.close()


def _peer_datastore(url: str):
    from eventsourcing.postgres import PostgresDatastore
    u = _url(url)
    return PostgresDatastore(u.database or "postgres", u.host or "127.0.0.1", u.port or 5432,
                             u.username or "postgres", u.password or "",
                             schema=SCHEMAS["peer"], pool_size=1)


KINDS = {"ours": Ours, "peer": Peer}


def _url(url: str):
    import sqlalchemy as sa
    from shared.db import normalise_url
    return sa.engine.make_url(normalise_url(url))


# -- helpers on the database -------------------------------------------------------------

def _admin(url: str):
    import psycopg
    u = _url(url)
    return psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432,
                           user=u.username or "postgres", password=u.password,
                           dbname=u.database or "postgres", autocommit=True)


def reset_schemas(url: str, create: bool = True) -> None:
    with _admin(url) as conn:
        for schema in SCHEMAS.values():
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            if create:
                conn.execute(f'CREATE SCHEMA "{schema}"')
        if create:
            conn.execute(f'CREATE TABLE "{SCHEMAS["limit"]}".inserts '
                         "(id bigserial PRIMARY KEY, payload text NOT NULL)")


def checkpoint(url: str) -> None:
    """Start each timed write phase from a clean checkpoint, so WAL full-page writes
    left over by the previous phase do not land on the next one."""
    try:
        with _admin(url) as conn:
            conn.execute("CHECKPOINT")
    except Exception as exc:  # not a superuser: carry on without
        log("CHECKPOINT skipped:", exc)


def server_facts(url: str) -> dict:
    with _admin(url) as conn:
        facts = {"postgres_version": conn.execute("SHOW server_version").fetchone()[0]}
        for name in ("fsync", "synchronous_commit", "shared_buffers", "max_connections"):
            facts[name] = conn.execute(f"SHOW {name}").fetchone()[0]
        facts["store_sizes"] = {
            kind: conn.execute(f'SELECT count(*) FROM "{SCHEMAS[kind]}".{table}').fetchone()[0]
            for kind, table in (("ours", "events"), ("peer", "stored_events"))
        }
    return facts


# -- workloads ---------------------------------------------------------------------------

def append_loop(kind: str, url: str, batch: int, streams: int, duration: float,
                barrier=None, results=None) -> dict:
    """Append `batch` events per transaction round robin over `streams` growing streams
    for `duration` seconds. Returns {"events", "txns", "start", "end"} (monotonic clock,
    which is system-wide on Linux, so processes' windows can be combined)."""
    store = KINDS[kind](url)
    try:
        ids = [store.new_stream() for _ in range(streams)]
        versions = [0] * streams
        for i, stream in enumerate(ids):  # warm up: connection, caches; creates the streams
            store.append(stream, 0, batch)
            versions[i] = batch
        if barrier is not None:
            barrier.wait()
        txns, i = 0, 0
        start = time.monotonic()
        deadline = start + duration
        while True:
            stream_index = i % streams
            store.append(ids[stream_index], versions[stream_index], batch)
            versions[stream_index] += batch
            txns += 1
            i += 1
            if (txns & 7) == 0 and time.monotonic() >= deadline:
                break
        end = time.monotonic()
        result = {"events": txns * batch, "txns": txns, "start": start, "end": end}
    finally:
        store.close()
    if results is not None:
        results.put(result)
    return result


def rate(results: list[dict]) -> float:
    window = max(r["end"] for r in results) - min(r["start"] for r in results)
    return sum(r["events"] for r in results) / window


def append_single(kind, url, batch, streams, duration) -> float:
    checkpoint(url)
    return rate([append_loop(kind, url, batch, streams, duration)])


def append_parallel(kind, url, writers, duration) -> float:
    checkpoint(url)
    ctx = mp.get_context("spawn")  # each writer builds its own engine/pool in its process
    barrier, results = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=append_loop,
                         args=(kind, url, 1, STREAMS_PER_WRITER, duration, barrier, results))
             for _ in range(writers)]
    for p in procs:
        p.start()
    got = [results.get(timeout=duration + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        if p.exitcode != 0:
            raise RuntimeError(f"{kind} writer exited with {p.exitcode}")
    return rate(got)


def replay(kind, url, runs_budget: float) -> float:
    store = KINDS[kind](url)
    try:
        stream = store.new_stream()
        for version in range(0, REPLAY_EVENTS, BATCH):
            store.append(stream, version, BATCH)
        assert store.replay(stream) == REPLAY_EVENTS
        best, runs, t_end = float("inf"), 0, time.monotonic() + runs_budget
        while runs < 5 or (time.monotonic() < t_end and runs < 200):
            t0 = time.perf_counter()
            n = store.replay(stream)
            best = min(best, time.perf_counter() - t0)
            assert n == REPLAY_EVENTS, n
            runs += 1
        return best * 1000.0
    finally:
        store.close()


def scan(kind, url, passes: int) -> tuple[float, int, dict]:
    store = KINDS[kind](url)
    try:
        numbered, seconds = store.prepare_scan()
        extra = {"sequence_per_s": numbered / seconds} if numbered else {}
        best, total = float("inf"), 0
        for _ in range(passes):
            t0 = time.perf_counter()
            total = store.scan()
            best = min(best, time.perf_counter() - t0)
        return total / best, total, extra
    finally:
        store.close()


def pgbench(url: str, clients: int, duration: float) -> tuple[float, str]:
    u = _url(url)
    payload = json.dumps(PAYLOAD).replace("'", "''")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(f"INSERT INTO \"{SCHEMAS['limit']}\".inserts (payload) VALUES ('{payload}');\n")
        script = f.name
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    cmd = ["pgbench", "-n", "-M", "prepared", "-T", str(int(round(duration))),
           "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)), "-f", script,
           "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432),
           "-U", u.username or "postgres", u.database or "postgres"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    finally:
        os.unlink(script)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if not match:
        raise RuntimeError("could not parse pgbench output:\n" + out)
    return float(match.group(1)), " ".join(cmd[:-1]) + " <db>"


# -- main --------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1/test"))
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per timed append/pgbench measurement (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the bench schemas")
    args = parser.parse_args()
    url, duration = args.database_url, args.duration
    began = time.monotonic()

    log("resetting schemas", ", ".join(SCHEMAS.values()))
    reset_schemas(url)
    Ours.setup(url)
    Peer.setup(url)

    figures: dict[str, dict] = {"ours": {}, "peer": {}, "limit": {}}
    for kind in ("ours", "peer"):
        log(kind, "append, 1 event per transaction, 1 writer")
        figures[kind]["append_1_per_txn_per_s"] = append_single(
            kind, url, 1, STREAMS_PER_WRITER, duration)
        log(" ->", round(figures[kind]["append_1_per_txn_per_s"]))
    for kind in ("ours", "peer"):
        log(kind, f"append, 1 event per transaction, {WRITERS} writer processes")
        figures[kind]["append_1_per_txn_8_writers_per_s"] = append_parallel(
            kind, url, WRITERS, duration)
        log(" ->", round(figures[kind]["append_1_per_txn_8_writers_per_s"]))
    for kind in ("ours", "peer"):
        log(kind, f"append, {BATCH} events per transaction, 1 writer")
        figures[kind]["append_100_per_txn_per_s"] = append_single(
            kind, url, BATCH, STREAMS_BATCH, duration)
        log(" ->", round(figures[kind]["append_100_per_txn_per_s"]))
    for kind in ("ours", "peer"):
        log(kind, f"replay one {REPLAY_EVENTS}-event stream")
        figures[kind]["replay_1000_ms"] = replay(kind, url, runs_budget=2.0)
        log(" ->", round(figures[kind]["replay_1000_ms"], 2), "ms")
    scanned = {}
    for kind in ("ours", "peer"):
        log(kind, "scan the whole store in global order")
        per_s, scanned[kind], extra = scan(kind, url, passes=3)
        figures[kind]["scan_per_s"] = per_s
        figures[kind].update(extra)
        log(" ->", round(per_s), f"events/s over {scanned[kind]} events")
    commands = {}
    for clients in (1, WRITERS):
        checkpoint(url)
        log(f"pgbench, {clients} client(s)")
        tps, commands[clients] = pgbench(url, clients, duration)
        figures["limit"][f"pgbench_insert_tps_{clients}"] = tps
        log(" ->", round(tps))

    facts = server_facts(url)
    if not args.keep:
        reset_schemas(url, create=False)

    ours, peer, limit = figures["ours"], figures["peer"], figures["limit"]
    goals = {
        "append_1_per_txn_ge_2x_peer":
            ours["append_1_per_txn_per_s"] >= 2 * peer["append_1_per_txn_per_s"],
        "append_1_per_txn_ge_half_pgbench_1":
            ours["append_1_per_txn_per_s"] >= 0.5 * limit["pgbench_insert_tps_1"],
        "append_1_per_txn_8_writers_ge_4x_peer":
            ours["append_1_per_txn_8_writers_per_s"] >= 4 * peer["append_1_per_txn_8_writers_per_s"],
        "append_1_per_txn_8_writers_ge_half_pgbench_8":
            ours["append_1_per_txn_8_writers_per_s"] >= 0.5 * limit["pgbench_insert_tps_8"],
        "append_100_per_txn_ge_20000_per_s": ours["append_100_per_txn_per_s"] >= 20000,
        "replay_1000_le_10_ms": ours["replay_1000_ms"] <= 10,
        "scan_ge_100000_per_s": ours["scan_per_s"] >= 100000,
    }
    goals["all"] = all(goals.values())

    import eventsourcing.postgres  # noqa: F401  (version below)
    from importlib.metadata import version
    meta = {
        **{k: v for k, v in facts.items() if k != "store_sizes"},
        "python_version": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "packages": {p: version(p) for p in ("eventsourcing", "sqlalchemy", "psycopg",
                                             "orjson", "marshmallow")},
        "duration_per_append_measurement_s": duration,
        "pgbench_duration_s": int(round(duration)),
        "pgbench_commands": commands,
        "writers": WRITERS,
        "writer_kind": "processes (multiprocessing spawn), one connection each",
        "streams": f"append_1: {STREAMS_PER_WRITER} growing streams per writer, round robin; "
                   f"append_100: {STREAMS_BATCH} growing streams, {BATCH} events per transaction",
        "replay": f"one {REPLAY_EVENTS}-event stream, best of >=5 runs (2 s budget)",
        "scan": f"whole store, pages of {PAGE}, best of 3 passes",
        "scanned_events": scanned,
        "payload_bytes": len(json.dumps(PAYLOAD, separators=(",", ":"))),
        "total_run_s": round(time.monotonic() - began, 1),
    }
    print(json.dumps({"ours": _round(ours), "peer": _round(peer), "limit": _round(limit),
                      "goals": goals, "meta": meta}, indent=2))


def _round(figures: dict) -> dict:
    return {k: round(v, 3) if k.endswith("_ms") else round(v, 1) for k, v in figures.items()}


if __name__ == "__main__":
    main()
