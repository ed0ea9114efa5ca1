"""Through HTTP on the real broker and database, `station serve residents` in a subprocess,
with bearer tokens of the station's staff: register → assess Red → CardAssigned on the
bus (personal fields sealed); reassess lower → held until a second supervisor confirms
→ CardDowngraded on the bus; an invalid ID number → 400, nothing stored, nothing on the
bus; history as of a moment between two changes.

Runs on SQLite (the default) and on PostgreSQL (`database_url`)."""
from __future__ import annotations

import json
import queue
import time
import urllib.parse
import uuid

import kombu
import pytest

from shared import topology
from shared.relay import Checkpoint
from shared.stores import engine_for

from services.residents import configuration
from services.residents.idnumber import check_char

from tests.support.auth import People, call
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

STATION_SCOPE = "station:xihulu-station"
STAFF = {"worker-1": "social_worker", "worker-2": "social_worker", "sup-1": "supervisor",
         "sup-2": "supervisor"}


# -- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def people(service_env):
    people = People(service_env)
    yield people
    people.close()


def staff_tokens(people: People, base: str) -> dict[str, str]:
    """A token for each of the station's staff (STAFF), by user name."""
    return {name: people.token(base, name, role, STATION_SCOPE) for name, role in STAFF.items()}


def valid_id(birth: str, seq: str = "123") -> str:
    return "520102" + birth + seq + check_char("520102" + birth + seq)


def answers(domain: str, card: str) -> dict:
    pick = max if card == "red" else min
    return {q.id: pick(q.options, key=lambda o: o.points).value
            for q in configuration.settings().rubrics[domain].questions}


class Bus:
    """A queue of this test's own, bound to every event of `residents.events`."""

    def __init__(self, amqp_uri: str):
        self.conn = kombu.Connection(amqp_uri, connect_timeout=5)
        name = f"test-residents-{uuid.uuid4().hex[:8]}"
        self.queue = kombu.Queue(name, exchange=topology.events_exchange("residents"),
                                 routing_key="#", durable=False, auto_delete=True)
        self.simple = self.conn.SimpleQueue(self.queue)
        self.seen: list[dict] = []

    def collect(self, within: float) -> list[dict]:
        """Every message arriving within `within` seconds (a bounded wait, not an assertion)."""
        got, deadline = [], time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.simple.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            message.ack()
            got.append(json.loads(message.body))
        self.seen.extend(got)
        return got

    def drain(self) -> None:
        while self.collect(0.5):
            pass

    def wait_for(self, event_type: str, resident_id: str, timeout: float = 30.0) -> dict:
        def found():
            return next((m for m in self.seen if m["type"] == event_type
                         and m["payload"].get("resident_id") == resident_id), None)
        deadline = time.monotonic() + timeout
        while not found():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{event_type} for {resident_id} not on the bus")
            self.collect(0.5)
        return found()

    def close(self) -> None:
        self.simple.close()
        self.conn.release()


class Store:
    """The service's own store, read directly to prove that nothing was written."""

    def __init__(self, tmp_path, database_url: str | None):
        self.engine = engine_for("residents", {"DATABASE_URL": database_url,
                                               "STATION_DATA_DIR": str(tmp_path)})

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM events").scalar()

    def all_published(self) -> bool:
        with self.engine.connect() as conn:
            last = conn.exec_driver_sql("SELECT max(position), count(*) - count(position) "
                                        "FROM events").one()
        return last[1] == 0 and last[0] is not None and Checkpoint(
            self.engine, "relay:residents").get() == last[0]


REGISTRATION = {"station_id": "xihulu-station", "community_id": "nanmingtang", "name": "王秀英",
                "gender": "female", "birth_date": "1938-05-02",
                "id_number": valid_id("19380502", "122"), "phone": "13985000000",
                "address": "南明堂社区 3 栋", "categories": ["living_alone", "low_income"]}


def card_lifecycle(services, people, amqp_uri, tmp_path, database_url=None):
    services.start("residents")
    base = services.url("residents")
    token = staff_tokens(people, base)
    store = Store(tmp_path, database_url)
    wait_until(store.all_published, what="the seeded tree published")
    bus = Bus(amqp_uri)
    try:
        bus.drain()

        # An invalid ID number: 400 naming the field in both languages, nothing anywhere.
        before = store.count()
        bad = {**REGISTRATION, "id_number": REGISTRATION["id_number"][:-1] +
               ("1" if REGISTRATION["id_number"][-1] != "1" else "2")}
        status, body = call(base, "POST", "/api/v1/residents", bad, token["worker-1"])
        assert status == 400, body
        [message] = body["error"]["fields"]["id_number"]
        assert "Check digit" in message and "校验位" in message
        assert bus.collect(3.0) == []
        assert store.count() == before

        # Register, then assess Red: CardAssigned on the bus.
        status, body = call(base, "POST", "/api/v1/residents", REGISTRATION, token["worker-1"])
        assert status == 201, body
        resident_id = body["id"]
        status, assessed = call(base, "POST", f"/api/v1/residents/{resident_id}/assessments",
                                {"domain": "elderly", "answers": answers("elderly", "red")},
                                token["worker-1"])
        assert status == 201, assessed
        assert (assessed["card"], assessed["resident_card"]) == ("red", "red")
        assigned = bus.wait_for("CardAssigned", resident_id)
        assert assigned["payload"]["card"] == "red"
        assert assigned["payload"]["domain_cards"] == {"elderly": "red"}
        assert (assigned["station_id"], assigned["actor"]) == ("xihulu-station", "worker-1")
        registered = bus.wait_for("ResidentRegistered", resident_id)
        assert registered["payload"]["categories"] == ["advanced_age", "living_alone", "low_income"]
        # Personal fields travel sealed with the resident's key, never in clear.
        assert set(registered["payload"]["name"]) == {"enc"}
        assert REGISTRATION["name"] not in json.dumps(bus.seen, ensure_ascii=False)

        # Reassess lower (a supervisor): the Red card is held until another supervisor confirms.
        status, assessed = call(base, "POST", f"/api/v1/residents/{resident_id}/assessments",
                                {"domain": "elderly", "answers": answers("elderly", "green")},
                                token["sup-1"])
        assert status == 201, assessed
        assert assessed["resident_card"] == "red"
        assert assessed["pending_downgrade"]["to_card"] == "green"
        status, shown = call(base, "GET", f"/api/v1/residents/{resident_id}", token=token["worker-1"],
                             reason="复评前核对")
        assert (status, shown["card"]) == (200, "red")
        status, body = call(base, "POST", f"/api/v1/residents/{resident_id}/card-downgrade/confirm",
                            {}, token["sup-1"])
        assert (status, body["error"]["code"]) == (403, "self_confirmation")
        status, body = call(base, "POST", f"/api/v1/residents/{resident_id}/card-downgrade/confirm",
                            {}, token["worker-2"])
        assert (status, body["error"]["code"]) == (403, "forbidden")  # the role may not
        bus.wait_for("CardDowngradeRequested", resident_id)
        assert not [m for m in bus.seen if m["type"] == "CardDowngraded"]

        status, shown = call(base, "POST", f"/api/v1/residents/{resident_id}/card-downgrade/confirm",
                             {"note": "已安排每日助餐"}, token["sup-2"])
        assert (status, shown["card"], shown["pending_downgrade"]) == (200, "green", None)
        downgraded = bus.wait_for("CardDowngraded", resident_id)
        p = downgraded["payload"]
        assert (p["from_card"], p["to_card"], p["confirmed_by"]) == ("red", "green", "sup-2")
        assert p["requested_by"] == "sup-1" and downgraded["actor"] == "sup-2"

        # History: as of a moment between the request and the confirmation, the card was Red
        # (so the read needs a reason).
        status, history = call(base, "GET", f"/api/v1/residents/{resident_id}/history",
                               token=token["worker-1"], reason="个案复核")
        assert status == 200 and history["state"]["card"] == "green"
        requested = next(e for e in history["events"] if e["type"] == "CardDowngradeRequested")
        between = urllib.parse.quote(requested["recorded_at"])
        path = f"/api/v1/residents/{resident_id}/history?as_of={between}"
        status, body = call(base, "GET", path, token=token["worker-1"])
        assert (status, body["error"]["code"]) == (403, "reason_required")
        status, then = call(base, "GET", path, token=token["worker-1"], reason="个案复核")
        assert status == 200, then
        assert then["state"]["card"] == "red" and then["state"]["pending_downgrade"]["to_card"] == "green"
        assert [e["type"] for e in then["events"]][-1] == "CardDowngradeRequested"
        assert len(then["events"]) < len(history["events"])
    finally:
        bus.close()
        store.engine.dispose()


def test_card_lifecycle_over_http_on_sqlite(services, people, amqp_uri, tmp_path):
    card_lifecycle(services, people, amqp_uri, tmp_path)


def test_card_lifecycle_over_http_on_postgres(database_url, services, people, amqp_uri, tmp_path):
    card_lifecycle(services, people, amqp_uri, tmp_path, database_url)


def test_history_as_of_needs_an_offset_and_an_unknown_resident_is_404(services, people):
    base = services.start("residents").url("residents")
    token = people.token(base, "worker-1", "social_worker", STATION_SCOPE)
    status, body = call(base, "GET", "/api/v1/residents/nobody/history", token=token)
    assert (status, body["error"]["code"]) == (404, "resident_not_found")
    status, body = call(base, "POST", "/api/v1/residents", REGISTRATION, token)
    resident_id = body["id"]
    status, body = call(base, "GET", f"/api/v1/residents/{resident_id}/history?as_of=2026-01-01T10:00:00",
                        token=token)
    assert status == 400 and "as_of" in body["error"]["fields"]
    status, body = call(base, "GET", f"/api/v1/residents/{resident_id}/history?as_of=2000-01-01T00:00:00%2B08:00",
                        token=token)
    assert status == 404  # not yet registered then


def test_without_a_valid_token_every_call_is_401_and_the_ping_is_public(services):
    base = services.start("residents").url("residents")
    assert call(base, "GET", "/api/v1/residents/ping")[0] == 200
    for method, path in (("GET", "/api/v1/residents"), ("POST", "/api/v1/residents"),
                         ("GET", "/api/v1/org"), ("GET", "/api/v1/residents/x/history")):
        status, body = call(base, method, path, {} if method == "POST" else None)
        assert (status, body["error"]["code"]) == (401, "unauthorized"), path
        status, body = call(base, method, path, {} if method == "POST" else None,
                            token="not-a-token")
        assert (status, body["error"]["code"]) == (401, "invalid_token"), path
