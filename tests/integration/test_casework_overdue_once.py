"""Must show: a missed Red follow-up emits FollowUpOverdue exactly once with two
checker instances running — two real casework processes on one PostgreSQL database,
checking concurrently until both have answered. Exactly-once comes from the event
store's optimistic concurrency (see services.casework.handlers.flag_once).

No caller chooses the time: the check runs on the services' clock, with a service
credential (shared.kit.rpc); the card is given a month ago, so its follow-up is missed."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from shared.relay import Checkpoint
from shared.stores import open_store
from services.casework.events import registry
from tests.conftest import RunningServices
from tests.integration.casework_support import BusTap, ResidentsFeed, call, store_config, token
from tests.support.auth import service_rpc
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def second(service_env, tmp_path):
    """Another casework process with the same environment (same database, same vhost)."""
    data_dir = tmp_path / "second"
    data_dir.mkdir()
    running = RunningServices(service_env, str(data_dir))
    yield running
    running.stop()


def check_concurrently(amqp_uri: str, calls: int) -> list[dict]:
    answers, errors = [], []

    def check():
        try:
            with service_rpc(amqp_uri, timeout=30) as rpc:
                answers.append(rpc.casework.check_overdue())
        except Exception as exc:  # surfaced below, not swallowed
            errors.append(exc)
    threads = [threading.Thread(target=check) for _ in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return answers


def test_a_missed_red_follow_up_is_flagged_once_by_two_checker_instances(
        database_url, service_env, services, second, amqp_uri):
    services.start("casework")
    second.start("casework")
    tap = BusTap(amqp_uri, "casework", "FollowUpOverdue")
    feed = ResidentsFeed(service_env)
    casework = open_store("casework", store_config(service_env), registry)
    try:
        feed.assign("res-1", "st-1", "red", at=datetime.now(timezone.utc) - timedelta(days=30))
        feed.publish_all()

        def red_follow_up():
            _, body = call("GET", f"{services.url('casework')}/api/v1/followups?card=red",
                           token=token())
            return body["items"]
        (followup,) = wait_until(red_follow_up, timeout=60, what="the Red follow-up")

        answers, instances = [], set()

        def both_instances_checked():
            got = check_concurrently(amqp_uri, calls=6)
            answers.extend(got)
            instances.update(a["instance"] for a in got)
            return len(instances) == 2
        wait_until(both_instances_checked, timeout=120, every=0.0,
                   what="both casework instances ran the check")

        # One of the checks flagged it (or the services' own timer did, a minute after
        # start, on a slow machine); the store and the bus below hold it exactly once.
        flagged = [f for a in answers for f in a["flagged"]]
        assert flagged in ([followup["id"]], [])
        assert {i.split(":")[1] for i in instances} == {
            str(services.procs["casework"].pid), str(second.procs["casework"].pid)}

        def stored_overdue():
            return [e for e in casework.read_all(0, 10_000) if e.type == "FollowUpOverdue"]
        assert [e.payload["followup_id"] for e in stored_overdue()] == [followup["id"]]
        assert casework.read_stream(f"followup-{followup['id']}")[-1].type == "FollowUpOverdue"

        relay = Checkpoint(casework.engine, "relay:casework")
        wait_until(lambda: relay.get() >= casework.last_position(), timeout=60,
                   what="casework's relay published everything")
        on_bus = tap.messages()
        assert [m["payload"]["followup_id"] for m in on_bus] == [followup["id"]]
        assert on_bus[0]["payload"] == {"followup_id": followup["id"], "resident_id": "res-1",
                                        "station_id": "st-1", "card": "red",
                                        "due_at": followup["due_at"]}

        _, overdue = call("GET", f"{services.url('casework')}/api/v1/followups?status=overdue",
                          token=token())
        assert [i["id"] for i in overdue["items"]] == [followup["id"]]
    finally:
        tap.close()
        feed.close()
        casework.engine.dispose()
