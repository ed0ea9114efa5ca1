"""`Auth()` in a real nameko service over HTTP: the token endpoint, then 401 / 403 / 404
/ masking / the access reason, as a service will use them."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from shared.security.users import close_users, open_users

pytestmark = pytest.mark.integration

# A service written as the package docstring tells services to write one.
SERVICE = '''
import eventlet
eventlet.monkey_patch()
import sys
from nameko.runners import ServiceRunner
from shared.errors import NotFound
from shared.security import scope
from shared.security.nameko import Auth
from shared.web import api

ORG = scope.org_from({"s1": ("t1", "d1"), "s2": ("t2", "d1")})
RESIDENTS = {
    "r1": {"id": "r1", "station_id": "s1", "card": "red", "categories": [],
           "id_number": "520102195001011234", "phone": "13812345678"},
    "r2": {"id": "r2", "station_id": "s2", "card": "green", "categories": [],
           "id_number": "520102195001015678", "phone": "13900001111"},
}
NOT_FOUND = NotFound("Resident not found", "未找到该居民")


class Demo:
    name = "demo"
    auth = Auth()

    @api("POST", "/api/v1/auth/token")
    def token(self, request):
        return self.auth.token_response(request)

    @api("GET", "/api/v1/residents/<resident_id>")
    def get(self, request, resident_id):
        who = self.auth.require(request, "residents.read")
        resident = self.auth.visible(RESIDENTS.get(resident_id), who, ORG, NOT_FOUND)
        self.auth.reason(request, resident["card"], resident["categories"])
        return self.auth.masked(resident, who)

    @api("POST", "/api/v1/residents/<resident_id>/card-override")
    def override(self, request, resident_id):
        who = self.auth.require(request, "card.override")
        self.auth.visible(RESIDENTS.get(resident_id), who, ORG, NOT_FOUND)
        return {"ok": True}


runner = ServiceRunner({"WEB_SERVER_ADDRESS": "127.0.0.1:" + sys.argv[1],
                        "AMQP_URI": "memory://", "STATION_DATA_DIR": sys.argv[2],
                        "DATABASE_URL": sys.argv[3] or None})
runner.add_service(Demo)
runner.start()
runner.wait()
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    def __init__(self, base: str):
        self.base = base

    def call(self, method, path, body=None, token=None, **headers):
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def login(self, username, password="pw"):
        status, body = self.call("POST", "/api/v1/auth/token",
                                 {"username": username, "password": password})
        assert status == 200, body
        return body["access_token"]


@pytest.fixture(params=["sqlite", "postgres"])
def demo(request, tmp_path, monkeypatch):
    monkeypatch.delenv("STATION_JWT_KEYS", raising=False)
    url = request.getfixturevalue("database_url") if request.param == "postgres" else ""
    users = open_users({"STATION_DATA_DIR": str(tmp_path), "DATABASE_URL": url or None})
    users.add("worker", "pw", "social_worker", ["station:s1"])
    users.add("leader", "pw", "street_leader", ["street:t1"])
    users.add("head2", "pw", "station_head", ["station:s2"])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "STATION_JWT_KEYS"}
    log = open(tmp_path / "demo.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", SERVICE, str(port), str(tmp_path), url],
                            env=env, stdout=log, stderr=log)
    client = Client(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "demo service did not start"
            time.sleep(0.2)
    yield client
    proc.terminate()
    proc.wait(timeout=20)
    close_users()


def test_the_token_endpoint_answers_as_the_contract_says(demo):
    status, body = demo.call("POST", "/api/v1/auth/token", {"username": "worker", "password": "pw"})
    assert status == 200 and set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"


def test_wrong_credentials_are_401_and_a_malformed_body_is_400(demo):
    status, body = demo.call("POST", "/api/v1/auth/token", {"username": "worker", "password": "x"})
    assert status == 401 and body["error"]["message_zh"]
    status, body = demo.call("POST", "/api/v1/auth/token", {"username": "worker"})
    assert status == 400 and "password" in body["error"]["fields"]


def test_without_a_token_it_is_401(demo):
    status, body = demo.call("GET", "/api/v1/residents/r1")
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_a_role_that_may_not_is_403(demo):
    status, body = demo.call("POST", "/api/v1/residents/r1/card-override", {},
                             token=demo.login("worker"))
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_another_stations_resident_is_404_exactly_like_a_missing_one(demo):
    token = demo.login("head2")
    outside = demo.call("GET", "/api/v1/residents/r1", token=token)
    missing = demo.call("GET", "/api/v1/residents/nobody", token=token)
    assert outside[0] == missing[0] == 404 and outside[1] == missing[1]


def test_a_red_card_record_needs_a_reason_and_staff_see_it_unmasked(demo):
    token = demo.login("worker")
    status, body = demo.call("GET", "/api/v1/residents/r1", token=token)
    assert status == 403 and body["error"]["code"] == "reason_required"
    status, body = demo.call("GET", "/api/v1/residents/r1", token=token,
                             **{"X-Access-Reason": "home%20visit"})
    assert status == 200 and body["phone"] == "13812345678"


def test_a_street_leader_sees_the_streets_stations_masked(demo):
    status, body = demo.call("GET", "/api/v1/residents/r1", token=demo.login("leader"),
                             **{"X-Access-Reason": "review"})
    assert status == 200
    assert body["id_number"] == "5201**********1234" and body["phone"] == "138****5678"
