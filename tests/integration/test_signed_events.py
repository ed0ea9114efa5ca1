"""Must show (issue #9, signed events): on the real broker, with `station serve residents`
and `station serve casework`, messages published straight to `residents.events` as
`ResidentTransferred` at the next position — unsigned, signed with a key that is not
residents', and a genuine message replayed at that position — are parked with the
reason, casework applies nothing of them, and the genuine event at that position is
applied afterwards."""
from __future__ import annotations

import kombu
import orjson
import pytest
import sqlalchemy as sa

from shared import hashchain, signing, topology
from shared.events import NewEvent
from shared.relay import message_of
from shared.stores import engine_for, open_store
from station import catalog
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

PARKED = topology.parked_queue(topology.inbox_name("casework", "residents")).name


def transfer(resident: str, to_station: str, from_station: str) -> NewEvent:
    return NewEvent("ResidentTransferred", {
        "resident_id": resident, "station_id": to_station, "from_station_id": from_station,
        "from_community_id": f"{from_station}-c", "to_station_id": to_station,
        "community_id": f"{to_station}-c"}, station_id=from_station, actor="head")


@pytest.fixture
def running(services, service_env):
    services.start("residents", "casework")
    config = {"STATION_DATA_DIR": service_env["STATION_DATA_DIR"]}
    residents = open_store("residents", config, catalog.registry("residents"))
    casework = engine_for("casework", config)
    yield residents, casework
    residents.engine.dispose()
    casework.dispose()


def applied_up_to(casework: sa.Engine) -> int:
    with casework.connect() as conn:
        return conn.execute(sa.text("SELECT position FROM checkpoints "
                                    "WHERE name = 'inbox:casework:residents'")).scalar() or 0


def station_of(casework: sa.Engine, resident: str) -> str | None:
    with casework.connect() as conn:
        return conn.execute(sa.text("SELECT station_id FROM known_residents "
                                    "WHERE resident_id = :r"), {"r": resident}).scalar()


def forged(genuine_message: dict, position: int, attacker: signing.Signer) -> list:
    """Three attacks at `position`: (body, reason expected in x-rejected)."""
    base = {**genuine_message, "event_id": "forged-1", "stream_id": "resident-victim",
            "stream_version": 2, "position": position, "signature": None,
            "delivery_signature": None,
            "payload": {**genuine_message["payload"], "station_id": "st-a",
                        "to_station_id": "st-a", "community_id": "st-a-c"}}
    base["hash"] = hashchain.chain(base["prev_hash"], base)      # a chain that holds
    unsigned = dict(base)
    wrong_key = {**base, "signature": attacker.seal(base["hash"]),
                 "delivery_signature": attacker.deliver(base["store_id"], position,
                                                        base["hash"])}
    # The genuine, signed event of position 1 sent again as if it were at `position`.
    replayed = {**genuine_message, "position": position}
    return [(unsigned, "unsigned"), (wrong_key, "bad signature"),
            (replayed, "delivery: bad signature")]


def publish(amqp_uri: str, bodies: list[dict]) -> None:
    """Straight to the exchange the relay publishes to, as anyone on the broker could."""
    with kombu.Connection(amqp_uri) as conn:
        producer = kombu.Producer(conn.channel())
        for body in bodies:
            producer.publish(orjson.dumps(body), exchange=topology.events_exchange("residents"),
                             routing_key="ResidentTransferred", content_type="application/json",
                             content_encoding="utf-8", headers={"position": body["position"]})


def parked(amqp_uri: str, count: int) -> list[tuple[dict, dict]]:
    found = []
    with kombu.Connection(amqp_uri) as conn:
        queue = conn.SimpleQueue(PARKED)

        def more():
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                return len(found) >= count
            message.ack()
            found.append((message.payload, message.headers))
            return len(found) >= count
        wait_until(more, timeout=60, every=0.1, what=f"{count} messages parked")
        queue.close()
    return found


def test_forged_and_replayed_events_are_parked_and_the_genuine_one_still_applies(
        running, service_env):
    residents, casework = running
    amqp_uri = service_env["AMQP_URI"]
    first = residents.append("resident-victim", 0, [transfer("victim", "st-b", "st-c")])[0]
    wait_until(lambda: station_of(casework, "victim") == "st-b", what="genuine transfer applied")
    wait_until(lambda: applied_up_to(casework) == residents.last_position(),
               what="casework caught up")
    next_position = residents.last_position() + 1

    stored = next(e for e in residents.read_all(0, 10_000) if e.event_id == first.event_id)
    genuine_message = orjson.loads(message_of(stored, residents.store_id, residents.signer)[0])
    # An attacker's own key, presented under residents' key id.
    stranger = signing.parse_private("residents", signing.new_private_line("residents"))
    attacker = signing.Signer("residents", residents.signer.kid, stranger.key)
    attacks = forged(genuine_message, next_position, attacker)
    publish(amqp_uri, [body for body, _ in attacks])

    rejected = parked(amqp_uri, len(attacks))
    reasons = sorted(headers["x-rejected"] for _, headers in rejected)
    assert reasons == sorted(reason for _, reason in attacks)
    assert all(h["x-error"].startswith("rejected: ") for _, h in rejected)
    # Nothing of them applied: the resident is where the genuine event put it, and the
    # inbox still waits for the event at `next_position`.
    assert station_of(casework, "victim") == "st-b"
    assert applied_up_to(casework) == next_position - 1

    genuine = residents.append("resident-victim", 1, [transfer("victim", "st-d", "st-b")])[0]
    wait_until(lambda: applied_up_to(casework) >= next_position, what="genuine event applied")
    assert residents.read_all(next_position - 1, 1)[0].event_id == genuine.event_id
    assert station_of(casework, "victim") == "st-d"
