"""Outbox relay, broker and inbox together, with faults injected (must show 4, 5, 6, 8).

The source is `tsource` (its store written directly here, its relay a thread here, its
RPC answered by a real service process); the subscriber is `ledger`, a real nameko
service process whose projection records every application of every event.
"""
from __future__ import annotations

import subprocess
from collections import Counter

import kombu
import orjson
import pytest

from shared import topology
from shared.events import NewEvent
from shared.relay import message_of
from tests.support.harness import (RelayThread, ServiceProcess, ledger_applied, wait_until)

pytestmark = pytest.mark.integration


@pytest.fixture
def env(service_env, database_url):
    """Both stores on this test's PostgreSQL database, the broker on this test's vhost."""
    return {**service_env, "DATABASE_URL": database_url, "MAX_RETRIES": "2"}


@pytest.fixture
def procs(env, tmp_path):
    started: list[ServiceProcess] = []

    def start(name: str) -> ServiceProcess:
        proc = ServiceProcess(f"tests.support.services:{name}", env, str(tmp_path / f"{name}.log"))
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def relay(env):
    thread = RelayThread(env)
    yield thread
    thread.stop()


def counted(n: int, **extra) -> NewEvent:
    return NewEvent("Counted", {"n": n, **extra})


def applied_counts(env) -> Counter:
    return Counter(row["event_id"] for row in ledger_applied(env["AMQP_URI"]))


def broker(action: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", action], check=True, capture_output=True, timeout=120)


@pytest.mark.serial
def test_events_appended_while_the_broker_is_down_are_all_applied_exactly_once(env, procs, relay):
    """Must show 4: stop_app while 1,000 events are appended, then start_app."""
    procs("TSource")
    procs("Ledger")
    relay.start()
    relay.store.append("warmup", 0, [counted(0)])
    wait_until(lambda: len(applied_counts(env)) == 1, what="warm-up event applied")
    broker("stop_app")
    try:
        ids = []
        for i in range(1000):
            stream = f"s{i % 50}"
            ids += [e.event_id for e in relay.store.append(stream, i // 50, [counted(i)])]
    finally:
        broker("start_app")
        subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=True, timeout=120)
    counts = wait_until(lambda: (c := applied_counts(env)) and len(c) == 1001 and c,
                        timeout=180, every=1.0, what="1,001 events applied")
    assert set(ids) <= set(counts)
    assert max(counts.values()) == 1       # none applied twice
    assert relay.relay.checkpoint.get() == 1001


def publish_raw(amqp_uri: str, events, store) -> None:
    """Deliver the relay's messages straight to the ledger's queue, as a misbehaving
    network might (duplicated, reordered: still the source's signed messages)."""
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        topology.declare_inbox(channel, "ledger", "tsource")
        producer = kombu.Producer(channel)
        for event in events:
            body, _, headers = message_of(event, store.store_id, store.signer)
            producer.publish(body, exchange="", headers=headers,
                             routing_key=topology.inbox_name("ledger", "tsource"),
                             content_type="application/json", content_encoding="utf-8",
                             message_id=event.event_id)


def test_duplicated_and_reordered_deliveries_leave_the_fold_of_the_stream(env, procs, relay):
    """Must show 5: the same message twice and out of order; the gap is read over RPC."""
    procs("TSource")
    procs("Ledger")
    relay.store.append("s", 0, [counted(i) for i in range(1, 7)])
    events = relay.store.read_all(0, 100)
    by_position = {e.position: e for e in events}
    order = [3, 1, 3, 2, 6, 5, 4, 1, 6]
    publish_raw(env["AMQP_URI"], [by_position[p] for p in order], relay.store)
    wait_until(lambda: len(applied_counts(env)) == 6, what="six events applied")
    rows = ledger_applied(env["AMQP_URI"])
    assert [r["position"] for r in rows] == [1, 2, 3, 4, 5, 6]   # applied in stream order
    assert [r["n"] for r in rows] == [e.payload["n"] for e in relay.store.read_stream("s")]


def test_a_poison_message_is_parked_after_its_retries_and_the_rest_are_applied(env, procs, relay):
    """Must show 6. (Issue 20, item 3: the rest of the poison's own stream waits behind it,
    n=6 here; the good events of another stream, n=4 and 5, are applied.)"""
    procs("TSource")
    procs("Ledger")
    relay.start()
    relay.store.append("s", 0, [counted(1), counted(2), counted(3, poison=True)])
    relay.store.append("t", 0, [counted(4), counted(5)])
    relay.store.append("s", 3, [counted(6)])
    wait_until(lambda: len(applied_counts(env)) == 4, what="the four good events applied")
    parked_name = topology.parked_queue(topology.inbox_name("ledger", "tsource")).name

    def parked_message():
        with kombu.Connection(env["AMQP_URI"]) as conn:
            if not _depth(conn, parked_name):
                return None
            message = conn.SimpleQueue(parked_name).get(timeout=1)
            message.ack()
            return message.payload, message.headers

    payload, headers = wait_until(parked_message, timeout=60, what="poison message parked")
    assert payload["payload"] == {"n": 3, "poison": True, "slow_s": 0.0}
    assert headers["x-retries"] == 3          # first try + MAX_RETRIES=2, then parked
    assert "poison event n=3" in headers["x-error"]
    assert sorted(r["n"] for r in ledger_applied(env["AMQP_URI"])) == [1, 2, 4, 5]


def _depth(conn, queue_name: str) -> int:
    _, count, _ = conn.default_channel.queue_declare(queue_name, passive=True)
    return count


def test_events_published_before_the_subscriber_ever_ran_are_delivered_when_it_starts(env, procs, relay):
    """Must show 8: the relay declares the subscriber's queue before it publishes."""
    procs("TSource")
    relay.start()
    relay.store.append("s", 0, [counted(i) for i in range(10)])
    wait_until(lambda: relay.relay.checkpoint.get() == 10, what="relay published all")
    procs("Ledger")
    counts = wait_until(lambda: (c := applied_counts(env)) and len(c) == 10 and c,
                        what="ten events applied")
    assert set(counts.values()) == {1}


def test_a_subscriber_killed_mid_message_applies_it_once_after_restart(env, procs, relay):
    """SIGKILL while a handler runs: the unacked message comes back and is applied once."""
    procs("TSource")
    ledger = procs("Ledger")
    relay.start()
    relay.store.append("s", 0, [counted(1), counted(2, slow_s=3.0), counted(3)])
    wait_until(lambda: len(applied_counts(env)) == 1, what="first event applied")
    ledger.kill()
    procs("Ledger")
    counts = wait_until(lambda: (c := applied_counts(env)) and len(c) == 3 and c,
                        timeout=60, what="all three applied")
    assert set(counts.values()) == {1}


def test_messages_carry_the_event_id_and_its_place_in_the_store(env, relay):
    """Message id = event id; headers name stream, version, position and schema version."""
    with kombu.Connection(env["AMQP_URI"]) as conn:
        channel = conn.channel()
        topology.events_exchange("tsource")(channel).declare()
        tap = kombu.Queue("tap", exchange=topology.events_exchange("tsource"), routing_key="#",
                          exclusive=True)(channel)
        tap.declare()
        (stored,) = relay.store.append("resident-1", 0, [counted(7)])
        assert relay.relay.run_once() == 1
        message = wait_until(lambda: tap.get(no_ack=True), what="message on the tap")
    assert message.properties["message_id"] == stored.event_id
    assert message.delivery_info["routing_key"] == "Counted"
    assert {k: message.headers[k] for k in ("stream_id", "stream_version", "position",
                                            "schema_version")} == {
        "stream_id": "resident-1", "stream_version": 1, "position": 1, "schema_version": 1}
    assert orjson.loads(message.body)["payload"] == {"n": 7, "poison": False, "slow_s": 0.0}


def test_only_one_relay_of_a_service_works_at_a_time(env):
    """A second relay waits on the lease until the first lets go (or its lease expires)."""
    first, second = RelayThread(env), RelayThread(env)
    assert first.relay.lease.acquire() is True
    assert second.relay.lease.acquire() is False
    assert first.relay.lease.acquire() is True          # the holder renews
    first.relay.lease.release()
    assert second.relay.lease.acquire() is True
