"""Read-your-writes across services (issue 20, item 1; API.md "Consistency for clients").

A resident registered (201) is named at once by a request to another service, which
learns of residents from the residents' events: the request is answered as if that
service had consumed them already (shared.freshness), on the first try: opening a case,
recording a visit, attendance, an organization's member, an allocation, a micro-wish.
Another station's resident, known to every service by then, still gets exactly the
answer an unknown id gets. And the head waited for is the source's *committed* one: with
its relay held back, the registration's event is in the outbox only, and the request
waits for it to be published and consumed.

The real services (`station serve`) on the real broker, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.relay import Checkpoint
from shared.stores import engine_for
from shared.tables import leases
from services.residents.idnumber import check_char

from tests.integration.casework_support import store_config
from tests.support.auth import People, call, service_rpc

pytestmark = pytest.mark.integration

SERVICES = ("residents", "casework", "activities", "resources")
A, COMMUNITY_A = "xihulu-station", "nanmingtang"
B, COMMUNITY_B = "ryw-b-station", "ryw-b-1"
UNKNOWN = "no-such-resident-0000"
_serial = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, service_env):
    """The services' environment on each backend. The bound is generous (a shared
    2-core machine); a genuine miss does not wait for it (the inbox is at the head)."""
    service_env.update({"STATION_FRESHNESS_WAIT_S": "30", "RELAY_LEASE_S": "1.5"})
    if request.param == "postgres":
        service_env["DATABASE_URL"] = request.getfixturevalue("database_url")
    return request.param


STAFF = (("admin", "district_admin", "district:nanming"),
         ("worker-a", "social_worker", f"station:{A}"), ("head-a", "station_head", f"station:{A}"),
         ("worker-b", "social_worker", f"station:{B}"), ("head-b", "station_head", f"station:{B}"))


class World:
    """Two stations (the seeded A, and B added here) and their staff, over HTTP."""

    def __init__(self, services, env: dict, names=SERVICES):
        self.urls = {name: services.url(name) for name in names}
        self.people = People(env)
        self.tokens = {user: self.people.token(self.urls["residents"], user, role, scope)
                       for user, role, scope in STAFF}

    def add_station_b(self) -> None:
        for path, body in (("/org/streets", {"district_id": "nanming", "id": "ryw-street",
                                             "name": "读写街道"}),
                           ("/org/stations", {"street_id": "ryw-street", "id": B,
                                              "name": "读写街道社工站"}),
                           ("/org/communities", {"station_id": B, "id": COMMUNITY_B,
                                                 "name": "读写社区"})):
            self.ok("residents", "admin", "POST", path, body)

    def call(self, service: str, user: str, method: str, path: str, body=None):
        return call(self.urls[service], method, "/api/v1" + path, body, self.tokens[user])

    def ok(self, service: str, user: str, method: str, path: str, body=None) -> dict:
        status, answer = self.call(service, user, method, path, body)
        assert status in (200, 201), (service, method, path, answer)
        return answer

    def register(self, station: str, community: str, user: str) -> str:
        birth = f"19{40 + next(_serial) % 50:02d}0312"
        seq = f"{next(_serial) % 1000:03d}"
        number = "520102" + birth + seq
        return self.ok("residents", user, "POST", "/residents", {
            "station_id": station, "community_id": community, "name": "读写测试",
            "gender": "female" if int(seq[-1]) % 2 == 0 else "male",
            "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
            "id_number": number + check_char(number), "categories": ["living_alone"]})["id"]

    def station_things(self, station: str, community: str, worker: str, head: str) -> dict:
        """What the requests below name besides the resident: an activity, an
        organization, a stock of rice (each created by the station's own staff)."""
        activity = self.ok("activities", worker, "POST", "/activities", {
            "station_id": station, "community_id": community, "area": "elderly",
            "title": "重阳节茶话会", "held_at": _ago(hours=3)})["id"]
        organization = self.ok("activities", worker, "POST", "/organizations", {
            "station_id": station, "community_id": community, "name": "夕阳红舞蹈队",
            "type": "dance"})["id"]
        partner = self.ok("resources", worker, "POST", "/partners", {
            "station_id": station, "name": f"爱心超市 {uuid.uuid4().hex[:6]}",
            "type": "business"})["id"]
        stock = self.ok("resources", worker, "POST", "/donations", {
            "station_id": station, "partner_id": partner, "kind": "in_kind",
            "value": "300.00", "item": "大米", "unit": "袋", "quantity": 10})["stock_id"]
        return {"activity": activity, "organization": organization, "stock": stock,
                "worker": worker, "head": head}


def requests_naming(resident: str, things: dict) -> list[tuple[str, str, str, str, dict]]:
    """Each request a station's staff make that names a resident another service learns
    of from the residents' events: (service, user, method, path, body)."""
    worker, head = things["worker"], things["head"]
    return [
        ("casework", worker, "POST", "/cases",
         {"resident_id": resident, "domain": "elderly", "problem": "独居"}),
        ("casework", worker, "POST", "/visits",
         {"resident_id": resident, "method": "home", "visited_at": _ago(hours=1)}),
        ("activities", worker, "POST", f"/activities/{things['activity']}/attendance",
         {"resident_ids": [resident], "headcount": 2}),
        ("activities", worker, "POST", f"/organizations/{things['organization']}/members",
         {"name": "李阿姨", "party_member": False, "resident_id": resident}),
        ("resources", head, "POST", "/allocations",
         {"stock_id": things["stock"], "quantity": 1, "target_type": "resident",
          "target_id": resident}),
        ("resources", worker, "POST", "/wishes",
         {"resident_id": resident, "title": "一件冬衣",
          "expires_on": (datetime.now(timezone.utc) + timedelta(days=60)).date().isoformat()}),
    ]


def _ago(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat()


def test_a_resident_just_registered_is_known_at_once_and_another_stations_stays_hidden(
        backend, services, service_env):
    services.start(*SERVICES)
    world = World(services, service_env)
    world.add_station_b()
    ours = world.station_things(A, COMMUNITY_A, "worker-a", "head-a")
    theirs = world.station_things(B, COMMUNITY_B, "worker-b", "head-b")

    # Each request right after its resident's registration, once: accepted.
    for index in range(len(requests_naming(UNKNOWN, ours))):
        resident = world.register(A, COMMUNITY_A, "worker-a")
        service, user, method, path, body = requests_naming(resident, ours)[index]
        status, answer = world.call(service, user, method, path, body)
        assert status == 201, (service, path, answer)

    # Station B's resident, registered and at once named by B's own staff everywhere:
    # accepted, so every service knows them when A's staff name them below.
    stranger = world.register(B, COMMUNITY_B, "worker-b")
    for service, user, method, path, body in requests_naming(stranger, theirs):
        status, answer = world.call(service, user, method, path, body)
        assert status == 201, (service, path, answer)

    # A's staff naming B's resident get what an id that exists nowhere gets, word for
    # word but the id: 404 "not found", or attendance's and members' 400.
    for (service, user, method, path, body), (*_, unknown_body) in zip(
            requests_naming(stranger, ours), requests_naming(UNKNOWN, ours)):
        status, refused = world.call(service, user, method, path, body)
        unknown_status, unknown = world.call(service, user, method, path, unknown_body)
        assert status == unknown_status and status in (400, 404), (service, path, refused)
        assert stranger in refused["error"]["message"]
        assert refused == _swap(unknown, UNKNOWN, stranger), (service, path)
    world.people.close()


def _swap(answer: dict, old: str, new: str) -> dict:
    return json.loads(json.dumps(answer, ensure_ascii=False).replace(old, new))


# -- the outbox: committed, not yet published ---------------------------------------------

class RelayHeld:
    """Holds the residents relay's lease, so the relay publishes nothing until released
    (the lease is how one relay of a service works at a time, shared.relay.Lease)."""

    NAME = "relay:residents"

    def __init__(self, env: dict):
        self.engine = engine_for("residents", store_config(env))

    def __enter__(self) -> "RelayHeld":
        held = {"holder": "the-test", "expires_at": "9999-12-31T00:00:00+00:00"}
        with self.engine.begin() as conn:
            if not conn.execute(leases.update().where(leases.c.name == self.NAME)
                                .values(**held)).rowcount:
                conn.execute(leases.insert().values(name=self.NAME, **held))
        time.sleep(1.0)  # a relay iteration begun before the lease was taken has ended
        return self

    def published_up_to(self) -> int:
        return Checkpoint(self.engine, self.NAME).get()

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(leases.delete().where(leases.c.name == self.NAME)
                         .where(leases.c.holder == "the-test"))

    def __exit__(self, *exc) -> None:
        self.release()
        self.engine.dispose()


def test_a_request_waits_for_an_event_still_in_the_sources_outbox(backend, services,
                                                                   service_env):
    services.start("residents", "casework")
    world = World(services, service_env, names=("residents", "casework"))
    with RelayHeld(service_env) as relay:
        resident = world.register(A, COMMUNITY_A, "worker-a")
        with service_rpc(service_env["AMQP_URI"]) as rpc:
            head = rpc.residents.head_position()
        assert relay.published_up_to() < head   # committed, and only in the outbox

        answers = []
        opening = threading.Thread(target=lambda: answers.append(world.call(
            "casework", "worker-a", "POST", "/cases",
            {"resident_id": resident, "domain": "elderly", "problem": "独居"})))
        opening.start()
        opening.join(timeout=1.0)   # let it ask the head and wait; then let the relay go
        relay.release()
        opening.join(timeout=60)
    status, answer = answers[0]
    assert status == 201, answer
    world.people.close()
