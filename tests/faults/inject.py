"""Deliveries a misbehaving network or broker might make: copies of real events, shuffled,
published straight onto the sources' exchanges; and one poison message (a real event's
copy with its payload altered and an id of its own: its signature no longer holds).
"""
from __future__ import annotations

import random
import uuid

import kombu
import orjson

from shared import topology
from shared.relay import message_of


def copies(plant, sources: tuple[str, ...], per_source: int = 40,
           seed: int = 20) -> int:
    """Publish up to `per_source` of each source's latest events again, shuffled, each
    twice; the number of messages sent."""
    rng = random.Random(seed)
    messages = []
    for source in sources:
        store = plant.store(source)
        last = store.last_position()
        for event in store.read_all(max(0, last - per_source), per_source):
            body, properties, headers = message_of(event, store.store_id, store.signer)
            messages += [(source, event.type, body, headers, event.event_id)] * 2
    rng.shuffle(messages)
    with kombu.Connection(plant.env["AMQP_URI"], connect_timeout=10) as conn:
        producer = kombu.Producer(conn.channel())
        for source, event_type, body, headers, event_id in messages:
            _publish(producer, source, event_type, body, headers, event_id)
    return len(messages)


def poison(plant, source: str = "casework") -> str:
    """A forged copy of the source's latest event (payload altered, new id): the id."""
    store = plant.store(source)
    [event] = store.read_all(store.last_position() - 1, 1)
    body, _, headers = message_of(event, store.store_id, store.signer)
    forged = orjson.loads(body)
    forged["event_id"] = event_id = f"poison-{uuid.uuid4().hex[:8]}"
    forged["payload"] = {**forged["payload"], "forged": True}
    with kombu.Connection(plant.env["AMQP_URI"], connect_timeout=10) as conn:
        _publish(kombu.Producer(conn.channel()), source, event.type, orjson.dumps(forged),
                 headers, event_id)
    return event_id


def _publish(producer, source, event_type, body, headers, event_id) -> None:
    producer.publish(body, exchange=topology.events_exchange(source), routing_key=event_type,
                     headers=headers, content_type="application/json",
                     content_encoding="utf-8", message_id=event_id, delivery_mode=2)
