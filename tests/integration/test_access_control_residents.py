"""Must show (issue #4), with one `station serve residents` on the real broker and a real
PostgreSQL database for the whole module, and users logging in through the API:

- a request for another station's resident, need or station is refused for every
  operation of the residents service's OpenAPI document: 404 with the very body an
  unknown id gets, nothing written. The few operations that name no station answer
  otherwise, each for a stated reason (EXPECTED_OTHERWISE);
- masking by role; every read of a record in the access trail; a Red-card or child's
  record unreadable without a reason; the weekly access digest;
- the partner lookup discloses only known / card / station;
- after erasure no personal field of the resident can be read through any API, RPC or
  the store itself, while cards, counts and `station events verify` hold.

Station A is the seeded xihulu-station (street xihulu); station B (zh-station, street
zhonghua) is added by the district administrator at the start, with station C
(zh2-station, street zhonghua too) that one of B's residents is offered to: a transfer
neither end of which is A's.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys
import urllib.parse
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from shared import db
from shared.openapi import handlers_of, http_methods, openapi_path, spec_for
from shared.stores import engine_for

from services.residents.cards import local_date
from services.residents.service import ResidentsService

from tests.conftest import RunningServices
from tests.integration.test_residents_http import answers, valid_id
from tests.support.auth import (PASSWORD, TEST_JWT_KEYS, TEST_LOOKUP_KEY, TEST_SERVICE_KEY,
                                People, call, person_rpc, service_rpc, signed_token)

pytestmark = pytest.mark.integration

A, B, C = "xihulu-station", "zh-station", "zh2-station"
UNKNOWN = "no-such-thing"
USERS = {  # user name -> role, scopes
    "head-a": ("station_head", f"station:{A}"),
    "worker-a": ("social_worker", f"station:{A}"),
    "sup-a": ("supervisor", f"station:{A}"),
    "audit-a": ("auditor", f"station:{A}"),
    "leader-a": ("street_leader", "street:xihulu"),
    "admin": ("district_admin", "district:nanming"),
    "worker-b": ("social_worker", f"station:{B}"),
    "head-b": ("station_head", f"station:{B}"),
    "audit-b": ("auditor", f"station:{B}"),
    "partner": ("partner_office", "street:zhonghua"),  # lookups need a scope that exists
}
PERSON = {"community_id": "nanmingtang", "name": "王秀英", "gender": "female",
          "birth_date": "1938-05-02", "phone": "13985000000", "address": "南明堂社区 3 栋",
          "categories": ["living_alone", "low_income"]}


# -- one service for the module ------------------------------------------------------------

@pytest.fixture(scope="module")
def module_vhost(module_amqp_uri):
    return module_amqp_uri


@pytest.fixture(scope="module")
def module_database(postgres_url):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db.normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(postgres_url)._replace(path="/" + name))
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def module_env(amqp_uri: str, database_url: str, data_dir: str) -> dict:
    """Services of a module-scoped world: its vhost, database and data directory, the
    suite's keys (tests/support/auth.py), unprefixed broker names (the vhost is its own)."""
    return {**os.environ, "AMQP_URI": amqp_uri, "STATION_DATA_DIR": data_dir,
            "DATABASE_URL": database_url, "RETRY_DELAY_MS": "300", "LOG_LEVEL": "WARNING",
            "STATION_JWT_KEYS": TEST_JWT_KEYS, "STATION_LOOKUP_KEY": TEST_LOOKUP_KEY,
            "STATION_SERVICE_KEY": TEST_SERVICE_KEY, "STATION_DEPLOYMENT": ""}


@dataclasses.dataclass
class World:
    base: str
    env: dict
    tokens: dict[str, str]
    engine: sa.Engine
    resident_b: str = ""
    need_b: str = ""
    id_number_b: str = ""
    transfer_b: str = ""

    def token(self, user: str) -> str:
        return self.tokens[user]


_serial = itertools.count(10)


def new_id_number() -> str:
    """A new ID number of a woman born on 1938-05-02 (PERSON)."""
    return valid_id("19380502", f"{next(_serial):02d}2")


def register(world: World, user: str, station: str, **overrides) -> tuple[str, str]:
    id_number = overrides.pop("id_number", None) or new_id_number()
    status, body = call(world.base, "POST", "/api/v1/residents",
                        {**PERSON, "station_id": station, "id_number": id_number, **overrides},
                        world.token(user))
    assert status == 201, body
    return body["id"], id_number


@pytest.fixture(scope="module")
def world(module_vhost, module_database, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("access-control")
    env = module_env(module_vhost, module_database, str(data_dir))
    running = RunningServices(env, str(data_dir)).start("residents")
    people = People(env)
    base = running.url("residents")
    engine = engine_for("residents", {"DATABASE_URL": module_database,
                                      "STATION_DATA_DIR": str(data_dir)})
    try:
        tokens = {user: people.token(base, user, role, scope)
                  for user, (role, scope) in USERS.items()}
        world = World(base, env, tokens, engine)
        admin = world.token("admin")
        for path, body in (("/api/v1/org/streets", {"district_id": "nanming", "id": "zhonghua",
                                                    "name": "中华南路街道"}),
                           ("/api/v1/org/stations", {"street_id": "zhonghua", "id": B,
                                                     "name": "中华南路街道社工站"}),
                           ("/api/v1/org/communities", {"station_id": B, "id": "zh-1",
                                                        "name": "新华社区"}),
                           ("/api/v1/org/stations", {"street_id": "zhonghua", "id": C,
                                                     "name": "中华南路第二社工站"}),
                           ("/api/v1/org/communities", {"station_id": C, "id": "zh2-1",
                                                        "name": "新中社区"})):
            assert call(base, "POST", path, body, admin)[0] == 201
        world.resident_b, world.id_number_b = register(world, "worker-b", B, community_id="zh-1")
        moving, _ = register(world, "worker-b", B, community_id="zh-1")
        status, body = call(base, "POST", f"/api/v1/residents/{moving}/transfer",
                            {"to_station_id": C, "to_community_id": "zh2-1", "reason": "搬家"},
                            world.token("head-b"))
        assert status == 202, body
        world.transfer_b = body["transfer_id"]
        status, body = call(base, "POST", f"/api/v1/residents/{world.resident_b}/needs",
                            {"category": "daily_care", "urgency": "high",
                             "description": "需要助餐"}, world.token("worker-b"))
        assert status == 201, body
        world.need_b = body["id"]
        yield world
    finally:
        running.stop()
        people.close()
        engine.dispose()


def stream_versions(engine: sa.Engine) -> dict[str, int]:
    """Every stream's version but the access trails' (reads and partner lookups are
    recorded there)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT stream_id, max(stream_version) FROM events "
                                    "GROUP BY stream_id").all()
    return {stream: version for stream, version in rows
            if not stream.startswith(("access-", "lookups-"))}


# -- cross-station requests, for every operation of the OpenAPI document ---------------------

SPEC = spec_for(ResidentsService, "residents")
OPERATIONS = sorted((method.upper(), path, op) for path, item in SPEC["paths"].items()
                    for method, op in item.items())
PROTECTED = [(m, p) for m, p, op in OPERATIONS if op["security"]]
PUBLIC = {(m, p) for m, p, op in OPERATIONS if not op["security"]}

AUDIT_PATHS = ("/access-trail", "/access-digest")

# Bodies that name a station (valid but for the scope: validation comes first there);
# any other body is `{}`, as the scope is checked before the body is read.
BODIES = {
    ("POST", "/api/v1/residents"): lambda w, station: {
        **PERSON, "station_id": station, "community_id": "zh-1", "id_number": new_id_number()},
    ("POST", "/api/v1/org/streets"): lambda w, district: {"district_id": district, "name": "新街道"},
    ("POST", "/api/v1/org/stations"): lambda w, street: {"street_id": street, "name": "新社工站"},
    ("POST", "/api/v1/org/communities"): lambda w, station: {"station_id": station, "name": "新社区"},
    ("POST", "/api/v1/org/districts"): lambda w, _: {"id": "baiyun", "name": "白云区"},
    ("POST", "/api/v1/residents/lookup"): lambda w, _: {"id_number": w.id_number_b},
}
# Operations that name no station of B's, each answered otherwise for a stated reason.
EXPECTED_OTHERWISE = {
    ("GET", "/api/v1/org"): "200: the tree is cut to the caller's stations (B is absent)",
    ("GET", "/api/v1/rubrics"): "200: configuration, the same for every station",
    ("POST", "/api/v1/org/districts"): "403: a new district lies in no station; only a "
                                       "district administrator of that district may add it",
    ("POST", "/api/v1/org/streets"): "404: station A's head sees no district (a station "
                                     "scope covers no district), so any is unknown",
    ("POST", "/api/v1/residents/lookup"): "200: the partner lookup, the one minimal "
                                          "disclosure across stations: known, card, station",
}


def sender_of(method: str, path: str) -> str:
    """Who of station A sends the request: one whose role may do it, so that only the
    station scope stands in the way (A's head may do all but audits and partner lookups)."""
    if path.endswith(AUDIT_PATHS):
        return "audit-a"
    if path == "/api/v1/residents/lookup":
        return "partner"
    if path == "/api/v1/residents/rollup":
        return "leader-a"   # roll-ups are for street and district roles (403 for A's head)
    return "head-a"


def request_for(world: World, method: str, path: str, target: str) -> tuple[str, dict | None]:
    """The request naming B's resident / need / station / transfer (`target` "B"), or an
    unknown one. B's transfer is the one offered to C: A is neither end of it."""
    b = target == "B"
    filled = (path.replace("{resident_id}", world.resident_b if b else UNKNOWN)
                  .replace("{need_id}", world.need_b if b else UNKNOWN)
                  .replace("{transfer_id}", world.transfer_b if b else UNKNOWN)
                  .replace("{station_id}", B if b else UNKNOWN))
    if method == "GET" and path in ("/api/v1/residents", "/api/v1/needs", "/api/v1/transfers",
                                    "/api/v1/residents/access-digest",
                                    "/api/v1/residents/roster",
                                    "/api/v1/imports/residents/template.xlsx") \
            or path == "/api/v1/imports/residents":
        filled += "?station_id=" + (B if b else UNKNOWN)
    if path == "/api/v1/residents/rollup":   # B's street, seen by A's street leader
        filled += "?street_id=" + ("zhonghua" if b else UNKNOWN)
    named = {"/api/v1/org/streets": "nanming" if b else UNKNOWN,
             "/api/v1/org/stations": "zhonghua" if b else UNKNOWN}.get(path, B if b else UNKNOWN)
    make = BODIES.get((method, path))
    body = make(world, named) if make else ({} if method in ("POST", "PUT", "PATCH") else None)
    return filled, body


def test_the_public_operations_are_only_the_token_ping_and_document():
    assert PUBLIC == {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/residents/ping"),
                      ("GET", "/api/v1/residents/openapi.json"),
                      ("GET", "/api/v1/residents/health"), ("GET", "/api/v1/residents/health/live")}
    assert len(PROTECTED) >= 25


@pytest.mark.parametrize("method,path", PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_a_request_for_another_stations_data_is_refused(world, method, path):
    token = world.token(sender_of(method, path))
    before = stream_versions(world.engine)
    target, body = request_for(world, method, path, "B")
    status, answer = call(world.base, method, target, body, token, reason="核查")
    assert stream_versions(world.engine) == before, "a refused request wrote something"
    expected = EXPECTED_OTHERWISE.get((method, path), "404")
    if expected.startswith("404"):
        assert status == 404, (target, answer)
        unknown, unknown_body = request_for(world, method, path, "unknown")
        again = call(world.base, method, unknown, unknown_body, token, reason="核查")
        assert again == (status, answer), "another station's data must look unknown"
    elif expected.startswith("403"):
        assert (status, answer["error"]["code"]) == (403, "district_scope_required")
    elif path == "/api/v1/org":
        assert status == 200 and B not in json.dumps(answer)
    elif path == "/api/v1/rubrics":
        assert status == 200 and B not in json.dumps(answer)
    else:  # the partner lookup
        assert (status, answer) == (200, {"known": True, "card": None, "station_id": B})
        assert world.id_number_b not in json.dumps(answer)


def test_a_transfer_between_two_other_stations_is_unknown_to_a_and_known_to_b(world):
    _, page = call(world.base, "GET", "/api/v1/transfers", token=world.token("head-a"))
    assert world.transfer_b not in {t["transfer_id"] for t in page["items"]}
    _, page = call(world.base, "GET", "/api/v1/transfers?direction=outgoing",
                   token=world.token("worker-b"))
    [offer] = [t for t in page["items"] if t["transfer_id"] == world.transfer_b]
    assert (offer["from_station_id"], offer["to_station_id"], offer["status"]) == (B, C, "offered")
    assert PERSON["name"] not in json.dumps(page, ensure_ascii=False)


def test_station_b_itself_still_reads_what_station_a_was_refused(world):
    status, record = call(world.base, "GET", f"/api/v1/residents/{world.resident_b}",
                          token=world.token("worker-b"))
    assert status == 200 and record["station_id"] == B
    _, page = call(world.base, "GET", "/api/v1/residents", token=world.token("head-a"))
    assert world.resident_b not in {r["id"] for r in page["items"]}  # lists: A's only
    _, page = call(world.base, "GET", "/api/v1/needs?status=all", token=world.token("worker-a"))
    assert world.need_b not in {n["id"] for n in page["items"]}


def test_an_id_number_registered_at_another_station_is_taken_but_its_resident_not_named(world):
    status, body = call(world.base, "POST", "/api/v1/residents",
                        {**PERSON, "station_id": A, "id_number": world.id_number_b},
                        world.token("worker-a"))
    assert (status, body["error"]["code"]) == (409, "duplicate_id_number")
    assert "existing_id" not in body["error"] and world.resident_b not in json.dumps(body)
    status, body = call(world.base, "POST", "/api/v1/residents",
                        {**PERSON, "station_id": B, "community_id": "zh-1",
                         "id_number": world.id_number_b}, world.token("head-b"))
    assert (status, body["error"]["existing_id"]) == (409, world.resident_b)   # B's own


def test_a_role_without_the_permission_is_403_whatever_the_station(world):
    rid = world.resident_b
    for user, method, path, body in (
            ("audit-a", "POST", "/api/v1/residents", {}),
            ("leader-a", "PATCH", f"/api/v1/residents/{rid}", {"phone": "110"}),
            ("worker-a", "POST", f"/api/v1/residents/{rid}/erase", {"reason": "x"}),
            ("worker-a", "POST", f"/api/v1/residents/{rid}/card-override", {}),
            ("worker-a", "GET", f"/api/v1/residents/{rid}/access-trail", None),
            ("head-a", "POST", "/api/v1/residents/lookup", {"id_number": world.id_number_b}),
            ("worker-b", "POST", f"/api/v1/transfers/{world.transfer_b}/accept", {}),
            ("worker-b", "POST", f"/api/v1/transfers/{world.transfer_b}/decline", {"reason": "不接收"}),
            ("audit-b", "POST", f"/api/v1/residents/{rid}/transfer", {}),
            ("head-a", "GET", "/api/v1/residents/rollup?street_id=xihulu", None),
            ("worker-b", "GET", "/api/v1/residents/rollup?street_id=zhonghua", None),
            ("partner", "GET", f"/api/v1/residents/{rid}", None),
            ("partner", "GET", "/api/v1/org", None)):
        status, body = call(world.base, method, path, body, world.token(user))
        assert (status, body["error"]["code"]) == (403, "forbidden"), (user, path)


# -- masking, the access trail, the reason, the digest --------------------------------------------

def test_id_number_and_phone_are_masked_by_role_and_always_in_lists(world):
    household = {"members": [{"name": "王小明", "relation": "child", "phone": "13700000001"}]}
    rid, number = register(world, "worker-a", A, household=household)
    masked_number, masked_phone = "5201**********" + number[-4:], "139****0000"
    for user, clear in (("worker-a", True), ("sup-a", True), ("head-a", True),
                        ("leader-a", False), ("admin", False), ("audit-a", False)):
        status, shown = call(world.base, "GET", f"/api/v1/residents/{rid}", token=world.token(user))
        assert status == 200, (user, shown)
        assert (shown["id_number"], shown["phone"]) == (
            (number, "13985000000") if clear else (masked_number, masked_phone)), user
        assert shown["household"]["members"][0]["phone"] == (
            "13700000001" if clear else "137****0001")
        assert shown["name"] == "王秀英"   # names are not masked
        _, history = call(world.base, "GET", f"/api/v1/residents/{rid}/history",
                          token=world.token(user))
        registered = history["events"][0]["payload"]
        assert registered["id_number"] == (number if clear else masked_number), user
        _, page = call(world.base, "GET", f"/api/v1/residents?q={quote('王秀英')}",
                       token=world.token(user))
        item = next(i for i in page["items"] if i["id"] == rid)
        assert (item["id_number"], item["phone"]) == (masked_number, masked_phone), user


def test_every_read_is_in_the_access_trail_and_a_red_card_needs_a_reason(world, module_vhost):
    rid, _ = register(world, "worker-a", A)
    worker, auditor = world.token("worker-a"), world.token("audit-a")
    status, _ = call(world.base, "POST", f"/api/v1/residents/{rid}/assessments",
                     {"domain": "elderly", "answers": answers("elderly", "red")}, worker)
    assert status == 201
    path = f"/api/v1/residents/{rid}"

    for target in (path, path + "/history"):
        status, body = call(world.base, "GET", target, token=worker)
        assert (status, body["error"]["code"]) == (403, "reason_required")
        assert "X-Access-Reason" in body["error"]["message"] and body["error"]["message_zh"]
    assert call(world.base, "GET", path + "/access-trail", token=auditor)[1]["total"] == 0

    assert call(world.base, "GET", path, token=worker, reason="入户探访前核对")[0] == 200
    assert call(world.base, "GET", path + "/history", token=world.token("leader-a"),
                reason="街道督查")[0] == 200
    with person_rpc(module_vhost, signed_token("sup-a", "supervisor", f"station:{A}")) as rpc:
        assert rpc.residents.get_resident_record(rid, "个案会商")["card"] == "red"

    status, trail = call(world.base, "GET", path + "/access-trail", token=auditor)
    assert status == 200 and trail["total"] == 3
    assert [(r["reader"], r["role"], r["reason"], r["fields"][0]) for r in trail["items"]] == [
        ("worker-a", "social_worker", "入户探访前核对", "record"),
        ("leader-a", "street_leader", "街道督查", "history"),
        ("sup-a", "supervisor", "个案会商", "rpc")]
    assert "id_number" in trail["items"][0]["fields"]          # shown in clear to the worker
    assert "id_number" not in trail["items"][1]["fields"]      # masked for the street leader
    assert all(r["station_id"] == A and r["at"] for r in trail["items"])
    # another station's auditor does not see it; nor does the trail say it exists
    status, body = call(world.base, "GET", path + "/access-trail", token=world.token("audit-b"))
    assert (status, body["error"]["code"]) == (404, "resident_not_found")


def test_a_childs_record_needs_a_reason_too(world):
    rid, _ = register(world, "worker-a", A, birth_date="2015-06-01", gender="male",
                      id_number=valid_id("20150601", "011"), categories=["left_behind_child"],
                      name="王小军")
    path = f"/api/v1/residents/{rid}"
    assert call(world.base, "GET", path, token=world.token("worker-a"))[0] == 403
    assert call(world.base, "GET", path, token=world.token("worker-a"), reason="儿童关爱回访")[0] == 200


def test_the_weekly_access_digest_counts_reads_by_reader_role_and_day(world):
    rid, _ = register(world, "worker-a", A)
    for user, reason in (("worker-a", None), ("worker-a", "回访"), ("sup-a", None),
                         ("leader-a", "督查")):
        assert call(world.base, "GET", f"/api/v1/residents/{rid}", token=world.token(user),
                    reason=reason)[0] == 200
    auditor = world.token("audit-a")
    status, digest = call(world.base, "GET", f"/api/v1/residents/access-digest?station_id={A}",
                          token=auditor)
    assert status == 200, digest
    _, trail = call(world.base, "GET", f"/api/v1/residents/{rid}/access-trail", token=auditor)
    day = local_date(datetime.fromisoformat(trail["items"][0]["at"])).isoformat()
    assert digest["from"] <= day <= digest["to"]     # this week, in China dates
    readers = {(r["reader"], r["role"]): r for r in digest["by_reader"]}
    assert readers[("worker-a", "social_worker")]["reads"] >= 2
    assert readers[("worker-a", "social_worker")]["without_reason"] >= 1
    assert readers[("leader-a", "street_leader")]["reads"] >= 1
    assert digest["reads"] == sum(r["reads"] for r in digest["by_reader"])
    assert digest["reads"] == sum(r["reads"] for r in digest["by_role"])
    assert digest["reads"] == sum(d["reads"] for d in digest["by_day"]) and len(digest["by_day"]) == 7
    assert digest["without_reason"] == sum(r["without_reason"] for r in digest["by_reader"]) >= 2
    week = digest["week"]
    earlier = date.fromisoformat(digest["from"]) - timedelta(days=7)
    last = f"{earlier.isocalendar()[0]}-W{earlier.isocalendar()[1]:02d}"
    _, before = call(world.base, "GET",
                     f"/api/v1/residents/access-digest?station_id={A}&week={last}", token=auditor)
    assert (before["week"], before["reads"], before["by_reader"]) == (last, 0, [])
    assert call(world.base, "GET", f"/api/v1/residents/access-digest?station_id={A}&week={week}",
                token=auditor)[1] == digest
    status, body = call(world.base, "GET",
                        f"/api/v1/residents/access-digest?station_id={A}&week=2026-W60",
                        token=auditor)
    assert status == 400 and "week" in body["error"]["fields"]
    assert call(world.base, "GET", f"/api/v1/residents/access-digest?station_id={A}",
                token=world.token("audit-b"))[0] == 404


# -- the partner lookup ------------------------------------------------------------------------

def test_the_partner_lookup_discloses_only_known_card_and_station(world):
    rid, number = register(world, "worker-a", A)
    call(world.base, "POST", f"/api/v1/residents/{rid}/assessments",
         {"domain": "elderly", "answers": answers("elderly", "green")}, world.token("worker-a"))
    for user in ("partner", "admin"):
        status, body = call(world.base, "POST", "/api/v1/residents/lookup",
                            {"id_number": number.lower()}, world.token(user))
        assert (status, body) == (200, {"known": True, "card": "green", "station_id": A})
    status, body = call(world.base, "POST", "/api/v1/residents/lookup",
                        {"id_number": valid_id("19010101", "999")}, world.token("partner"))
    assert (status, body) == (200, {"known": False, "card": None, "station_id": None})
    status, body = call(world.base, "POST", "/api/v1/residents/lookup", {"id_number": "12345"},
                        world.token("partner"))
    assert status == 400 and "id_number" in body["error"]["fields"]
    _, trail = call(world.base, "GET", f"/api/v1/residents/{rid}/access-trail",
                    token=world.token("audit-a"))
    assert [(r["reader"], r["fields"]) for r in trail["items"]] == [
        ("partner", ["lookup", "card", "station_id"]), ("admin", ["lookup", "card", "station_id"])]


# -- the documented shapes, with real records behind them ------------------------------------------

DOCUMENTED = {(method, openapi_path(handler.url)[0]): handler.doc.responses
              for _, handler in handlers_of(ResidentsService)
              for method in http_methods(handler.method)}


def fits(method: str, path: str, status: int, body: dict) -> dict:
    """marshmallow's complaints about `body` against the schema documented for the answer."""
    schema = DOCUMENTED[(method, path)][status]
    return (schema() if isinstance(schema, type) else schema).validate(body)


def test_real_answers_fit_the_schemas_the_document_promises(world):
    """schemathesis meets mostly 404s (it cannot guess a resident's id): here each answer
    about real records, in clear and masked, is checked against its documented schema."""
    worker, leader, auditor = (world.token(u) for u in ("worker-a", "leader-a", "audit-a"))
    household = {"members": [{"name": "王小明", "relation": "child", "phone": "13700000001"}]}
    rid, number = register(world, "worker-a", A, household=household)
    checks = []

    def check(method, template, status, path, body=None, token=worker, reason="核查"):
        got, answer = call(world.base, method, path, body, token, reason=reason)
        assert got == status, answer
        checks.append((template, fits(method, template, status, answer)))
        return answer

    r = "/api/v1/residents/{resident_id}"
    check("POST", r + "/assessments", 201, f"/api/v1/residents/{rid}/assessments",
          {"domain": "elderly", "answers": answers("elderly", "red")})
    check("POST", r + "/assessments", 201, f"/api/v1/residents/{rid}/assessments",
          {"domain": "elderly", "answers": answers("elderly", "green")})   # held downgrade
    need = check("POST", r + "/needs", 201, f"/api/v1/residents/{rid}/needs",
                 {"category": "medical", "urgency": "high", "description": "陪诊"})["id"]
    check("PATCH", r, 200, f"/api/v1/residents/{rid}", {"address": "新地址 1 号"})
    for token in (worker, leader):
        check("GET", r, 200, f"/api/v1/residents/{rid}", token=token)
        check("GET", r + "/history", 200, f"/api/v1/residents/{rid}/history", token=token)
        check("GET", "/api/v1/residents", 200, "/api/v1/residents?page_size=5", token=token)
        check("GET", "/api/v1/needs", 200, "/api/v1/needs?status=all", token=token)
        check("GET", "/api/v1/org", 200, "/api/v1/org", token=token)
    check("GET", "/api/v1/rubrics", 200, "/api/v1/rubrics")
    check("POST", "/api/v1/needs/{need_id}/met", 200, f"/api/v1/needs/{need}/met", {})
    check("GET", r + "/access-trail", 200, f"/api/v1/residents/{rid}/access-trail", token=auditor)
    check("GET", "/api/v1/residents/access-digest", 200,
          f"/api/v1/residents/access-digest?station_id={A}", token=auditor)
    check("POST", "/api/v1/residents/lookup", 200, "/api/v1/residents/lookup",
          {"id_number": number}, token=world.token("partner"))
    check("POST", r + "/erase", 200, f"/api/v1/residents/{rid}/erase", {"reason": "本人申请"},
          token=world.token("head-a"))
    check("GET", r, 200, f"/api/v1/residents/{rid}")                      # erased
    check("GET", r + "/history", 200, f"/api/v1/residents/{rid}/history", token=leader)
    check("POST", "/api/v1/auth/token", 200, "/api/v1/auth/token",
          {"username": "worker-a", "password": PASSWORD}, token=None)
    assert [(path, problems) for path, problems in checks if problems] == []


# -- erasure -------------------------------------------------------------------------------------

def every_text_in_the_store(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        return "\n".join(str(tuple(row)) for table in tables
                         for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')))


def test_after_erasure_no_personal_field_is_readable_anywhere_and_the_chains_verify(
        world, module_vhost):
    name, phone, address, member = "赵淑珍", "13985006789", "观风台社区 9 栋 2 单元", "赵大伟"
    born, number = "1941-07-19", valid_id("19410719", "022")
    rid, _ = register(world, "worker-a", A, name=name, phone=phone, address=address,
                      birth_date=born, id_number=number,
                      household={"members": [{"name": member, "relation": "child",
                                              "phone": "13700006789"}]})
    worker, head = world.token("worker-a"), world.token("head-a")
    call(world.base, "POST", f"/api/v1/residents/{rid}/assessments",
         {"domain": "elderly", "answers": answers("elderly", "red")}, worker)
    call(world.base, "POST", f"/api/v1/residents/{rid}/needs",
         {"category": "medical", "urgency": "high", "description": "赵淑珍需要陪同就医"}, worker)
    before = call(world.base, "GET", f"/api/v1/residents/{rid}/history", token=worker, reason="复核")[1]
    personal = (name, phone, address, member, number, "13700006789", born, "陪同就医")
    _, red_before = call(world.base, "GET", "/api/v1/residents?card=red", token=worker)

    status, body = call(world.base, "POST", f"/api/v1/residents/{rid}/erase", {"reason": "本人申请"},
                        worker)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = call(world.base, "POST", f"/api/v1/residents/{rid}/erase", {"reason": "本人申请"},
                        world.token("head-b"))
    assert (status, body["error"]["code"]) == (404, "resident_not_found")
    status, body = call(world.base, "POST", f"/api/v1/residents/{rid}/erase",
                        {"reason": "本人申请删除个人信息"}, head)
    assert (status, body) == (200, {"id": rid, "erased": True})

    seen = []
    for user in ("worker-a", "leader-a"):
        token = world.token(user)
        status, record = call(world.base, "GET", f"/api/v1/residents/{rid}", token=token, reason="核查")
        assert status == 200 and record["erased"] is True
        assert {record[k] for k in ("name", "id_number", "phone", "address", "birth_date")} == {
            "[erased]"} and record["household"] is None
        assert (record["card"], record["version"]) == ("red", before["state"]["version"])
        _, history = call(world.base, "GET", f"/api/v1/residents/{rid}/history", token=token,
                          reason="核查")
        as_of = urllib.parse.quote(history["events"][0]["recorded_at"])
        _, then = call(world.base, "GET", f"/api/v1/residents/{rid}/history?as_of={as_of}",
                       token=token, reason="核查")
        assert len(history["events"]) == len(before["events"])   # the events all stay
        _, page = call(world.base, "GET", f"/api/v1/residents?q={quote(name)}", token=token)
        _, everyone = call(world.base, "GET", "/api/v1/residents?page_size=500", token=token)
        _, needs = call(world.base, "GET", f"/api/v1/needs?resident_id={rid}", token=token)
        assert page["total"] == 0 and needs["items"][0]["description"] == "[erased]"
        seen += [record, history, then, everyone, needs]
    status, found = call(world.base, "POST", "/api/v1/residents/lookup", {"id_number": number},
                         world.token("partner"))
    assert (status, found) == (200, {"known": False, "card": None, "station_id": None})
    with service_rpc(module_vhost) as rpc:
        seen += [rpc.residents.get_resident_record(rid),
                 rpc.residents.find_residents({"station_id": A}, 1, 500),
                 rpc.residents.read_stream(f"resident-{rid}"), rpc.residents.read_all(0, 5000)]
    with person_rpc(module_vhost, signed_token("head-a", "station_head", f"station:{A}")) as rpc:
        seen.append(rpc.residents.get_resident_record(rid, "核查"))
    every_answer = json.dumps(seen, ensure_ascii=False)
    leaked = [p for p in personal if p in every_answer]
    assert leaked == [], f"readable after erasure: {leaked}"
    dump = every_text_in_the_store(world.engine)
    assert f"resident-{rid}" in dump
    assert [p for p in personal if p in dump] == [], "the store still holds personal data"

    # Cards and counts hold; the ID number stays taken; the record takes no more changes.
    _, red_after = call(world.base, "GET", "/api/v1/residents?card=red", token=worker)
    assert red_after["total"] == red_before["total"]
    status, body = call(world.base, "POST", "/api/v1/residents",
                        {**PERSON, "station_id": A, "id_number": number, "birth_date": born},
                        worker)
    assert (status, body["error"]["code"]) == (409, "duplicate_id_number")
    status, body = call(world.base, "PATCH", f"/api/v1/residents/{rid}", {"phone": "110"}, worker)
    assert (status, body["error"]["code"]) == (409, "resident_erased")
    assert call(world.base, "POST", f"/api/v1/residents/{rid}/erase", {"reason": "again"},
                head) == (200, {"id": rid, "erased": True})

    verify = subprocess.run([sys.executable, "-m", "station.cli", "events", "verify", "--service",
                             "residents", "--data-dir", world.env["STATION_DATA_DIR"]],
                            env=world.env, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    log = (os.path.join(world.env["STATION_DATA_DIR"], "residents.log"))
    assert [p for p in personal if p in open(log, encoding="utf-8", errors="replace").read()] == []
