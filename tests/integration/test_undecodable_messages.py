"""Must show (issue 20, item 7, first bullet): a message on `residents.events` that is no
event envelope stops no consumer.

The five services run as `station serve` processes on the real broker. Poison
messages (more than a consumer takes at once) are published straight to the residents' exchange as anyone on the broker
could: `[1,2,3]` as JSON (what the hostile probe sent), an object missing the envelope's
fields, an envelope with a field of the wrong type, a body that is not JSON, and text
under another content type. Then a resident is registered on the real residents service:
every consumer (casework, activities, resources, reporting) applies that event behind
the poison; each consumer's parking queue holds them all, each with its reason; each
poison is one warning line in each consumer's log and no traceback. A consumer's health
answers 200 `degraded` naming `inbox:residents` and the parked count.
"""
from __future__ import annotations

import json

import kombu
import pytest
import sqlalchemy as sa

from shared import topology
from shared.stores import engine_for
from tests.integration.casework_support import call
from tests.integration.test_casework_followups_by_events import id_number
from tests.support.auth import People, signed_token
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

CONSUMERS = ("casework", "activities", "resources", "reporting")


def poison() -> list[tuple[bytes, str, str]]:
    """(body, content type, what the reason must say) for each message that is no event."""
    wrong_type = {"event_id": "e-1", "stream_id": "resident-x", "stream_version": 1,
                  "position": "7", "type": "ResidentRegistered", "schema_version": 1,
                  "station_id": None, "occurred_at": "", "recorded_at": "", "actor": None,
                  "correlation_id": None, "causation_id": None, "payload": {},
                  "prev_hash": "", "hash": "", "signature": None}
    return [(b"[1,2,3]", "application/json", "the body is a list"),
            (b'{"type": "ResidentRegistered", "payload": {}}', "application/json",
             "missing event_id"),
            (json.dumps(wrong_type).encode(), "application/json", "position is text"),
            (b"{not json", "application/json", "not decodable as application/json"),
            (b"hello", "text/plain", "not decodable as text/plain")]


def publish(amqp_uri: str, messages) -> None:
    with kombu.Connection(amqp_uri) as conn:
        producer = kombu.Producer(conn.channel())
        for body, content_type, _ in messages:
            producer.publish(body, exchange=topology.events_exchange("residents"),
                             routing_key="ResidentRegistered", content_type=content_type,
                             content_encoding="utf-8")


def parked(amqp_uri: str, consumer: str, count: int) -> list[tuple[bytes, dict]]:
    """The messages in the consumer's parking queue, taken off it."""
    name = topology.parked_queue(topology.inbox_name(consumer, "residents")).name
    found = []
    with kombu.Connection(amqp_uri) as conn:
        channel = conn.channel()

        def more():
            while (message := channel.basic_get(name, no_ack=True)) is not None:
                body = message.body
                found.append((body.encode() if isinstance(body, str) else body,
                              message.headers or {}))
            return len(found) >= count
        wait_until(more, timeout=60, what=f"{count} messages parked for {consumer}")
        channel.close()
    return found


def applied_up_to(engine: sa.Engine, consumer: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT position FROM checkpoints WHERE name = :n"),
                            {"n": f"inbox:{consumer}:residents"}).scalar() or 0


def applied_ids(engine: sa.Engine, consumer: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT event_id FROM inbox_applied WHERE name = :n"),
                                {"n": f"inbox:{consumer}:residents"}).scalars())


def register(services, env) -> str:
    residents = f"{services.url('residents')}/api/v1"
    status, org = call("GET", f"{residents}/org",
                       token=signed_token("admin", "district_admin", "district:nanming"))
    assert status == 200, org
    station = org["districts"][0]["streets"][0]["stations"][0]
    people = People(env)
    try:
        who = people.token(services.url("residents"), "wang", "social_worker",
                           f"station:{station['id']}")
    finally:
        people.close()
    status, body = call("POST", f"{residents}/residents", {
        "station_id": station["id"], "community_id": station["communities"][0]["id"],
        "name": "张桂兰", "gender": "female", "birth_date": "1940-05-01",
        "id_number": id_number("1940-05-01", female=True), "categories": ["living_alone"]},
        token=who)
    assert status == 201, body
    return body["id"]


def test_messages_that_are_no_event_are_parked_at_once_and_the_stream_goes_on(
        services, service_env, tmp_path):
    amqp_uri = service_env["AMQP_URI"]
    services.start("residents", *CONSUMERS)
    config = {"STATION_DATA_DIR": service_env["STATION_DATA_DIR"]}
    engines = {c: engine_for(c, config) for c in CONSUMERS + ("residents",)}
    try:
        messages = poison() * 3  # more than a consumer's prefetch (max_workers, 10)
        publish(amqp_uri, messages)
        resident = register(services, service_env)

        def numbered():  # positions are given after commit (the store's sequencer)
            with engines["residents"].connect() as conn:
                row = conn.execute(sa.text(
                    "SELECT event_id, position FROM events WHERE type = 'ResidentRegistered' "
                    "AND stream_id = :s"), {"s": f"resident-{resident}"}).one()
            return row if row.position is not None else None
        registered = wait_until(numbered, timeout=30, what="the registration numbered")
        for consumer in CONSUMERS:
            wait_until(lambda: applied_up_to(engines[consumer], consumer) >= registered.position,
                       timeout=60, what=f"{consumer} applied the registration behind the poison")
            assert registered.event_id in applied_ids(engines[consumer], consumer)

        with engines["casework"].connect() as conn:
            assert conn.execute(sa.text("SELECT station_id FROM known_residents "
                                        "WHERE resident_id = :r"), {"r": resident}).scalar()

        for consumer in CONSUMERS:
            got = parked(amqp_uri, consumer, len(messages))
            assert sorted(body for body, _ in got) == sorted(body for body, _, _ in messages)
            by_body = {body: headers for body, headers in got}
            for body, _, reason in messages:
                headers = by_body[body]
                assert reason in headers["x-undecodable"], (consumer, headers)
                assert headers["x-error"].startswith("undecodable: ")
            # Nothing came back after it was parked (it was never requeued).
            assert parked(amqp_uri, consumer, 0) == []

        for consumer in CONSUMERS:
            log = (tmp_path / f"{consumer}.log").read_text()
            assert log.count('"inbox.undecodable"') == len(messages), consumer
            assert "Traceback" not in log, consumer
    finally:
        for engine in engines.values():
            engine.dispose()


def test_health_names_the_inbox_with_parked_messages_as_degraded(services, service_env):
    services.start("residents", "casework")
    publish(service_env["AMQP_URI"], poison()[:1])
    url = f"{services.url('casework')}/api/v1/casework/health"

    def degraded():
        status, body = call("GET", url)
        return status == 200 and body["status"] == "degraded" and body
    body = wait_until(degraded, timeout=60, what="casework degraded")
    assert body["degraded"] == ["inbox:residents"] and body["failing"] == []
    assert body["checks"]["inboxes"]["residents"]["parked"] == 1
    residents = f"{services.url('residents')}/api/v1/residents/health"
    ready = wait_until(lambda: (r := call("GET", residents))[0] == 200 and r[1],
                       timeout=60, what="residents ready")
    assert (ready["status"], ready["degraded"]) == ("ok", [])  # nothing parked there
