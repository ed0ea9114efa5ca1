#!/usr/bin/env python
"""Event store benchmark: our store (shared.eventstore) against a peer and a raw limit.

    python bench/eventstore.py [--database-url URL] [--duration S] [--rounds N] [--keep]

Prints ONE JSON object on stdout (progress goes to stderr) with figures for

* "ours":  shared.eventstore.EventStore on PostgreSQL (schema ``bench_ours``), through
           shared.db.make_engine and shared.migrations, as the services use it;
* "peer":  the ``eventsourcing`` library 9.x, its PostgresApplicationRecorder used
           directly (schema ``bench_peer``): insert_events, select_events,
           select_notifications;
* "limit": pgbench (-n -M prepared) running a one-statement transaction that inserts one
           row into a bigserial + text table (pgbench_insert_tps_1/_8, the raw limit),
           and, for diagnosis, into a copy of our events table with all its indexes
           (pgbench_events_table_tps_1/_8: what the database alone does per event row);

and "goals" (booleans computed from those figures) and "meta". Every run drops and
recreates the three schemas (drop/create, migrations, the peer's create_table), so runs
are comparable; they are dropped again at the end unless --keep is given.

Workloads (the same for ours and the peer, the same ~250-byte JSON payload per event):

* append_1_per_txn_per_s: one writer; each transaction appends 1 event to one of the
  writer's own 100 streams, round robin, so every stream keeps growing (the writer knows
  each stream's version, as an aggregate repository would after loading it).
* append_1_per_txn_8_writers_per_s: eight writer *processes* (threads would share one
  GIL, and the Python side is most of the cost), each with its own 100 streams and its
  own engine, started together through a barrier; appends/s over the common window.
* append_100_per_txn_per_s: one writer; each transaction appends 100 events to one of
  10 growing streams; events/s.
* replay_1000_ms: read one 1,000-event stream back, best of several runs.
* scan_per_s: read the whole store in global order, 1,000 events a page (our read_all,
  the peer's select_notifications), best of 3 passes; events/s.

The append and pgbench measurements run in --rounds rounds (ours and the peer take
turns going first) and the median is reported; every sample is in meta.samples. The
machine this was written on is a 2-core VM whose fsync latency varies a lot, hence the
rounds and the CHECKPOINT before each write measurement.

What each side does per event is not identical, and the differences favour the peer:
ours validates every payload against its marshmallow schema, computes the SHA-256 hash
chain, and decodes payloads (JSON, upcasting) into Recorded envelopes when reading; the
peer's recorder stores and returns opaque bytes (its application layer, not measured
here, would do the mapping). Ours numbers events for global order after commit (the
sequencer); before the scan it is run to completion and its rate is reported as
ours.sequence_per_s.
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
    def setup(url: str, schema: str = SCHEMAS["ours"]) -> None:
        from shared import migrations
        from shared.db import make_engine
        engine = make_engine(url, schema=schema)
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
                barrier=None) -> dict:
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
        cpu_start = time.process_time()
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
        return {"events": txns * batch, "txns": txns, "start": start, "end": end,
                "client_cpu_s": time.process_time() - cpu_start}
    finally:
        store.close()


def rate(results: list[dict]) -> tuple[float, float]:
    """Events/s over the writers' common window, and the writers' own CPU time (user +
    system, this side of the connection only) per transaction in microseconds."""
    window = max(r["end"] for r in results) - min(r["start"] for r in results)
    cpu = 1e6 * sum(r["client_cpu_s"] for r in results) / sum(r["txns"] for r in results)
    return sum(r["events"] for r in results) / window, cpu


def append_single(kind, url, batch, streams, duration) -> tuple[float, float]:
    checkpoint(url)
    return rate([append_loop(kind, url, batch, streams, duration)])


def _writer(commands, results, barrier) -> None:
    """One of the parallel writers: a process that imports both stores once and then
    runs append loops on command, started together through the barrier."""
    import eventsourcing.postgres  # noqa: F401  (import cost paid before any timing)
    import shared.eventstore  # noqa: F401
    results.put("ready")
    while True:
        command = commands.get()
        if command is None:
            return
        kind, url, duration = command
        try:
            results.put(append_loop(kind, url, 1, STREAMS_PER_WRITER, duration, barrier))
        except BaseException as exc:  # report, and break the barrier for the others
            barrier.abort()
            results.put({"error": f"{type(exc).__name__}: {exc}"})


class Writers:
    """WRITERS processes (spawned, so each builds its own engine and pool; processes
    rather than threads so the Python side of each writer runs in parallel)."""

    def __init__(self, count: int):
        ctx = mp.get_context("spawn")
        self.barrier, self.results = ctx.Barrier(count), ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(count)]
        self.procs = [ctx.Process(target=_writer, args=(q, self.results, self.barrier),
                                  daemon=True) for q in self.commands]
        for proc in self.procs:
            proc.start()
        for _ in self.procs:
            assert self.results.get(timeout=120) == "ready"

    def run(self, kind: str, url: str, duration: float) -> tuple[float, float]:
        checkpoint(url)
        for q in self.commands:
            q.put((kind, url, duration))
        got = [self.results.get(timeout=duration + 120) for _ in self.procs]
        errors = [r["error"] for r in got if "error" in r]
        if errors:
            raise RuntimeError(f"{kind} writers failed: {errors}")
        return rate(got)

    def close(self) -> None:
        for q in self.commands:
            q.put(None)
        for proc in self.procs:
            proc.join(timeout=30)


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


def pgbench(url: str, clients: int, duration: float, table: str) -> tuple[float, str]:
    """pgbench's rate (tps, excluding connection time) for a one-statement transaction
    inserting one row: into `inserts` (bigserial + text, the raw limit) or into `events`
    (a copy of our events table with all its indexes: what the database alone can do
    for one row of ours)."""
    u = _url(url)
    payload = json.dumps(PAYLOAD, separators=(",", ":")).replace("'", "''")
    schema = SCHEMAS["limit"]
    if table == "inserts":
        sql = f"INSERT INTO \"{schema}\".inserts (payload) VALUES ('{payload}');\n"
    else:
        ts = "2024-05-14T09:30:00.000000+00:00"
        sql = (f"INSERT INTO \"{schema}\".events (event_id, stream_id, stream_version, type, "
               "schema_version, occurred_at, recorded_at, payload, prev_hash, hash) VALUES "
               f"(md5(random()::text), md5(random()::text), 1, '{EVENT_TYPE}', 1, '{ts}', "
               f"'{ts}', '{payload}', repeat('0', 64), md5(random()::text) || md5(random()::text));\n")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql)
        script = f.name
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    cmd = ["pgbench", "-n", "-M", "prepared", "-T", str(max(1, int(round(duration)))),
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
    shown = cmd[:cmd.index("-f") + 1] + [f"<script: one INSERT into {table}>"] + cmd[cmd.index("-f") + 2:]
    return float(match.group(1)), " ".join(shown)


# -- main --------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1/test"))
    parser.add_argument("--duration", type=float, default=3.0,
                        help="seconds per timed append or pgbench measurement (default 3)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the append and pgbench measurements, ours and the "
                             "peer alternating; the median is reported (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the bench schemas")
    args = parser.parse_args()
    url, duration, rounds = args.database_url, args.duration, args.rounds
    began = time.monotonic()
    load_before = os.getloadavg()

    log("resetting schemas", ", ".join(SCHEMAS.values()))
    reset_schemas(url)
    Ours.setup(url)
    Ours.setup(url, SCHEMAS["limit"])  # the events table copy pgbench inserts into
    Peer.setup(url)
    log(f"starting {WRITERS} writer processes")
    writers = Writers(WRITERS)

    samples: dict[str, dict[str, list[float]]] = {"ours": {}, "peer": {}, "limit": {}}

    cpu_samples: dict[str, dict[str, list[float]]] = {"ours": {}, "peer": {}}

    def sample(kind: str, figure: str, value, unit: str = "/s") -> None:
        if isinstance(value, tuple):  # (rate, client CPU us per transaction)
            value, cpu = value
            cpu_samples[kind].setdefault(figure, []).append(cpu)
            unit += f"   (client CPU {cpu:.0f} us/txn)"
        samples[kind].setdefault(figure, []).append(value)
        log(f"  {kind:5s} {figure:34s} {value:12.1f} {unit}")

    commands = {}
    try:
        for r in range(rounds):
            log(f"round {r + 1}/{rounds}")
            order = ("ours", "peer") if r % 2 == 0 else ("peer", "ours")
            for kind in order:
                sample(kind, "append_1_per_txn_per_s",
                       append_single(kind, url, 1, STREAMS_PER_WRITER, duration))
            for kind in order:
                sample(kind, "append_1_per_txn_8_writers_per_s",
                       writers.run(kind, url, duration))
            for kind in order:
                sample(kind, "append_100_per_txn_per_s",
                       append_single(kind, url, BATCH, STREAMS_BATCH, duration))
            for table, name in (("inserts", "pgbench_insert_tps"),
                                ("events", "pgbench_events_table_tps")):
                for clients in (1, WRITERS):
                    checkpoint(url)
                    tps, commands[f"{name}_{clients}"] = pgbench(url, clients, duration, table)
                    sample("limit", f"{name}_{clients}", tps)
    finally:
        writers.close()

    figures = {kind: {figure: median(values) for figure, values in by_figure.items()}
               for kind, by_figure in samples.items()}
    scanned = {}
    for kind in ("ours", "peer"):
        figures[kind]["replay_1000_ms"] = replay(kind, url, runs_budget=2.0)
        log(f"  {kind:5s} {'replay_1000_ms':34s} {figures[kind]['replay_1000_ms']:12.3f} ms")
    for kind in ("ours", "peer"):
        per_s, scanned[kind], extra = scan(kind, url, passes=3)
        figures[kind]["scan_per_s"] = per_s
        figures[kind].update(extra)
        log(f"  {kind:5s} {'scan_per_s':34s} {per_s:12.1f} /s over {scanned[kind]} events")

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

    from importlib.metadata import version
    meta = {
        **{k: v for k, v in facts.items() if k != "store_sizes"},
        "python_version": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "packages": {p: version(p) for p in ("eventsourcing", "sqlalchemy", "psycopg",
                                             "orjson", "marshmallow")},
        "duration_per_measurement_s": duration,
        "rounds": rounds,
        "aggregation": "append and pgbench figures: median of the rounds (ours and peer "
                       "alternate which goes first); replay: best run; scan: best pass",
        "samples": {kind: {k: [round(x, 1) for x in v] for k, v in by_figure.items()}
                    for kind, by_figure in samples.items()},
        "client_cpu_us_per_txn": {
            kind: {figure: round(median(values)) for figure, values in by_figure.items()}
            for kind, by_figure in cpu_samples.items()},
        "pgbench_commands": commands,
        "writers": WRITERS,
        "writer_kind": "processes (multiprocessing spawn), one engine/connection each",
        "streams": f"append_1: {STREAMS_PER_WRITER} growing streams per writer, round robin; "
                   f"append_100: {STREAMS_BATCH} growing streams, {BATCH} events per transaction",
        "replay": f"one {REPLAY_EVENTS}-event stream, best of >=5 runs (2 s budget)",
        "scan": f"whole store, pages of {PAGE}, best of 3 passes",
        "scanned_events": scanned,
        "payload_bytes": len(json.dumps(PAYLOAD, separators=(",", ":"))),
        "loadavg_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "total_run_s": round(time.monotonic() - began, 1),
    }
    print(json.dumps({"ours": _round(ours), "peer": _round(peer), "limit": _round(limit),
                      "goals": goals, "meta": meta}, indent=2))


def _round(figures: dict) -> dict:
    return {k: round(v, 3) if k.endswith("_ms") else round(v, 1) for k, v in figures.items()}


if __name__ == "__main__":
    main()
