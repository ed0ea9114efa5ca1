"""Casework's HTTP and RPC interfaces on a running service: the case life cycle with
supervision, the error contract (400 in both languages, 401, 403, 404, 409) with
nothing written on refusal, referrals, visits and campaign coverage. Callers carry
bearer tokens of station st-1, where the residents' events put the residents."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from nameko.exceptions import RemoteError

from shared.clock import today as china_today
from tests.integration.casework_support import Api, ResidentsFeed, token
from tests.support.auth import person_rpc
from tests.support.harness import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("database_url")]  # PostgreSQL

WORKER = token("wang", "social_worker")
SUPERVISOR = token("li", "supervisor")
RESIDENTS = ("res-1", "res-r", "res-b", "res-g")


def raw(api: Api, method: str, path: str, data: bytes):
    request = urllib.request.Request(api.base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {WORKER}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def feed(service_env):
    residents = ResidentsFeed(service_env)
    yield residents
    residents.close()


@pytest.fixture
def api(services, feed, service_env):
    """Casework, knowing residents res-1, res-r, res-b and res-g of station st-1."""
    services.start("casework")
    for resident in RESIDENTS:
        feed.register(resident, "st-1")
    feed.deliver(service_env)
    return Api(f"{services.url('casework')}/api/v1", WORKER)


def error_of(response, status: int, code: str | None = None) -> dict:
    got, body = response
    assert got == status, body
    error = body["error"]
    assert error["message"] and error["message_zh"]
    if code:
        assert error["code"] == code
    return error


def open_case(api, resident="res-1", domain="elderly") -> str:
    status, body = api("POST", "/cases", {"resident_id": resident, "domain": domain,
                                          "problem": "Lives alone after a fall",
                                          "station_id": "st-1"})
    assert status == 201, body
    return body["id"]


def now_text(hours_ago: float = 1) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat()


def test_a_case_runs_from_opening_to_closure_under_supervision(api):
    case_id = open_case(api)
    assert api("POST", f"/cases/{case_id}/assessment", {"summary": "Needs daily contact",
                                                        "needs": ["meals"]})[0] == 200
    assert api("POST", f"/cases/{case_id}/plan", {"goals": ["Weekly visits"]})[0] == 200
    status, asked = api("POST", f"/cases/{case_id}/plan/approval", {})
    assert status == 201 and asked["state"] == "plan_pending"
    plan_request = asked["request_id"]

    error_of(api("POST", f"/cases/{case_id}/approvals/{plan_request}/approve", {},
                 token=token("wang", "supervisor")), 403, "self_approval")
    error_of(api("POST", f"/cases/{case_id}/approvals/{plan_request}/approve", {},
                 token=token("chen", "social_worker")), 403)
    status, approved = api("POST", f"/cases/{case_id}/approvals/{plan_request}/approve",
                           {"comments": "Good plan"}, token=SUPERVISOR)
    assert (status, approved["state"]) == (200, "in_service")

    status, service = api("POST", f"/cases/{case_id}/services",
                          {"served_at": now_text(), "minutes": 50, "kind": "counselling"})
    assert status == 201 and service["record_id"]
    status, closing = api("POST", f"/cases/{case_id}/close",
                          {"outcome": "goals_met", "evaluation": "Safe at home"})
    assert (status, closing["state"]) == (202, "closure_pending")
    status, closed = api("POST", f"/cases/{case_id}/approvals/{closing['request_id']}/approve",
                         {}, token=SUPERVISOR)
    assert (status, closed["state"]) == (200, "closed")

    status, case = api("GET", f"/cases/{case_id}")
    assert status == 200
    assert (case["state"], case["outcome"], case["minutes_spent"]) == ("closed", "goals_met", 50)
    assert [(a["subject"], a["status"], a["decided_by"]) for a in case["approvals"]] == [
        ("plan", "approved", "li"), ("closure", "approved", "li")]
    status, reopened = api("POST", f"/cases/{case_id}/reopen", {"reason": "Fell again"})
    assert (status, reopened["state"]) == (200, "open")


def test_refused_requests_answer_with_the_error_contract_and_write_nothing(api):
    case_id = open_case(api)
    _, before = api("GET", f"/cases/{case_id}")

    error = error_of(api("POST", f"/cases/{case_id}/close", {"outcome": "goals_met"}), 409,
                     "illegal_transition")
    assert "已开案待评估" in error["message_zh"]
    error = error_of(api("POST", f"/cases/{case_id}/services",
                         {"served_at": "yesterday", "minutes": 0}), 400, "invalid")
    assert set(error["fields"]) == {"served_at", "minutes"}
    assert all(" / " in m for m in error["fields"]["minutes"])
    error = error_of(api("POST", "/cases", {"resident_id": "res-1", "domain": "astrology"}),
                     400)
    assert set(error["fields"]) == {"domain", "problem"}
    assert "必须是以下之一" in error["fields"]["domain"][0]
    error_of(api("POST", "/cases", {"resident_id": "res-1", "domain": "elderly",
                                    "problem": "again", "station_id": "st-1"}), 409, "duplicate")
    error_of(api.as_(None)("POST", f"/cases/{case_id}/assessment", {"summary": "x"}), 401)
    error_of(api("POST", f"/cases/{case_id}/assessment", {"summary": "x"},
                 token=WORKER[:-4] + "AAAA"), 401, "invalid_token")
    error_of(api("GET", "/cases/no-such-case"), 404)
    error_of(api("POST", "/cases/no-such-case/assessment", {"summary": "x"}), 404)
    error_of(raw(api, "POST", "/visits", b"[1, 2"), 400)
    error_of(raw(api, "POST", "/visits", b"[1, 2]"), 400)

    _, after = api("GET", f"/cases/{case_id}")
    assert after["version"] == before["version"] and after["state"] == "open"
    _, page = api("GET", "/cases?station_id=st-1")
    assert page["total"] == 1 and page["items"][0]["id"] == case_id


def test_referrals_move_from_made_to_completed_and_refuse_steps_out_of_order(api):
    case_id = open_case(api, domain="assistance")
    due = (china_today() + timedelta(days=7)).isoformat()
    error = error_of(api("POST", f"/cases/{case_id}/referrals",
                         {"agency": "astrologer", "reason": "x", "due_date": due}), 400)
    assert "legal_aid" in error["fields"]["agency"][0]
    status, made = api("POST", f"/cases/{case_id}/referrals",
                       {"agency": "legal_aid", "reason": "Wage arrears", "due_date": due})
    assert status == 201 and made["status"] == "made"
    referral = made["id"]
    error_of(api("POST", f"/referrals/{referral}/complete", {"result": "x"}), 409,
             "illegal_transition")
    assert api("POST", f"/referrals/{referral}/accept", {"note": "Lawyer assigned"})[1][
        "status"] == "accepted"
    assert api("POST", f"/referrals/{referral}/complete", {"result": "Wages paid"})[1][
        "status"] == "completed"
    error_of(api("POST", f"/referrals/{referral}/decline", {"reason": "x"}), 409)
    status, listed = api("GET", "/referrals?station_id=st-1&overdue=false")
    assert [(r["id"], r["status"], r["overdue"]) for r in listed["items"]] == [
        (referral, "completed", False)]
    assert len(api("GET", "/referrals/agencies")[1]["items"]) == 9


def test_visits_are_only_for_residents_casework_has_heard_of_at_their_own_station(api):
    unknown = {"resident_id": "res-unknown", "method": "consolation", "visited_at": now_text()}
    error_of(api("POST", "/visits", unknown), 404)
    error_of(api("POST", "/visits", {**unknown, "station_id": "st-1"}), 404)
    body = {**unknown, "resident_id": "res-1"}
    error = error_of(api("POST", "/visits", {**body, "station_id": "st-9"}), 400)
    assert set(error["fields"]) == {"station_id"}
    status, recorded = api("POST", "/visits", {**body, "station_id": "st-1"})
    assert status == 201 and recorded["followups_done"] == []
    _, visits = api("GET", "/visits?resident_id=res-1")
    assert [(v["id"], v["method"], v["worker"], v["station_id"]) for v in visits["items"]] == [
        (recorded["id"], "consolation", "wang", "st-1")]


def test_a_campaign_shows_which_red_and_blue_residents_are_still_to_visit(api, feed):
    for resident, card in (("res-r", "red"), ("res-b", "blue"), ("res-g", "green")):
        feed.assign(resident, "st-1", card)
    feed.publish_all()
    wait_until(lambda: api("GET", "/followups?station_id=st-1")[1]["total"] == 3,
               timeout=60, what="three follow-ups")
    today = china_today()
    error_of(api("POST", "/campaigns", {
        "station_id": "st-1", "name": "高温走访", "kind": "extreme_heat",
        "starts_on": today.isoformat(), "ends_on": today.isoformat()}), 403)
    status, declared = api("POST", "/campaigns", {
        "station_id": "st-1", "name": "高温走访", "kind": "extreme_heat",
        "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat()}, token=SUPERVISOR)
    assert status == 201
    campaign = declared["id"]
    api("POST", "/visits", {"resident_id": "res-r", "method": "home", "visited_at": now_text(),
                            "campaign_id": campaign})
    status, shown = api("GET", f"/campaigns/{campaign}")
    assert shown["coverage"] == {"total": 2, "visited": 1, "ratio": "0.50"}
    _, todo = api("GET", f"/campaigns/{campaign}/worklist?visited=false")
    assert [(i["resident_id"], i["card"]) for i in todo["items"]] == [("res-b", "blue")]


def test_eight_concurrent_opens_for_one_resident_and_domain_make_exactly_one_case(api):
    """The one-open-case rule lives in the write model (a claim stream per resident and
    domain), so concurrent opens cannot both pass a read-model check."""
    body = {"resident_id": "res-1", "domain": "elderly", "problem": "Lives alone"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: api("POST", "/cases", body), range(8)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 7, answers
    assert all(b["error"]["code"] == "duplicate" for s, b in answers if s == 409)
    _, listed = api("GET", "/cases?resident_id=res-1&domain=elderly")
    assert listed["total"] == 1
    error_of(api("POST", "/cases", {**body, "resident_id": "res-unknown", "station_id": "st-1"}),
             404)


def test_rpc_offers_the_same_commands_and_worklist_as_the_tokens_caller(api, amqp_uri):
    with person_rpc(amqp_uri, WORKER, timeout=30) as rpc:
        opened = rpc.casework.open_case({"resident_id": "res-1", "domain": "child",
                                         "problem": "Left-behind child"})
        assert rpc.casework.get_case(opened["id"])["state"] == "open"
        visit = rpc.casework.record_visit({"resident_id": "res-1", "case_id": opened["id"],
                                           "method": "phone", "visited_at": now_text()})
        assert visit["id"]
        assert rpc.casework.followups({"station_id": "st-1"})["total"] == 0
        with pytest.raises(RemoteError) as refused:   # a resident casework never heard of
            rpc.casework.open_case({"resident_id": "res-9", "domain": "child",
                                    "problem": "x", "station_id": "st-1"})
        assert refused.value.exc_type == "NotFound"
    _, visits = api("GET", f"/visits?case_id={opened['id']}")
    assert [v["worker"] for v in visits["items"]] == ["wang"]   # the token's user, not a name


def close_case(api, case_id: str) -> None:
    """Assess, plan, approve, serve and close a case (the supervisor approving)."""
    api("POST", f"/cases/{case_id}/assessment", {"summary": "Needs daily contact"})
    api("POST", f"/cases/{case_id}/plan", {"goals": ["Weekly visits"]})
    _, asked = api("POST", f"/cases/{case_id}/plan/approval", {})
    api("POST", f"/cases/{case_id}/approvals/{asked['request_id']}/approve", {},
        token=SUPERVISOR)
    _, closing = api("POST", f"/cases/{case_id}/close", {"outcome": "goals_met"})
    status, closed = api("POST", f"/cases/{case_id}/approvals/{closing['request_id']}/approve",
                         {}, token=SUPERVISOR)
    assert (status, closed["state"]) == (200, "closed"), closed


def test_a_reopen_beside_another_open_case_of_the_domain_is_a_bilingual_409(api):
    first = open_case(api, "res-r")
    close_case(api, first)
    second = open_case(api, "res-r")
    error = error_of(api("POST", f"/cases/{first}/reopen", {"reason": "Fell again"}), 409,
                     "duplicate")
    assert error["message_zh"] == "该居民在此领域已有未结个案"
    _, page = api("GET", "/cases?station_id=st-1")
    assert [(c["id"], c["state"]) for c in page["items"] if c["resident_id"] == "res-r"
            and c["state"] != "closed"] == [(second, "open")]
