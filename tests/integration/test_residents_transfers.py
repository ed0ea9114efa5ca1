"""Must show (issues #3, #4), through HTTP with `station serve residents` on the real
broker and PostgreSQL, each station's people logging in with their own tokens:

- station A offers a resident to station B; B sees the offer with ids, card and
  categories only; nobody of A can accept it; B's head accepts; from then on A cannot
  read the record (404) and B can, with its whole history; a second accept is 409;
- a declined offer leaves the record with A;
- the street and district roll-ups count active residents by station and card, for
  street leaders and district administrators only, within their scope.
"""
from __future__ import annotations

import json

import pytest

from services.residents.schemas import RollupOut, TransferAnsweredOut, TransferPage

from tests.integration.test_residents_http import answers, valid_id
from tests.support.auth import People, call

pytestmark = pytest.mark.integration

A, B = "xihulu-station", "zh-station"
USERS = {
    "worker-a": ("social_worker", f"station:{A}"),
    "head-a": ("station_head", f"station:{A}"),
    "worker-b": ("social_worker", f"station:{B}"),
    "sup-b": ("supervisor", f"station:{B}"),
    "head-b": ("station_head", f"station:{B}"),
    "leader-a": ("street_leader", "street:xihulu"),
    "admin": ("district_admin", "district:nanming"),
}
NAME, PHONE = "周玉兰", "13985001234"


@pytest.fixture
def world(database_url, services, service_env):
    services.start("residents")
    base = services.url("residents")
    people = People(service_env)
    try:
        tokens = {user: people.token(base, user, role, scope)
                  for user, (role, scope) in USERS.items()}
        for path, body in (("/api/v1/org/streets", {"district_id": "nanming", "id": "zhonghua",
                                                    "name": "中华南路街道"}),
                           ("/api/v1/org/stations", {"street_id": "zhonghua", "id": B,
                                                     "name": "中华南路街道社工站"}),
                           ("/api/v1/org/communities", {"station_id": B, "id": "zh-1",
                                                        "name": "新华社区"})):
            assert call(base, "POST", path, body, tokens["admin"])[0] == 201
        yield base, tokens
    finally:
        people.close()


def register(base: str, token: str, seq: str) -> str:
    status, body = call(base, "POST", "/api/v1/residents",
                        {"station_id": A, "community_id": "nanmingtang", "name": NAME,
                         "gender": "female", "birth_date": "1940-03-15", "phone": PHONE,
                         "address": "南明堂社区 5 栋", "id_number": valid_id("19400315", seq),
                         "categories": ["living_alone"]}, token)
    assert status == 201, body
    return body["id"]


def offer(base: str, token: str, rid: str) -> tuple[int, dict]:
    return call(base, "POST", f"/api/v1/residents/{rid}/transfer",
                {"to_station_id": B, "to_community_id": "zh-1", "reason": "随女儿搬到中华南路"},
                token)


def test_an_accepted_transfer_moves_the_record_and_its_history_to_the_new_station(world):
    base, t = world
    rid = register(base, t["worker-a"], "124")
    assert call(base, "POST", f"/api/v1/residents/{rid}/assessments",
                {"domain": "elderly", "answers": answers("elderly", "red")}, t["worker-a"])[0] == 201
    # B's people cannot offer A's resident (not theirs: 404); A's worker can.
    assert offer(base, t["head-b"], rid)[0] == 404
    status, offered = offer(base, t["worker-a"], rid)
    assert status == 202 and offered["status"] == "offered", offered
    transfer_id = offered["transfer_id"]
    assert offer(base, t["worker-a"], rid)[1]["error"]["code"] == "transfer_pending"

    # B sees the offer addressed to it: ids, card, categories; no personal field.
    status, page = call(base, "GET", f"/api/v1/transfers?station_id={B}&direction=incoming",
                        token=t["worker-b"])
    assert status == 200 and TransferPage().validate(page) == {}
    [item] = page["items"]
    assert (item["transfer_id"], item["resident_id"], item["from_station_id"],
            item["to_station_id"], item["to_community_id"], item["status"], item["card"]) == (
        transfer_id, rid, A, B, "zh-1", "offered", "red")
    assert "living_alone" in item["categories"]
    shown = json.dumps(page, ensure_ascii=False)
    assert NAME not in shown and PHONE not in shown and "随女儿" not in shown
    assert call(base, "GET", f"/api/v1/residents/{rid}", token=t["worker-b"], reason="接收前核对")[0] == 404
    assert call(base, "GET", f"/api/v1/transfers?station_id={A}", token=t["worker-b"])[0] == 404
    _, outgoing = call(base, "GET", "/api/v1/transfers?direction=outgoing", token=t["worker-a"])
    assert [i["transfer_id"] for i in outgoing["items"]] == [transfer_id]

    # Nobody of the sending station accepts; a social worker of B may not either.
    status, body = call(base, "POST", f"/api/v1/transfers/{transfer_id}/accept", {}, t["head-a"])
    assert (status, body["error"]["code"]) == (403, "sending_station")
    status, body = call(base, "POST", f"/api/v1/transfers/{transfer_id}/accept", {}, t["worker-b"])
    assert (status, body["error"]["code"]) == (403, "forbidden")

    status, accepted = call(base, "POST", f"/api/v1/transfers/{transfer_id}/accept", {}, t["head-b"])
    assert status == 200 and TransferAnsweredOut().validate(accepted) == {}, accepted
    assert accepted == {"transfer_id": transfer_id, "status": "accepted", "resident_id": rid,
                        "station_id": B, "community_id": "zh-1"}
    status, body = call(base, "POST", f"/api/v1/transfers/{transfer_id}/accept", {}, t["sup-b"])
    assert (status, body["error"]["code"]) == (409, "transfer_not_pending")

    # A no longer reads the record; B reads it and its whole history.
    for path in (f"/api/v1/residents/{rid}", f"/api/v1/residents/{rid}/history"):
        status, body = call(base, "GET", path, token=t["worker-a"], reason="核查")
        assert (status, body["error"]["code"]) == (404, "resident_not_found")
    status, record = call(base, "GET", f"/api/v1/residents/{rid}", token=t["worker-b"], reason="接收")
    assert status == 200 and (record["station_id"], record["community_id"]) == (B, "zh-1")
    assert (record["name"], record["card"]) == (NAME, "red")
    _, history = call(base, "GET", f"/api/v1/residents/{rid}/history", token=t["worker-b"],
                      reason="接收")
    types = [e["type"] for e in history["events"]]
    assert types[0] == "ResidentRegistered" and "CardAssigned" in types
    assert types[-2:] == ["TransferOffered", "ResidentTransferred"]
    moved = history["events"][-1]["payload"]
    assert (moved["from_station_id"], moved["station_id"], moved["transfer_id"]) == (A, B, transfer_id)
    _, page = call(base, "GET", "/api/v1/residents", token=t["worker-a"])
    assert rid not in {r["id"] for r in page["items"]}
    _, page = call(base, "GET", "/api/v1/residents", token=t["worker-b"])
    assert rid in {r["id"] for r in page["items"]}
    # A keeps only what it did: its offer, now answered.
    _, outgoing = call(base, "GET", "/api/v1/transfers?direction=outgoing", token=t["worker-a"])
    assert [(i["transfer_id"], i["status"], i["decided_by"]) for i in outgoing["items"]] == [
        (transfer_id, "accepted", "head-b")]


def test_a_declined_transfer_leaves_the_record_with_the_sending_station(world):
    base, t = world
    rid = register(base, t["worker-a"], "136")
    transfer_id = offer(base, t["head-a"], rid)[1]["transfer_id"]
    status, body = call(base, "POST", f"/api/v1/transfers/{transfer_id}/decline", {"reason": "x"},
                        t["sup-b"])
    assert status == 400 and "reason" in body["error"]["fields"]
    status, body = call(base, "POST", f"/api/v1/transfers/{transfer_id}/decline",
                        {"reason": "地址不在本站辖区"}, t["sup-b"])
    assert status == 200 and (body["status"], body["station_id"]) == ("declined", A), body
    assert call(base, "POST", f"/api/v1/transfers/{transfer_id}/accept", {}, t["head-b"])[0] == 409
    assert call(base, "GET", f"/api/v1/residents/{rid}", token=t["worker-a"])[0] == 200
    assert call(base, "GET", f"/api/v1/residents/{rid}", token=t["worker-b"])[0] == 404
    _, page = call(base, "GET", f"/api/v1/transfers?station_id={A}", token=t["worker-a"])
    assert [(i["status"], i["decided_by"]) for i in page["items"]] == [("declined", "sup-b")]
    # the record takes a new offer, and the old cross-station move stays within scope only
    assert offer(base, t["worker-a"], rid)[0] == 202
    status, body = call(base, "POST", "/api/v1/transfers/no-such-transfer/accept", {}, t["head-b"])
    assert (status, body["error"]["code"]) == (404, "transfer_not_found")


def test_a_move_to_a_station_outside_the_callers_scope_is_still_refused(world):
    base, t = world
    rid = register(base, t["worker-a"], "146")
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/move", {"community_id": "zh-1"},
                        t["worker-a"])
    assert status == 400 and "community_id" in body["error"]["fields"]
    assert call(base, "GET", f"/api/v1/residents/{rid}", token=t["worker-a"])[1]["station_id"] == A


def test_roll_ups_count_active_residents_by_station_and_card_for_street_and_district_roles(world):
    base, t = world
    red = register(base, t["worker-a"], "158")
    call(base, "POST", f"/api/v1/residents/{red}/assessments",
         {"domain": "elderly", "answers": answers("elderly", "red")}, t["worker-a"])
    green = register(base, t["worker-a"], "168")
    call(base, "POST", f"/api/v1/residents/{green}/assessments",
         {"domain": "elderly", "answers": answers("elderly", "green")}, t["worker-a"])
    register(base, t["worker-a"], "178")                    # no card yet
    gone = register(base, t["worker-a"], "180")
    call(base, "POST", f"/api/v1/residents/{gone}/status", {"status": "moved_out"}, t["worker-a"])
    moved = register(base, t["worker-a"], "192")
    transfer_id = offer(base, t["worker-a"], moved)[1]["transfer_id"]
    assert call(base, "POST", f"/api/v1/transfers/{transfer_id}/accept", {}, t["head-b"])[0] == 200

    status, street = call(base, "GET", "/api/v1/residents/rollup?street_id=xihulu",
                          token=t["leader-a"])
    assert status == 200 and RollupOut().validate(street) == {}, street
    assert (street["scope"]["kind"], street["scope"]["id"]) == ("street", "xihulu")
    stations = {s["station_id"]: s for s in street["stations"]}
    assert B not in stations
    assert stations[A]["residents"] == 3
    assert stations[A]["cards"] == {"red": 1, "blue": 0, "green": 1, "none": 1}

    status, district = call(base, "GET", "/api/v1/residents/rollup?district_id=nanming",
                            token=t["admin"])
    assert status == 200 and RollupOut().validate(district) == {}, district
    stations = {s["station_id"]: s for s in district["stations"]}
    assert stations[A]["residents"] == 3
    assert (stations[B]["residents"], stations[B]["cards"]["none"]) == (1, 1)
    total = district["total"]
    assert total["residents"] == sum(s["residents"] for s in district["stations"]) == 4
    assert total["cards"] == {"red": 1, "blue": 0, "green": 1, "none": 2}
    assert total["stations"] == len(district["stations"])

    for user in ("worker-a", "head-a", "head-b"):
        status, body = call(base, "GET", "/api/v1/residents/rollup?street_id=xihulu", token=t[user])
        assert (status, body["error"]["code"]) == (403, "forbidden"), user
    for query in ("street_id=zhonghua", "district_id=nanming", "street_id=no-such-street"):
        status, unknown = call(base, "GET", f"/api/v1/residents/rollup?{query}", token=t["leader-a"])
        assert status == 404, (query, unknown)
    assert call(base, "GET", "/api/v1/residents/rollup?street_id=zhonghua",
                token=t["leader-a"]) == call(base, "GET", "/api/v1/residents/rollup?street_id=nope",
                                             token=t["leader-a"])
    status, body = call(base, "GET", "/api/v1/residents/rollup", token=t["admin"])
    assert status == 400
    status, body = call(base, "GET", "/api/v1/residents/rollup?street_id=xihulu&district_id=nanming",
                        token=t["admin"])
    assert status == 400
