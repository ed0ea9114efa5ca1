"""Helpers for casework's integration tests: the residents' events published the way
the residents relay publishes them (without the residents service's code), HTTP calls
with bearer tokens signed by the suite's keys (tests.support.auth), and a tap on a
service's events exchange."""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import kombu
import marshmallow as ma
import orjson
import sqlalchemy as sa

from shared import db, topology
from shared.events import NewEvent, Registry
from shared.relay import Checkpoint, ConfirmingPublisher, Relay
from shared.stores import engine_for, open_store
from tests.support import auth
from tests.support.harness import china_today, wait_until

RESIDENT_FIELDS = ("resident_id", "station_id", "community_id", "categories", "name",
                   "gender", "birth_date", "card", "domain_cards", "reason", "from_card",
                   "to_card", "confirmed_by", "change", "visit_id", "street_id", "district_id",
                   "need_id", "category", "urgency", "status", "note")

# The organisation the tests use: two stations of one district, one of another.
ORG = {"st-1": ("str-1", "dst-1"), "st-2": ("str-2", "dst-1"), "st-3": ("str-3", "dst-2")}


def token(username: str = "wang", role: str = "social_worker", *scopes: str) -> str:
    """A bearer token of the suite's keys; station:st-1 unless scopes are given."""
    return auth.signed_token(username, role, *(scopes or ("station:st-1",)))


def permissive_schema() -> ma.Schema:
    """Every field the residents' events carry, unchecked (dump keeps declared fields)."""
    declared = {name: ma.fields.Raw(allow_none=True) for name in RESIDENT_FIELDS}
    schema = ma.Schema.from_dict(declared, name="ResidentsEvent")
    return schema(unknown=ma.INCLUDE)


def residents_registry() -> Registry:
    registry = Registry()
    for name in ("ResidentRegistered", "CardAssigned", "CardUpgraded", "CardDowngraded",
                 "ReassessmentDue", "StreetAdded", "StationAdded", "CommunityAdded",
                 "NeedRecorded", "NeedMet", "NeedWithdrawn", "ResidentTransferred"):
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

    def append(self, resident_id: str, type_: str, payload: dict, station_id: str,
               at: datetime | None = None):
        return self._append(f"resident-{resident_id}", type_, {
            "resident_id": resident_id, "station_id": station_id, **payload}, station_id, at)

    def _append(self, stream: str, type_: str, payload: dict, station_id: str | None,
                at: datetime | None = None):
        version = self.versions.get(stream, 0)
        recorded = self.store.append(stream, version, [NewEvent(
            type_, payload, station_id=station_id, actor="residents-test", occurred_at=at)])
        self.versions[stream] = version + len(recorded)
        return recorded[0]

    def add_org(self, org: dict = ORG) -> None:
        """StreetAdded and StationAdded for each {station: (street, district)}."""
        for station, (street, district) in org.items():
            if f"street-{street}" not in self.versions:
                self._append(f"street-{street}", "StreetAdded", {
                    "street_id": street, "district_id": district, "name": street}, None)
            self._append(f"station-{station}", "StationAdded", {
                "station_id": station, "street_id": street, "name": station}, station)

    def deliver(self, env: dict, timeout: float = 60, consumer: str = "casework") -> None:
        """Publish everything, then wait until the running consumer (casework unless
        named) has applied it all."""
        position = self.publish_all()
        engine = engine_for(consumer, store_config(env))
        inbox = Checkpoint(engine, f"inbox:{consumer}:residents")
        try:
            wait_until(lambda: inbox.get() >= position, timeout=timeout,
                       what=f"{consumer} applied the residents' events")
        finally:
            engine.dispose()

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

    def assign(self, resident_id: str, station_id: str, card: str, at: datetime | None = None):
        """The card, given `at` (default now; in the past, its follow-up is due already)."""
        return self.append(resident_id, "CardAssigned", {
            "card": card, "domain_cards": {"elderly": card}, "reason": "assessment"},
            station_id, at)

    def change(self, resident_id: str, station_id: str, from_card: str, to_card: str):
        order = ["green", "blue", "red"]
        kind = "CardUpgraded" if order.index(to_card) > order.index(from_card) else "CardDowngraded"
        return self.append(resident_id, kind, {
            "from_card": from_card, "to_card": to_card, "reason": "reassessment",
            "confirmed_by": "supervisor-1"}, station_id)


def call(method: str, url: str, body: dict | None = None,
         token: str | None = None) -> tuple[int, dict]:
    """One JSON request to a full URL, with `Authorization: Bearer <token>` if given."""
    return auth.call(url, method, "", body, token=token)


class Api:
    """Casework's /api/v1 as one caller: api("POST", "/cases", body) -> (status, body);
    `token=` overrides the caller for one request."""

    def __init__(self, base: str, token: str | None):
        self.base, self.token = base, token

    def __call__(self, method: str, path: str, body=None, token: str | None = None):
        return auth.call(self.base, method, path, body, token=token or self.token)

    def as_(self, token: str | None) -> "Api":
        return Api(self.base, token)


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


# -- one running casework for a whole module --------------------------------------------

@contextlib.contextmanager
def module_environment(broker_uri: str, postgres_url: str, data_dir: str) -> Iterator[dict]:
    """What `service_env` gives one test with `database_url` (a virtual host and a
    PostgreSQL database of its own, the suite's keys), for a module of tests that share
    one running service; both are deleted afterwards."""
    from tests.conftest import rabbitmqctl
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db.normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    amqp_uri, vhost = broker_uri, None
    if shutil.which("rabbitmqctl"):
        vhost = f"test-{uuid.uuid4().hex[:10]}"
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, urlsplit(broker_uri).username or "guest",
                    ".*", ".*", ".*")
        amqp_uri = urlunsplit(urlsplit(broker_uri)._replace(path="/" + quote(vhost, safe="")))
    try:
        yield {**os.environ, "AMQP_URI": amqp_uri, "STATION_DATA_DIR": data_dir,
               "RETRY_DELAY_MS": "300", "LOG_LEVEL": "WARNING",
               "STATION_JWT_KEYS": auth.TEST_JWT_KEYS, "STATION_LOOKUP_KEY": auth.TEST_LOOKUP_KEY,
               "STATION_SERVICE_KEY": auth.TEST_SERVICE_KEY, "STATION_DEPLOYMENT": "",
               "DATABASE_URL": urlunsplit(urlsplit(postgres_url)._replace(path="/" + name))}
    finally:
        if vhost:
            rabbitmqctl("delete_vhost", vhost)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def stored_events(env: dict, service: str = "casework") -> int:
    """How many events the service's store holds (a refused request adds none)."""
    engine = engine_for(service, store_config(env))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
    finally:
        engine.dispose()


def now_text(hours_ago: float = 1) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat()


def station_casework(api: Api, station: str, resident: str) -> dict:
    """A station's casework through the API, as its own staff record it: a case with
    its plan awaiting approval, a referral, a visit, a campaign and a follow-up.
    -> the ids {"station", "resident", "case", "request", "referral", "visit",
    "campaign", "followup"}"""
    worker = token(f"worker-{station}", "social_worker", f"station:{station}")
    head = token(f"head-{station}", "station_head", f"station:{station}")
    ids = {"station": station, "resident": resident}

    def ok(method: str, path: str, body: dict | None = None, who: str = worker) -> dict:
        status, answer = api(method, path, body, token=who)
        assert status in (200, 201, 202), (method, path, answer)
        return answer

    ids["case"] = ok("POST", "/cases", {"resident_id": resident, "domain": "elderly",
                                        "problem": "Lives alone after a fall"})["id"]
    ok("POST", f"/cases/{ids['case']}/assessment", {"summary": "Needs daily contact"})
    ok("POST", f"/cases/{ids['case']}/plan", {"goals": ["Weekly visits"]})
    ids["request"] = ok("POST", f"/cases/{ids['case']}/plan/approval", {})["request_id"]
    due = (china_today() + timedelta(days=7)).isoformat()
    ids["referral"] = ok("POST", f"/cases/{ids['case']}/referrals", {
        "agency": "legal_aid", "reason": "Wage arrears", "due_date": due})["id"]
    ids["campaign"] = ok("POST", "/campaigns", {
        "station_id": station, "name": "春节走访", "kind": "spring_festival",
        "starts_on": china_today().isoformat(),
        "ends_on": (china_today() + timedelta(days=5)).isoformat()}, who=head)["id"]
    ids["visit"] = ok("POST", "/visits", {"resident_id": resident, "method": "home",
                                          "visited_at": now_text(), "case_id": ids["case"],
                                          "campaign_id": ids["campaign"]})["id"]
    followups = ok("GET", f"/followups?station_id={station}&status=due")["items"]
    ids["followup"] = followups[0]["id"]
    return ids
