"""Helpers for casework's integration tests: the residents' events published the way
the residents relay publishes them (without the residents service's code), HTTP calls,
and a tap on a service's events exchange."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import kombu
import marshmallow as ma
import orjson

from shared import topology
from shared.events import NewEvent, Registry
from shared.relay import ConfirmingPublisher, Relay
from shared.stores import open_store
from tests.support.harness import wait_until

RESIDENT_FIELDS = ("resident_id", "station_id", "community_id", "categories", "name",
                   "gender", "birth_date", "card", "domain_cards", "reason", "from_card",
                   "to_card", "confirmed_by", "change", "visit_id")


def permissive_schema() -> ma.Schema:
    """Every field the residents' events carry, unchecked (dump keeps declared fields)."""
    declared = {name: ma.fields.Raw(allow_none=True) for name in RESIDENT_FIELDS}
    schema = ma.Schema.from_dict(declared, name="ResidentsEvent")
    return schema(unknown=ma.INCLUDE)


def residents_registry() -> Registry:
    registry = Registry()
    for name in ("ResidentRegistered", "CardAssigned", "CardUpgraded", "CardDowngraded",
                 "ReassessmentDue"):
        registry.register(name, permissive_schema())
    return registry


def store_config(env: dict) -> dict:
    return {"DATABASE_URL": env.get("DATABASE_URL"), "STATION_DATA_DIR": env["STATION_DATA_DIR"]}


class ResidentsFeed:
    """A residents-shaped store and the real relay publishing it on `residents.events`."""

    def __init__(self, env: dict):
        self.store = open_store("residents", store_config(env), residents_registry())
        self.relay = Relay(self.store, ConfirmingPublisher(env["AMQP_URI"], "residents",
                                                           confirm_timeout=10), "residents")
        self.versions: dict[str, int] = {}

    def append(self, resident_id: str, type_: str, payload: dict, station_id: str):
        stream = f"resident-{resident_id}"
        version = self.versions.get(stream, 0)
        recorded = self.store.append(stream, version, [NewEvent(
            type_, {"resident_id": resident_id, "station_id": station_id, **payload},
            station_id=station_id, actor="residents-test")])
        self.versions[stream] = version + len(recorded)
        return recorded[0]

    def publish_all(self) -> int:
        """Run the relay until every event of the store is confirmed by the broker."""
        def done():
            self.relay.run_once()
            return self.relay.checkpoint.get() >= self.store.last_position()
        wait_until(done, timeout=60, what="residents' events published")
        return self.relay.checkpoint.get()

    def close(self):
        self.relay.publisher.close()
        self.store.engine.dispose()

    # the residents' vocabulary, as the brief fixes it
    def register(self, resident_id: str, station_id: str, community_id: str = "cm-1"):
        return self.append(resident_id, "ResidentRegistered", {
            "community_id": community_id, "categories": ["living_alone"], "name": "测试居民"},
            station_id)

    def assign(self, resident_id: str, station_id: str, card: str):
        return self.append(resident_id, "CardAssigned", {
            "card": card, "domain_cards": {"elderly": card}, "reason": "assessment"},
            station_id)

    def change(self, resident_id: str, station_id: str, from_card: str, to_card: str):
        order = ["green", "blue", "red"]
        kind = "CardUpgraded" if order.index(to_card) > order.index(from_card) else "CardDowngraded"
        return self.append(resident_id, kind, {
            "from_card": from_card, "to_card": to_card, "reason": "reassessment",
            "confirmed_by": "supervisor-1"}, station_id)


def call(method: str, url: str, body: dict | None = None, actor: str | None = "wang",
         role: str | None = "social_worker") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if actor:
        headers["X-Actor"] = actor
    if role:
        headers["X-Role"] = role
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


class BusTap:
    """A queue of our own bound to a service's events exchange, declared before the
    events happen; `messages()` drains what has arrived."""

    def __init__(self, amqp_uri: str, source: str, *routing_keys: str):
        self.conn = kombu.Connection(amqp_uri, connect_timeout=5)
        self.channel = self.conn.channel()
        self.queue = kombu.Queue(f"test-tap-{uuid.uuid4().hex[:8]}", durable=False,
                                 auto_delete=False, exclusive=True)
        bound = self.queue(self.channel)
        topology.events_exchange(source)(self.channel).declare()
        topology.unrouted_exchange(source)(self.channel).declare()
        bound.declare()
        for key in routing_keys or ("#",):
            bound.bind_to(exchange=topology.events_exchange(source).name, routing_key=key)
        self.bound = bound

    def messages(self) -> list[dict]:
        got = []
        while (message := self.bound.get(no_ack=True)) is not None:
            got.append(orjson.loads(message.body))
        return got

    def close(self):
        self.conn.release()
