"""Scale-out (must show): two processes of one subscriber on the same queue, under load
and with one of them killed mid-way: nothing applied twice, nothing lost, every stream's
events applied in order; two relays of one source: one publishes (the lease), nothing
is published twice. Queues as a clustered broker has them (STATION_QUEUE_TYPE=quorum).

The subscriber is `scaled` (tests/support/ops_services.py), run by the same nameko
runner as `station serve`; each row of its projection records the process that applied it.
"""
from __future__ import annotations

import json
import subprocess
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from shared import topology
from shared.events import NewEvent, Registry
from shared.stores import open_store
from tests.support.harness import ServiceProcess, wait_until
from tests.support.ops_services import handled, relay_for, scaled_tables
from tests.support.services import registry

pytestmark = pytest.mark.integration

EVENTS, STREAMS = 800, 20


@pytest.fixture
def env(service_env, database_url, monkeypatch):
    monkeypatch.setenv("STATION_QUEUE_TYPE", "quorum")  # this process declares queues too
    return {**service_env, "DATABASE_URL": database_url, "STATION_QUEUE_TYPE": "quorum"}


def vhost_queues(amqp_uri: str) -> dict[str, str]:
    vhost = amqp_uri.rsplit("/", 1)[1] or "/"
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "--no-table-headers",
                          "name", "type"], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return dict(line.split("\t")[:2] for line in out.strip().splitlines() if "\t" in line)


def test_two_subscriber_processes_share_the_load_exactly_once_in_stream_order(env, tmp_path):
    # the services' data directory: the source's relay signs with the key its consumers know
    config = {"DATABASE_URL": env["DATABASE_URL"], "STATION_DATA_DIR": env["STATION_DATA_DIR"]}
    source = open_store("tsource", config, registry)
    scaled = open_store("scaled", config, Registry(), scaled_tables)
    answering = ServiceProcess("tests.support.services:TSource", env,  # read_all on a gap
                               str(tmp_path / "tsource.log"))
    workers = [ServiceProcess("tests.support.ops_services:Scaled", env,
                              str(tmp_path / f"scaled-{i}.log")) for i in range(2)]
    relays = [relay_for(open_store("tsource", config, registry), env["AMQP_URI"], "scaled")
              for _ in range(2)]
    threads = [r.start() for r in relays]
    try:
        started = time.monotonic()
        for i in range(EVENTS):
            stream = f"s{i % STREAMS}"
            source.append(stream, i // STREAMS, [NewEvent("Counted", {"n": i})])
            if i == EVENTS // 2:  # SIGKILL one subscriber mid-load, start another
                wait_until(lambda: count(scaled) > EVENTS // 4, what="a quarter applied")
                workers[0].kill()
                workers.append(ServiceProcess("tests.support.ops_services:Scaled", env,
                                              str(tmp_path / "scaled-2.log")))
        wait_until(lambda: count(scaled) >= EVENTS, timeout=240, every=0.5,
                   what=f"{EVENTS} events applied")
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # anything applied twice would show up now
        rows = rows_of(scaled)
    finally:
        for relay in relays:
            relay.stop()
        for thread in threads:
            thread.join(timeout=30)
        for worker in workers + [answering]:
            worker.stop()

    ids = Counter(r.event_id for r in rows)
    assert len(ids) == EVENTS and max(ids.values()) == 1          # nothing lost or doubled
    by_stream: dict[str, list[int]] = {}
    for row in rows:                                              # in the order applied
        by_stream.setdefault(row.stream_id, []).append(row.stream_version)
    assert all(v == list(range(1, len(v) + 1)) for v in by_stream.values())
    assert [r.position for r in rows] == list(range(1, EVENTS + 1))
    per_process = Counter(r.pid for r in rows)
    assert len(per_process) >= 2 and min(per_process.values()) > EVENTS // 50, per_process
    published = sorted(r.published for r in relays)
    assert published == [0, EVENTS], published                    # one relay, by lease
    assert vhost_queues(env["AMQP_URI"])[topology.inbox_name("scaled", "tsource")] == "quorum"
    print(f"\nscale-out: {EVENTS} events, applied per process {dict(per_process)}, "
          f"{elapsed:.1f}s, relays published {published}")


def count(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(handled)).scalar()


def rows_of(store) -> list:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(handled).order_by(handled.c.seq)))


def test_the_queue_type_follows_the_configuration(amqp_uri, monkeypatch):
    """Quorum on a clustered broker, classic on one node: STATION_QUEUE_TYPE decides."""
    import kombu
    with kombu.Connection(amqp_uri) as conn:
        for kind, consumer in (("classic", "c1"), ("quorum", "q1")):
            monkeypatch.setenv("STATION_QUEUE_TYPE", kind)
            topology.declare_inbox(conn.default_channel, consumer, "tsource")
    queues = vhost_queues(amqp_uri)
    assert {q: t for q, t in queues.items() if q.startswith("c1.")} == {
        "c1.inbox.tsource": "classic", "c1.inbox.tsource.retry": "classic",
        "c1.inbox.tsource.parked": "classic"}
    assert {q: t for q, t in queues.items() if q.startswith("q1.")} == {
        "q1.inbox.tsource": "quorum", "q1.inbox.tsource.retry": "quorum",
        "q1.inbox.tsource.parked": "quorum"}


def test_two_station_serve_casework_processes_schedule_each_follow_up_once(
        service_env, database_url, tmp_path):
    """The real service as its containers run it: two `station serve casework` processes
    on one queue; residents' card events for many residents; one follow-up each."""
    import sys
    import urllib.request

    from tests.conftest import free_port
    from tests.integration.casework_support import ResidentsFeed

    env = {**service_env, "DATABASE_URL": database_url}
    ports = [free_port(), free_port()]
    logs = [open(tmp_path / f"casework-{i}.log", "ab") for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "station.cli", "serve", "casework",
                               "--port", str(port), "--data-dir", str(tmp_path)],
                              env=env, stdout=log, stderr=log) for port, log in zip(ports, logs)]
    feed = ResidentsFeed(env)
    answering = ServiceProcess("tests.support.ops_services:ResidentsSource", env,
                               str(tmp_path / "residents.log"))
    try:
        def answers(port: int) -> bool:
            assert all(p.poll() is None for p in procs), f"casework exited: see {tmp_path}"
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/casework/ping",
                                              timeout=2).status == 200
            except OSError:
                return False
        for port in ports:
            wait_until(lambda: answers(port), what="casework answers", every=0.5)
        cards = ("red", "blue", "green")
        for i in range(90):
            feed.register(f"res-{i}", "st-xihu")
            feed.assign(f"res-{i}", "st-xihu", cards[i % 3])
        feed.deliver(env, timeout=180)
        engine = open_store("casework", {"DATABASE_URL": database_url}, Registry()).engine
        with engine.connect() as conn:
            scheduled = conn.execute(sa.text(
                "SELECT payload FROM events WHERE type = 'FollowUpScheduled'")).scalars().all()
            relay_leases = conn.execute(sa.text(
                "SELECT count(*) FROM leases WHERE name = 'relay:casework'")).scalar()
        engine.dispose()
        consumers = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", env["AMQP_URI"].rsplit("/", 1)[1],
             "--no-table-headers", "name", "consumers"], capture_output=True, text=True,
            check=True, timeout=60).stdout
    finally:
        feed.close()
        answering.stop()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    per_resident = Counter(json.loads(p)["resident_id"] for p in scheduled)
    assert set(per_resident) == {f"res-{i}" for i in range(90)}     # none lost
    assert set(per_resident.values()) == {1}                        # none doubled
    assert "casework.inbox.residents\t2" in consumers                # both consume
    assert relay_leases == 1                                        # one relay publishes
