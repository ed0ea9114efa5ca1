"""The rest of the residents API over HTTP, with the service in a subprocess on the real
broker (SQLite store) and bearer tokens of its users: registry commands and queries, the
needs library, the organisation tree and transfers, casework's major-change events,
RPC reads, restarts."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import kombu
import pytest

from shared import topology
from shared.events import NewEvent
from shared.relay import message_of
from shared.stores import open_store
from station import catalog

from services.residents.cards import local_date

from tests.integration.test_residents_http import REGISTRATION, Store, answers, valid_id, wait_until
from tests.support.auth import People, call, person_rpc, service_rpc, signed_token

pytestmark = pytest.mark.integration

XIHULU = "station:xihulu-station"


@pytest.fixture
def people(service_env):
    people = People(service_env)
    yield people
    people.close()


def register(base: str, token: str, **overrides) -> str:
    status, body = call(base, "POST", "/api/v1/residents", {**REGISTRATION, **overrides}, token)
    assert status == 201, body
    return body["id"]


def test_registry_commands_and_queries(services, people):
    base = services.start("residents").url("residents")
    worker = people.token(base, "worker-1", "social_worker", XIHULU)
    supervisor = people.token(base, "sup-1", "supervisor", XIHULU)
    rid = register(base, worker)

    # The same ID number anywhere in the district: 409 with the existing resident's id.
    status, body = call(base, "POST", "/api/v1/residents",
                        {**REGISTRATION, "community_id": "guanjinglu", "name": "别人"}, worker)
    assert (status, body["error"]["code"], body["error"]["existing_id"]) == (
        409, "duplicate_id_number", rid)

    status, body = call(base, "GET", "/api/v1/residents/no-such-id", token=worker)
    assert (status, body["error"]["message_zh"]) == (404, "居民不存在")

    status, shown = call(base, "GET", f"/api/v1/residents/{rid}", token=worker)
    assert status == 200
    assert {k: shown[k] for k in ("station_id", "community_id", "name", "gender", "birth_date",
                                  "id_number", "phone", "status", "card", "version")} == {
        "station_id": "xihulu-station", "community_id": "nanmingtang", "name": "王秀英",
        "gender": "female", "birth_date": "1938-05-02", "id_number": REGISTRATION["id_number"],
        "phone": "13985000000", "status": "active", "card": None, "version": 1}
    assert shown["categories"] == ["advanced_age", "living_alone", "low_income"]

    # Update with a stale version: 409; with the current one: applied. The answer is the
    # state without personal data; the record shows the change.
    status, body = call(base, "PATCH", f"/api/v1/residents/{rid}", {"phone": "110", "version": 5},
                        worker)
    assert (status, body["error"]["code"]) == (409, "version_conflict")
    status, body = call(base, "PATCH", f"/api/v1/residents/{rid}",
                        {"phone": "13700000000", "categories": ["living_alone", "disabled"],
                         "version": 1}, worker)
    assert (status, body["version"]) == (200, 2) and "phone" not in body
    assert call(base, "GET", f"/api/v1/residents/{rid}", token=worker)[1]["phone"] == "13700000000"
    status, body = call(base, "PATCH", f"/api/v1/residents/{rid}", {"id_number": "x"}, worker)
    assert status == 400 and "id_number" in body["error"]["fields"]

    # Lists by community, category and card, with paging; ID numbers and phones masked.
    others = [register(base, worker, id_number=valid_id("19600101", f"{i}13"),
                       birth_date="1960-01-01", gender="male", community_id="guanjinglu",
                       categories=["low_income"])
              for i in range(3)]
    call(base, "POST", f"/api/v1/residents/{others[0]}/assessments",
         {"domain": "assistance", "answers": answers("assistance", "red")}, worker)
    status, page = call(base, "GET", "/api/v1/residents?community_id=guanjinglu&page=2&page_size=2",
                        token=worker)
    assert (status, page["total"], page["page"], page["page_size"], len(page["items"])) == (
        200, 3, 2, 2, 1)
    _, page = call(base, "GET", "/api/v1/residents?card=red", token=worker)
    assert [r["id"] for r in page["items"]] == [others[0]]
    _, page = call(base, "GET", "/api/v1/residents?category=advanced_age", token=worker)
    assert [r["id"] for r in page["items"]] == [rid]
    assert (page["items"][0]["id_number"], page["items"][0]["phone"]) == (
        "5201**********" + REGISTRATION["id_number"][-4:], "137****0000")
    _, page = call(base, "GET", "/api/v1/residents?category=disabled&station_id=xihulu-station",
                   token=worker)
    assert [r["id"] for r in page["items"]] == [rid]
    status, body = call(base, "GET", "/api/v1/residents?card=purple&page_size=9999", token=worker)
    assert status == 400 and {"card", "page_size"} <= set(body["error"]["fields"])

    # Overrides: a supervisor's permission and a written reason.
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/card-override",
                        {"card": "red", "reason": "独居且近期跌倒"}, worker)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/card-override",
                        {"card": "red", "reason": ""}, supervisor)
    assert status == 400 and "reason" in body["error"]["fields"]
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/card-override",
                        {"card": "red", "reason": "独居且近期跌倒"}, supervisor)
    assert (status, body["card"]) == (200, "red")

    # Status: moved out residents are not assessed; the deceased stay deceased.
    status, body = call(base, "POST", f"/api/v1/residents/{others[1]}/status",
                        {"status": "moved_out", "reason": "随子女迁往外省"}, worker)
    assert (status, body["status"]) == (200, "moved_out")
    status, body = call(base, "POST", f"/api/v1/residents/{others[1]}/assessments",
                        {"domain": "elderly", "answers": answers("elderly", "red")}, worker)
    assert (status, body["error"]["code"]) == (409, "resident_not_active")

    # Bad answers are named per question.
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/assessments",
                        {"domain": "elderly", "answers": {"health": "superb"}}, worker)
    assert status == 400 and "health" in body["error"]["fields"]["answers"]

    status, rubrics = call(base, "GET", "/api/v1/rubrics", token=worker)
    assert status == 200
    assert {r["domain"] for r in rubrics["items"]} == {"elderly", "child", "assistance"}
    assert any(c["code"] == "advanced_age" and c["name_zh"] == "高龄" for c in rubrics["categories"])

    # The user of each request's token is the actor on its events.
    _, history = call(base, "GET", f"/api/v1/residents/{rid}/history", token=worker,
                      reason="核对卡色调整")
    assigned = next(e for e in history["events"] if e["type"] == "CardAssigned")
    assert (assigned["actor"], assigned["payload"]["override"]) == ("sup-1", True)
    assert {e["actor"] for e in history["events"][:2]} == {"worker-1"}


def test_needs_library(services, people):
    base = services.start("residents").url("residents")
    worker = people.token(base, "worker-1", "social_worker", XIHULU)
    rid = register(base, worker)
    other = register(base, worker, id_number=valid_id("19500101", "218"), birth_date="1950-01-01",
                     gender="female", community_id="suoshixiang", categories=["empty_nest"])
    ids = []
    for resident, category, urgency in ((rid, "daily_care", "urgent"), (rid, "medical", "high"),
                                        (other, "daily_care", "medium")):
        status, body = call(base, "POST", f"/api/v1/residents/{resident}/needs",
                            {"category": category, "urgency": urgency, "description": "需要助餐服务"},
                            worker)
        assert status == 201, body
        ids.append(body["id"])
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/needs",
                        {"category": "yacht", "urgency": "urgent", "description": ""}, worker)
    assert status == 400 and {"category", "description"} <= set(body["error"]["fields"])

    _, page = call(base, "GET", "/api/v1/needs?category=daily_care", token=worker)
    assert {n["id"] for n in page["items"]} == {ids[0], ids[2]}
    assert {n["description"] for n in page["items"]} == {"需要助餐服务"}
    _, page = call(base, "GET", "/api/v1/needs?community_id=nanmingtang", token=worker)
    assert {n["id"] for n in page["items"]} == {ids[0], ids[1]}

    status, body = call(base, "POST", f"/api/v1/needs/{ids[0]}/met", {"note": "已链接社区食堂"},
                        worker)
    assert (status, body["status"]) == (200, "met")
    status, body = call(base, "POST", f"/api/v1/needs/{ids[1]}/withdraw", {"reason": "家属已安排"},
                        worker)
    assert (status, body["status"]) == (200, "withdrawn")
    status, body = call(base, "POST", f"/api/v1/needs/{ids[0]}/met", {}, worker)
    assert (status, body["error"]["code"]) == (409, "need_closed")
    status, body = call(base, "POST", "/api/v1/needs/nope/met", {}, worker)
    assert status == 404

    _, page = call(base, "GET", "/api/v1/needs?community_id=nanmingtang", token=worker)
    assert page["total"] == 0
    _, page = call(base, "GET", "/api/v1/needs?status=all&page_size=2", token=worker)
    assert (page["total"], len(page["items"])) == (3, 2)


def test_other_services_read_over_rpc_as_a_person_or_for_themselves(services, people, amqp_uri,
                                                                   tmp_path):
    base = services.start("residents").url("residents")
    rid = register(base, people.token(base, "worker-1", "social_worker", XIHULU))
    worker = signed_token("worker-1", "social_worker", XIHULU)
    elsewhere = signed_token("head-9", "station_head", "station:elsewhere")
    with service_rpc(amqp_uri) as rpc:
        record = rpc.residents.get_resident_record(rid)   # a service for itself: masked
        assert (record["id"], record["community_id"], record["card"]) == (rid, "nanmingtang", None)
        assert record["id_number"] == "5201**********" + REGISTRATION["id_number"][-4:]
        assert rpc.residents.get_resident_record("nobody") is None
        page = rpc.residents.find_residents({"community_id": "nanmingtang"}, 1, 10)
        assert [r["id"] for r in page["items"]] == [rid]
        assert page["items"][0]["phone"] == "139****0000"
        assert rpc.residents.station_of_community("dongshengxiang") == "xihulu-station"
        assert rpc.residents.org()["districts"][0]["id"] == "nanming"
    with person_rpc(amqp_uri, worker) as rpc:
        assert rpc.residents.get_resident_record(rid)["id_number"] == REGISTRATION["id_number"]
    with person_rpc(amqp_uri, elsewhere) as rpc:
        assert rpc.residents.get_resident_record(rid) is None   # outside the scope
        assert rpc.residents.find_residents({}, 1, 10)["total"] == 0
    # Each read of the record over RPC is in the access trail (three reads found it).
    auditor = people.token(base, "audit-1", "auditor", XIHULU)
    _, trail = call(base, "GET", f"/api/v1/residents/{rid}/access-trail", token=auditor)
    assert [(r["reader"], r["role"], r["fields"][0]) for r in trail["items"]] == [
        ("service", "service", "rpc"), ("worker-1", "social_worker", "rpc")]


def test_organisation_tree_and_transfer_between_stations(services, people):
    base = services.start("residents").url("residents")
    admin = people.token(base, "admin-1", "district_admin", "district:nanming")
    worker = people.token(base, "worker-1", "social_worker", XIHULU)
    status, tree = call(base, "GET", "/api/v1/org", token=admin)
    station = tree["districts"][0]["streets"][0]["stations"][0]
    assert status == 200 and len(station["communities"]) == 7

    status, body = call(base, "POST", "/api/v1/org/streets",
                        {"district_id": "nanming", "name": "中华南路街道", "id": "zhonghua"}, admin)
    assert (status, body) == (201, {"id": "zhonghua"})
    status, body = call(base, "POST", "/api/v1/org/stations",
                        {"street_id": "zhonghua", "name": "中华南路街道社工站"}, admin)
    assert status == 201
    new_station = body["id"]
    status, body = call(base, "POST", "/api/v1/org/communities",
                        {"station_id": new_station, "name": "新华社区", "id": "xinhua"}, admin)
    assert status == 201
    status, body = call(base, "POST", "/api/v1/org/communities",
                        {"station_id": "nowhere", "name": "x"}, admin)
    assert (status, body["error"]["code"]) == (404, "station_not_found")
    status, body = call(base, "POST", "/api/v1/org/streets",
                        {"district_id": "nanming", "name": "西湖路街道"}, admin)
    assert (status, body["error"]["code"], body["error"]["existing_id"]) == (409, "name_taken", "xihulu")
    status, body = call(base, "PUT", f"/api/v1/org/stations/{new_station}/reassessment",
                        {"red": 1, "blue": 2, "green": 6}, admin)
    assert status == 200
    # A station's worker sees their station's branch of the tree only.
    _, mine = call(base, "GET", "/api/v1/org", token=worker)
    assert [s["id"] for s in mine["districts"][0]["streets"]] == ["xihulu"]

    rid = register(base, worker)
    call(base, "POST", f"/api/v1/residents/{rid}/assessments",
         {"domain": "elderly", "answers": answers("elderly", "green")}, worker)
    # The new station's community is outside the worker's scope: as unknown as "mars".
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/move", {"community_id": "xinhua"},
                        worker)
    assert status == 400 and "community_id" in body["error"]["fields"]
    both = people.token(base, "worker-both", "social_worker", XIHULU, f"station:{new_station}")
    status, moved = call(base, "POST", f"/api/v1/residents/{rid}/move",
                         {"community_id": "xinhua", "address": "新华路 8 号"}, both)
    assert (status, moved["station_id"], moved["community_id"]) == (200, new_station, "xinhua")
    assert moved["card"] == "green"  # the record goes along
    _, page = call(base, "GET", "/api/v1/residents?station_id=xihulu-station", token=worker)
    assert page["total"] == 0
    assert call(base, "GET", f"/api/v1/residents/{rid}", token=worker)[0] == 404  # gone with it
    _, page = call(base, "GET", f"/api/v1/residents?station_id={new_station}", token=both)
    assert [r["id"] for r in page["items"]] == [rid]
    _, history = call(base, "GET", f"/api/v1/residents/{rid}/history", token=both)
    stations = [(e["type"], e["station_id"]) for e in history["events"]]
    assert ("RiskAssessed", "xihulu-station") in stations
    assert ("ResidentTransferred", "xihulu-station") in stations
    status, body = call(base, "POST", f"/api/v1/residents/{rid}/move", {"community_id": "mars"},
                        both)
    assert status == 400 and "community_id" in body["error"]["fields"]


def test_a_major_change_flagged_by_casework_makes_a_reassessment_due_at_once(services, people,
                                                                             amqp_uri):
    base = services.start("residents").url("residents")
    worker = people.token(base, "worker-1", "social_worker", XIHULU)
    rid = register(base, worker)
    call(base, "POST", f"/api/v1/residents/{rid}/assessments",
         {"domain": "elderly", "answers": answers("elderly", "green")}, worker)
    _, before = call(base, "GET", f"/api/v1/residents/{rid}", token=worker)
    assert before["reassess_reason"] == "card:green"
    flagged_at = datetime.now(timezone.utc).isoformat()
    # Casework's event, stored and signed as casework does, sent as its relay would.
    casework = open_store("casework", {"STATION_DATA_DIR": services.data_dir},
                          catalog.registry("casework"))
    casework.append("visit-v1", 0, [NewEvent("MajorChangeFlagged", {
        "resident_id": rid, "station_id": "xihulu-station", "change": "hospitalised",
        "visit_id": "v1", "flagged_at": flagged_at}, station_id="xihulu-station",
        actor="worker-3", correlation_id="c-1")])
    (event,) = casework.read_all(0, 10)
    # No store id: casework is not running to confirm its store over RPC.
    body, _, headers = message_of(event, None, casework.signer)
    casework.engine.dispose()
    with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
        conn.Producer().publish(
            body, exchange=topology.events_exchange("casework"), headers=headers,
            content_type="application/json", content_encoding="utf-8",
            routing_key="MajorChangeFlagged", declare=[topology.events_exchange("casework")])

    def reassessment_due():
        _, shown = call(base, "GET", f"/api/v1/residents/{rid}", token=worker)
        return shown if shown["reassess_reason"] == "major_change:hospitalised" else None
    shown = wait_until(reassessment_due, what="the major change applied")
    assert shown["reassess_on"] == local_date(datetime.now(timezone.utc)).isoformat()
    assert shown["major_change"] == "hospitalised"
    _, page = call(base, "GET", "/api/v1/residents?due=true", token=worker)
    assert [r["id"] for r in page["items"]] == [rid]


def test_a_restart_seeds_nothing_twice(services, tmp_path):
    services.start("residents")
    store = Store(tmp_path, None)
    try:
        seeded = store.count()
        assert seeded == 10  # district, street, station, seven communities
        services.stop("residents")
        services.start("residents")
        token = signed_token("worker-1", "social_worker", XIHULU)
        _, tree = call(services.url("residents"), "GET", "/api/v1/org", token=token)
        assert len(tree["districts"][0]["streets"][0]["stations"][0]["communities"]) == 7
        assert store.count() == seeded
    finally:
        store.engine.dispose()


def test_the_org_command_on_postgres(database_url, tmp_path, capsys, monkeypatch):
    from station.cli import main
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["org", "add-street", "--district", "nanming", "--name", "中华南路街道",
                 "--data-dir", str(tmp_path)]) == 0
    street_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["org", "show", "--data-dir", str(tmp_path)]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert street_id in {s["id"] for s in tree["districts"][0]["streets"]}


def test_the_org_command_shows_and_extends_the_tree(tmp_path, capsys, monkeypatch):
    from station.cli import main
    monkeypatch.delenv("DATABASE_URL", raising=False)
    data_dir = str(tmp_path)
    assert main(["org", "add-street", "--district", "nanming", "--name", "中华南路街道",
                 "--id", "zhonghua", "--data-dir", data_dir]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": "zhonghua"}
    assert main(["org", "add-station", "--street", "zhonghua", "--name", "中华南路社工站",
                 "--id", "zh-station", "--data-dir", data_dir]) == 0
    assert main(["org", "add-community", "--station", "zh-station", "--name", "一社区",
                 "--data-dir", data_dir]) == 0
    capsys.readouterr()
    assert main(["org", "add-community", "--station", "nowhere", "--name", "x",
                 "--data-dir", data_dir]) == 1
    assert "社工站不存在" in capsys.readouterr().err
    assert main(["org", "show", "--data-dir", data_dir]) == 0
    tree = json.loads(capsys.readouterr().out)
    streets = {s["id"]: s for s in tree["districts"][0]["streets"]}
    assert set(streets) == {"xihulu", "zhonghua"}
    assert streets["zhonghua"]["stations"][0]["communities"][0]["name"] == "一社区"


def test_over_rpc_a_person_sees_the_organisation_as_over_http(services, people, amqp_uri):
    """Another station's worker: residents.org() and station_of_community() answer with
    their scope, as GET /org does, not the district's tree (issue 20, item 7)."""
    base = services.start("residents").url("residents")
    admin = people.token(base, "admin-1", "district_admin", "district:nanming")
    _, tree = call(base, "GET", "/api/v1/org", token=admin)
    street = tree["districts"][0]["streets"][0]["id"]
    status, other = call(base, "POST", "/api/v1/org/stations",
                         {"street_id": street, "name": "新华路街道社工站"}, token=admin)
    assert status == 201, other
    status, community = call(base, "POST", "/api/v1/org/communities",
                             {"station_id": other["id"], "name": "新华社区"}, token=admin)
    assert status == 201, community
    outsider = signed_token("worker-9", "social_worker", f"station:{other['id']}")
    insider = signed_token("worker-1", "social_worker", XIHULU)
    for who in (outsider, insider, admin):
        _, over_http = call(base, "GET", "/api/v1/org", token=who)
        with person_rpc(amqp_uri, who) as rpc:
            assert rpc.residents.org() == over_http
    with person_rpc(amqp_uri, outsider) as rpc:
        assert "xihulu-station" not in json.dumps(rpc.residents.org())
        assert rpc.residents.station_of_community("nanmingtang") is None
        assert rpc.residents.station_of_community(community["id"]) == other["id"]
    with person_rpc(amqp_uri, insider) as rpc:
        assert rpc.residents.station_of_community("nanmingtang") == "xihulu-station"
        assert rpc.residents.station_of_community(community["id"]) is None
    with service_rpc(amqp_uri) as rpc:   # a service for itself: every station
        assert rpc.residents.station_of_community(community["id"]) == other["id"]
