"""Must show (issue 10, item 3): the relay is supervised and says what goes wrong.

residents runs as `station serve` on this test's vhost and PostgreSQL database; events are
appended to its store from here (org events: casework only advances past them). What the
relay published is counted in `casework.inbox.residents`, the queue the relay declares
for its subscriber (casework is not running, so every message stays there).
"""
from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from urllib.parse import unquote, urlsplit

import amqp
import kombu
import pytest

from shared import topology
from shared.events import NewEvent
from shared.stores import open_store
from station import catalog
from tests.conftest import rabbitmqctl
from tests.integration.casework_support import call, token
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration
QUEUE = topology.inbox_name("casework", "residents")


OPS = token("ops", "district_admin", "district:d-1")  # health.details


def readiness(url: str) -> dict:
    """Readiness with its details (relay pid, restarts, errors): an ops-scoped caller's."""
    return call("GET", url, token=OPS)[1]


def published(amqp_uri: str) -> Counter:
    """Every message waiting in the subscriber's queue, by message (= event) id; drains it."""
    counts: Counter = Counter()
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            while (message := channel.basic_get(queue=QUEUE, no_ack=True)) is not None:
                counts[message.properties["message_id"]] += 1
        except amqp.exceptions.NotFound:   # no relay ever published: nothing declared it
            return counts
    return counts


def unpublished(store) -> int:
    """Events committed that the relay has not published (numbered or not yet)."""
    from shared import health
    return health.relay(store.engine, "residents")["lag"]


def append(store, first: int, count: int) -> list[str]:
    ids = []
    for i in range(first, first + count):
        ids += [e.event_id for e in store.append(f"district-t{i}", 0, [NewEvent(
            "DistrictAdded", {"district_id": f"t{i}", "name": f"District {i}"})])]
    return ids


@pytest.fixture
def residents(services, service_env, database_url, tmp_path):
    services.start("residents")
    store = open_store("residents", {"DATABASE_URL": database_url,
                                     "STATION_DATA_DIR": str(tmp_path)}, catalog.registry("residents"))
    url = f"{services.url('residents')}/api/v1/residents/health"
    wait_until(lambda: readiness(url)["status"] == "ok", timeout=60, what="residents ready")
    yield store, url
    store.engine.dispose()


def test_a_relay_killed_while_events_are_appended_is_restarted_and_publishes_them_all(
        residents, amqp_uri, tmp_path):
    store, url = residents
    pid = readiness(url)["checks"]["relay"]["pid"]
    ids = append(store, 0, 300)
    killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))  # mid-way through the next appends
    killer.start()
    ids += append(store, 300, 300)
    killer.join()
    report = wait_until(lambda: (r := readiness(url))["status"] == "ok"
                        and r["checks"]["relay"]["lag"] == 0 and r["checks"]["relay"]["pid"] != pid
                        and r, timeout=60, what="a new relay, nothing left to publish")
    counts = published(amqp_uri)
    in_store = {e.event_id for e in store.read_all(0, 5000)}
    doubled = sum(n - 1 for n in counts.values() if n > 1)
    print(f"\nrelay SIGKILLed while appending: {len(ids)} events appended "
          f"({len(in_store)} in the store), published {len(counts)} distinct, "
          f"lost {len(in_store - set(counts))}, sent twice {doubled}, "
          f"restarts {report['checks']['relay']['restarts']}")
    assert set(counts) == in_store  # every committed event published, none invented
    # A kill between the broker's confirm and the checkpoint write resends what that batch
    # had confirmed (seen: 0 and 9): at-least-once at the broker, bounded by one batch;
    # exactly once is where events are applied (the inbox drops ids it has).
    assert doubled <= 500 and all(n <= 2 for n in counts.values())
    assert report["checks"]["relay"]["restarts"] == 1
    assert '"relay.exited"' in (tmp_path / "residents.log").read_text()


def test_a_broker_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
        residents, amqp_uri, tmp_path):
    store, url = residents
    vhost, user = unquote(urlsplit(amqp_uri).path[1:]), urlsplit(amqp_uri).username or "guest"
    log = tmp_path / "residents.log"
    rabbitmqctl("delete_vhost", vhost)  # this deployment's broker gone; the shared one runs on
    try:
        ids = append(store, 0, 100)
        wait_until(lambda: '"relay.outage_started"' in log.read_text(), timeout=30,
                   what="the outage logged")
        wait_until(lambda: readiness(url)["checks"]["relay"]["lag"] == 100, timeout=30,
                   what="the lag on health")
    finally:
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    wait_until(lambda: readiness(url)["checks"]["relay"]["lag"] == 0, timeout=60,
               what="everything published after the outage")
    counts = published(amqp_uri)
    print(f"\nbroker outage: {len(ids)} events appended during it, published {len(set(ids) & set(counts))}, "
          f"lost {len(set(ids) - set(counts))}, sent twice {sum(n - 1 for n in counts.values() if n > 1)}")
    assert set(ids) <= set(counts)
    text = log.read_text()
    assert text.count('"relay.outage_started"') == 1 and text.count('"relay.outage_ended"') == 1
    assert '"relay.failed"' not in text  # an outage is not counted as a bug
    assert readiness(url)["checks"]["relay"]["errors"] == 0


def _store(env: dict):
    return open_store("residents", {"DATABASE_URL": env.get("DATABASE_URL"),
                                    "STATION_DATA_DIR": env["STATION_DATA_DIR"]},
                      catalog.registry("residents"))


def test_a_stopped_relay_publishes_what_was_committed_before_it_exits(service_env, amqp_uri):
    """Issue 15 (Ctrl-C with the outbox flushed): Relay.drain on the way out."""
    from shared.relay import ConfirmingPublisher, Relay
    store = _store(service_env)
    ids = append(store, 0, 120)
    relay = Relay(store, ConfirmingPublisher(amqp_uri, "residents"), "residents")
    relay.stop()                 # asked to stop before it published anything
    relay.run()                  # the loop is over at once; the drain is not
    assert unpublished(store) == 0
    assert set(published(amqp_uri)) == set(ids)


def test_a_supervised_relay_ignores_ctrl_c_and_drains_when_its_service_stops_it(
        service_env, amqp_uri):
    """Ctrl-C reaches the whole process group: the supervised relay waits for its service
    (which finishes its requests first) to send SIGTERM, then drains and exits."""
    import subprocess
    import sys
    import time
    from shared.relay import Checkpoint
    store = _store(service_env)
    relay = subprocess.Popen([sys.executable, "-m", "station.cli", "relay", "residents",
                              "--supervised"], env=service_env)
    try:
        first = append(store, 0, 10)
        wait_until(lambda: Checkpoint(store.engine, "relay:residents").get() >= len(first),
                   timeout=60, what="the relay publishes")
        relay.send_signal(signal.SIGINT)
        time.sleep(1.5)
        assert relay.poll() is None, "a supervised relay stopped at Ctrl-C"
        # the service's last requests commit after the Ctrl-C; then it stops the relay
        last = append(store, 10, 200)
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=30) == 0
    finally:
        if relay.poll() is None:
            relay.kill()
    assert unpublished(store) == 0
    assert set(published(amqp_uri)) == set(first + last)
