"""Must show (issue 21, "Offline": the server side of the device's outbox), through the
edge `station up` serves, with the five services as their own processes on the real
broker, on SQLite and on PostgreSQL: for a POST of each service,
- the same Idempotency-Key with the same body twice: the same answer (status and bytes),
  one write (events counted in the service's store);
- the same key with another body: a bilingual 422, nothing written;
- no key: unchanged (each request writes);
- several requests with one key at once: one write; the others get the first answer or
  a 409 "in progress";
- another user's same key is another key.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from shared.clock import CHINA, today as china_today
from shared.stores import engine_for
from station import catalog
from tests.integration.test_residents_http import valid_id
from tests.support.auth import People
from tests.support.edge import EdgeProcess
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

A, COMMUNITY = "xihulu-station", "xihulu"
USERS = {"worker-a": ("social_worker", f"station:{A}"),
         "worker-b": ("social_worker", f"station:{A}"),
         "head-a": ("station_head", f"station:{A}")}


def an_hour_ago() -> str:
    """A visit's time that is past whatever the hour (a fixed 10:00 of today is in the
    future in China before 10:00, of the host's date too before 02:00 UTC)."""
    return (datetime.now(CHINA) - timedelta(hours=1)).replace(microsecond=0).isoformat()


def send(url: str, path: str, body: dict, token: str, key: str | None = None):
    """(status, headers, body bytes) of one POST through the edge."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                     method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class Station:
    """The five services behind one edge, people logged in, one resident registered."""

    def __init__(self, services, env, people):
        self.env = env
        self.edge = EdgeProcess({name: services.ports[name] for name in catalog.SERVICES})
        self.tokens = {u: people.token(services.url("residents"), u, role, scope)
                       for u, (role, scope) in USERS.items()}
        self.seq = 100
        self.resident = self.post_ok("/api/v1/residents", self.new_resident())["id"]
        self.engines = {name: engine_for(name, {"DATABASE_URL": env.get("DATABASE_URL"),
                                                "STATION_DATA_DIR": env["STATION_DATA_DIR"]})
                        for name in catalog.SERVICES}

    def post(self, path, body, key=None, user="head-a"):
        return send(self.edge.url, path, body, self.tokens[user], key)

    def post_ok(self, path, body):
        status, _, answer = self.post(path, body)
        assert status in (200, 201), (path, status, answer)
        return json.loads(answer)

    def new_resident(self) -> dict:
        self.seq += 2
        return {"station_id": A, "community_id": COMMUNITY, "name": "测试居民",
                "gender": "female", "birth_date": "1940-03-15",
                "id_number": valid_id("19400315", str(self.seq)),
                "categories": ["living_alone"]}

    def events(self, service: str) -> int:
        with self.engines[service].connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM events")).scalar()

    def close(self):
        self.edge.stop()
        for engine in self.engines.values():
            engine.dispose()


# One POST of each service: (service, path, a body made fresh on each call).
WRITES = {
    "residents": ("/api/v1/residents", lambda s: s.new_resident()),
    "casework": ("/api/v1/visits", lambda s: {
        "resident_id": s.resident, "method": "home",
        "visited_at": an_hour_ago(), "notes": uuid.uuid4().hex}),
    "activities": ("/api/v1/organizations", lambda s: {
        "station_id": A, "community_id": COMMUNITY, "name": f"舞蹈队 {uuid.uuid4().hex[:6]}",
        "type": "dance"}),
    "resources": ("/api/v1/partners", lambda s: {
        "station_id": A, "name": f"爱心超市 {uuid.uuid4().hex[:6]}", "type": "business"}),
    "reporting": (f"/api/v1/reports/stations/{A}/suggestions", lambda s: {
        "addressed_to": "街道办", "title": f"增设助餐点 {uuid.uuid4().hex[:6]}",
        "proposed_on": china_today().isoformat()}),
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def station(request, module_amqp_uri, tmp_path_factory):
    """One station for the module's tests on each backend (five services start slowly)."""
    from tests.conftest import RunningServices
    from tests.support.auth import TEST_JWT_KEYS, TEST_LOOKUP_KEY, TEST_SERVICE_KEY
    data_dir = tmp_path_factory.mktemp(f"idem-{request.param}")
    env = {**os.environ, "AMQP_URI": module_amqp_uri, "STATION_DATA_DIR": str(data_dir),
           "RETRY_DELAY_MS": "300", "LOG_LEVEL": "WARNING", "STATION_DEPLOYMENT": "",
           "STATION_JWT_KEYS": TEST_JWT_KEYS, "STATION_LOOKUP_KEY": TEST_LOOKUP_KEY,
           "STATION_SERVICE_KEY": TEST_SERVICE_KEY}
    env.pop("DATABASE_URL", None)
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            env["DATABASE_URL"] = stack.enter_context(scratch_database(
                request.getfixturevalue("postgres_url")))
        services = RunningServices(env, str(data_dir))
        stack.callback(services.stop)
        services.start(*catalog.SERVICES, timeout=300)   # five at once on a shared host
        people = People(env)
        stack.callback(people.close)
        running = Station(services, env, people)
        stack.callback(running.close)
        for service, (path, body) in WRITES.items():   # each knows the station and resident
            wait_until(lambda: running.post(path, body(running))[0] in (200, 201),
                       timeout=60, what=f"{service} accepts {path}")
        yield running


@contextlib.contextmanager
def scratch_database(postgres_url: str):
    """A PostgreSQL database of this module's own, dropped afterwards."""
    from urllib.parse import urlsplit, urlunsplit

    from shared import db
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db.normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(postgres_url)._replace(path="/" + name))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_a_repeat_answers_as_the_first_did_and_writes_nothing(station):
    for service, (path, make) in WRITES.items():
        body, key = make(station), f"outbox-{uuid.uuid4()}"
        before = station.events(service)
        status, headers, first = station.post(path, body, key)
        assert status in (200, 201), (service, status, first)
        written = station.events(service) - before
        assert written >= 1, service

        again, replay_headers, second = station.post(path, body, key)
        assert (again, second) == (status, first), service
        assert replay_headers.get("Idempotent-Replayed") == "true", service
        assert station.events(service) - before == written, f"{service} wrote the repeat"


def test_the_same_key_with_another_body_is_a_bilingual_422_that_writes_nothing(station):
    for service, (path, make) in WRITES.items():
        key = f"outbox-{uuid.uuid4()}"
        assert station.post(path, make(station), key)[0] in (200, 201), service
        before = station.events(service)
        status, _, answer = station.post(path, make(station), key)
        error = json.loads(answer)["error"]
        assert status == 422 and error["code"] == "idempotency_key_reused", (service, answer)
        assert error["message"] and error["message_zh"] and error["fields"] == {}
        assert station.events(service) == before, service


def test_without_a_key_each_request_writes_as_before(station):
    for service, (path, make) in WRITES.items():
        body = make(station) if service != "residents" else None   # a resident only once
        counts = [station.events(service)]
        for _ in range(2):
            status, _, answer = station.post(path, body or make(station))
            assert status in (200, 201), (service, status, answer)
            counts.append(station.events(service))
        assert counts[1] - counts[0] >= 1 and counts[2] - counts[1] == counts[1] - counts[0], (
            service, counts)


def test_another_users_same_key_is_another_key(station):
    path, make = WRITES["casework"]
    key = f"outbox-{uuid.uuid4()}"
    before = station.events("casework")
    mine = station.post(path, make(station), key, user="worker-a")
    theirs = station.post(path, make(station), key, user="worker-b")
    assert (mine[0], theirs[0]) == (201, 201)
    assert json.loads(mine[2])["id"] != json.loads(theirs[2])["id"]
    assert station.events("casework") - before == 2


def test_requests_sent_at_once_with_one_key_write_once(station):
    for service, (path, make) in WRITES.items():
        body, key = make(station), f"outbox-{uuid.uuid4()}"
        before = station.events(service)
        answers: list = []
        start = threading.Barrier(4)

        def one():
            start.wait()
            answers.append(station.post(path, body, key))
        threads = [threading.Thread(target=one) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = [(s, b) for s, _, b in answers if s in (200, 201)]
        busy = [json.loads(b)["error"]["code"] for s, _, b in answers if s == 409]
        assert len(done) + len(busy) == 4, (service, answers)
        assert done and len(set(done)) == 1, (service, answers)      # one answer, repeated
        assert set(busy) <= {"idempotency_in_progress"}, (service, busy)
        single = station.events(service) - before
        status, _, again = station.post(path, body, key)
        assert (status, again) == done[0], service
        assert station.events(service) - before == single, f"{service} wrote twice"
        # one write: exactly what one request without a key writes
        baseline = station.events(service)
        assert station.post(path, make(station))[0] in (200, 201), service
        assert single == station.events(service) - baseline, f"{service} wrote twice"
