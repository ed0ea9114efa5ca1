"""Casework under the security model, endpoint by endpoint, on PostgreSQL and RabbitMQ.

Two stations of one district keep their casework through the API (tests.integration.
casework_support.station_casework): st-1 is ours, st-2 theirs. For EVERY endpoint of
casework's OpenAPI document, a station head of st-1 — whose role may do everything in
casework — asks about st-2's resident, case, approval request, referral, visit,
follow-up or campaign, and gets the 404 an unknown one gets, word for word, with
nothing written. Roles that may not act get 403 (a social worker approving, an auditor
writing, a partner office reading), and street and district scopes reach exactly the
stations of their street or district through the organisation tree that the residents'
events carry.
"""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from services.casework.service import CaseworkService
from tests.conftest import RunningServices
from tests.support.harness import china_today
from tests.integration.casework_support import (Api, ResidentsFeed, module_environment,
                                                now_text, station_casework, stored_events,
                                                token)
from tests.support.cross_station import (listing, lists_only_the_callers_stations, on,
                                         operations, public_operations,
                                         refused_like_unknown, same_for_everyone,
                                         unauthenticated_everywhere)

pytestmark = pytest.mark.integration

DOCUMENT, OPERATIONS = operations(CaseworkService, "casework")
PUBLIC = {("GET", "/api/v1/casework/ping"), ("GET", "/api/v1/casework/openapi.json"),
          ("GET", "/api/v1/casework/health"), ("GET", "/api/v1/casework/health/live")}
NOT_STATION_SCOPED = {("GET", "/api/v1/referrals/agencies")}  # a vocabulary, one for all

OUTSIDER = token("head-st-1", "station_head", "station:st-1")   # may do all of casework
OWNER = token("head-st-2", "station_head", "station:st-2")
UNKNOWN = {"station": "st-unknown", "resident": "res-unknown", "case": "case-unknown",
           "request": "request-unknown", "referral": "referral-unknown",
           "visit": "visit-unknown", "campaign": "campaign-unknown",
           "followup": "followup-unknown"}
TODAY = china_today().isoformat()   # the services read dates in China time
DUE = (china_today() + timedelta(days=7)).isoformat()
CASE = "/cases/{case}"


def on_case(suffix: str, body: dict):
    return lambda t: (CASE.format(**t) + suffix, body, "case")


# (method, path in the document) -> things -> (path, body, the thing the 404 names)
ACROSS = {
    ("GET", "/api/v1/campaigns"): listing("campaigns"),
    ("POST", "/api/v1/campaigns"): lambda t: ("/campaigns", {
        "station_id": t["station"], "name": "高温走访", "kind": "extreme_heat",
        "starts_on": TODAY, "ends_on": TODAY}, "station"),
    ("GET", "/api/v1/campaigns/{campaign_id}"): on("campaigns", "campaign"),
    ("GET", "/api/v1/campaigns/{campaign_id}/worklist"): on("campaigns", "campaign",
                                                            "/worklist"),
    ("GET", "/api/v1/cases"): listing("cases"),
    ("POST", "/api/v1/cases"): lambda t: ("/cases", {
        "resident_id": t["resident"], "domain": "child", "problem": "x"}, "resident"),
    ("GET", "/api/v1/cases/approvals"): listing("cases/approvals"),
    ("GET", "/api/v1/cases/{case_id}"): on_case("", None),
    ("POST", "/api/v1/cases/{case_id}/approvals/{request_id}/approve"):
        lambda t: (CASE.format(**t) + f"/approvals/{t['request']}/approve", {}, "case"),
    ("POST", "/api/v1/cases/{case_id}/approvals/{request_id}/send-back"):
        lambda t: (CASE.format(**t) + f"/approvals/{t['request']}/send-back",
                   {"comments": "Redo"}, "case"),
    ("POST", "/api/v1/cases/{case_id}/assessment"): on_case("/assessment", {"summary": "x"}),
    ("POST", "/api/v1/cases/{case_id}/close"): on_case("/close", {"outcome": "goals_met"}),
    ("POST", "/api/v1/cases/{case_id}/plan"): on_case("/plan", {"goals": ["x"]}),
    ("POST", "/api/v1/cases/{case_id}/plan/approval"): on_case("/plan/approval", {}),
    ("POST", "/api/v1/cases/{case_id}/referrals"): on_case("/referrals", {
        "agency": "legal_aid", "reason": "x", "due_date": DUE}),
    ("POST", "/api/v1/cases/{case_id}/reopen"): on_case("/reopen", {"reason": "x"}),
    ("POST", "/api/v1/cases/{case_id}/services"): lambda t: (
        CASE.format(**t) + "/services", {"served_at": now_text(), "minutes": 30}, "case"),
    ("POST", "/api/v1/cases/{case_id}/transfer"): on_case("/transfer", {"to_worker": "me"}),
    ("GET", "/api/v1/followups"): listing("followups"),
    ("GET", "/api/v1/followups/summary"): listing("followups/summary"),
    ("GET", "/api/v1/followups/{followup_id}"): on("followups", "followup"),
    ("POST", "/api/v1/followups/{followup_id}/assign"): on("followups", "followup", "/assign",
                                                           {"worker": "me"}),
    ("GET", "/api/v1/referrals"): listing("referrals"),
    ("GET", "/api/v1/referrals/{referral_id}"): on("referrals", "referral"),
    ("POST", "/api/v1/referrals/{referral_id}/accept"): on("referrals", "referral", "/accept",
                                                           {"note": "x"}),
    ("POST", "/api/v1/referrals/{referral_id}/complete"): on("referrals", "referral",
                                                             "/complete", {"result": "x"}),
    ("POST", "/api/v1/referrals/{referral_id}/decline"): on("referrals", "referral", "/decline",
                                                            {"reason": "x"}),
    ("GET", "/api/v1/visits"): listing("visits"),
    ("POST", "/api/v1/visits"): lambda t: ("/visits", {
        "resident_id": t["resident"], "method": "home", "visited_at": now_text()}, "resident"),
}


@dataclasses.dataclass
class World:
    env: dict
    api: Api
    ours: dict     # st-1's ids
    theirs: dict   # st-2's ids


@pytest.fixture(scope="module")
def world(broker_uri, postgres_url, tmp_path_factory):
    """One casework on its own vhost and database; st-1, st-2 (district dst-1) and st-3
    (dst-2) known from the residents' events, with each of the first two stations'
    casework recorded by its own staff."""
    data_dir = str(tmp_path_factory.mktemp("casework-access"))
    with module_environment(broker_uri, postgres_url, data_dir) as env:
        running, feed = RunningServices(env, data_dir), ResidentsFeed(env)
        try:
            running.start("casework")
            feed.add_org()
            for resident, station in (("res-ours", "st-1"), ("res-theirs", "st-2")):
                feed.register(resident, station)
                feed.assign(resident, station, "red")
            feed.deliver(env)
            api = Api(f"{running.url('casework')}/api/v1", None)
            yield World(env, api, station_casework(api, "st-1", "res-ours"),
                        station_casework(api, "st-2", "res-theirs"))
        finally:
            feed.close()
            running.stop()


def test_the_document_lists_the_public_endpoints_and_every_other_one_is_covered_here():
    assert public_operations(DOCUMENT) == PUBLIC
    assert set(OPERATIONS) - PUBLIC == set(ACROSS) | NOT_STATION_SCOPED


GUARDED = [op for op in OPERATIONS if op not in PUBLIC]


@pytest.mark.parametrize("method,path", GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_another_stations_things_are_404_like_unknown_ones_and_nothing_is_written(
        world, method, path):
    if (method, path) in NOT_STATION_SCOPED:
        same_for_everyone(world.api, method, path, OUTSIDER, OWNER)
        return
    refused_like_unknown(world.api, method, path, ACROSS, world.theirs, UNKNOWN, OUTSIDER,
                         OWNER, lambda: stored_events(world.env))


LISTS = ["/cases", "/cases/approvals", "/referrals", "/visits", "/followups", "/campaigns"]


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_the_callers_stations(world, path):
    lists_only_the_callers_stations(world.api, path, OUTSIDER, OWNER,
                                    token("admin", "district_admin", "district:dst-1"))


def test_street_and_district_scopes_reach_the_stations_of_their_street_or_district(world):
    theirs, ours = world.theirs, world.ours
    district = token("admin-1", "district_admin", "district:dst-1")
    street = token("leader-2", "street_leader", "street:str-2")
    elsewhere = token("admin-2", "district_admin", "district:dst-2")
    for case in (ours["case"], theirs["case"]):
        assert world.api("GET", f"/cases/{case}", token=district)[0] == 200
        assert world.api("GET", f"/cases/{case}", token=elsewhere)[0] == 404
    assert world.api("GET", f"/cases/{theirs['case']}", token=street)[0] == 200
    assert world.api("GET", f"/cases/{ours['case']}", token=street)[0] == 404
    _, counts = world.api("GET", "/followups/summary", token=street)
    assert counts == world.api("GET", "/followups/summary?station_id=st-2", token=OWNER)[1]
    assert world.api("GET", "/cases", token=elsewhere)[1]["items"] == []
    assert world.api("GET", "/cases?station_id=st-3", token=elsewhere)[1]["items"] == []
    assert world.api("GET", "/cases?station_id=st-1", token=elsewhere)[0] == 404


def refusals(ours: dict) -> list[tuple[str, str, str, str, dict | None, str]]:
    """(who, their token, method, path, body, error code): roles that may not act."""
    approval = f"/cases/{ours['case']}/approvals/{ours['request']}"
    visit = {"resident_id": ours["resident"], "method": "home", "visited_at": now_text()}
    scope = "station:st-1"
    return [
        ("a social worker approves", token("chen", "social_worker", scope), "POST",
         f"{approval}/approve", {}, "forbidden"),
        ("a social worker sends back", token("chen", "social_worker", scope), "POST",
         f"{approval}/send-back", {"comments": "no"}, "forbidden"),
        ("another station's social worker approves", token("zhao", "social_worker",
                                                           "station:st-2"),
         "POST", f"{approval}/approve", {}, "forbidden"),
        ("the requester, as supervisor, approves their own request",
         token("worker-st-1", "supervisor", scope), "POST", f"{approval}/approve", {},
         "self_approval"),
        ("a social worker declares a campaign", token("chen", "social_worker", scope), "POST",
         "/campaigns", {"station_id": "st-1", "name": "x", "kind": "other",
                        "starts_on": TODAY, "ends_on": TODAY}, "forbidden"),
        ("an auditor opens a case", token("audit", "auditor", scope), "POST", "/cases",
         {"resident_id": ours["resident"], "domain": "child", "problem": "x"}, "forbidden"),
        ("an auditor accepts a referral", token("audit", "auditor", scope), "POST",
         f"/referrals/{ours['referral']}/accept", {}, "forbidden"),
        ("a street leader records a visit", token("lead", "street_leader", "street:str-1"),
         "POST", "/visits", visit, "forbidden"),
        ("a district administrator makes a referral",
         token("admin", "district_admin", "district:dst-1"), "POST",
         f"/cases/{ours['case']}/referrals",
         {"agency": "legal_aid", "reason": "x", "due_date": DUE}, "forbidden"),
        ("a district administrator assigns a follow-up",
         token("admin", "district_admin", "district:dst-1"), "POST",
         f"/followups/{ours['followup']}/assign", {"worker": "x"}, "forbidden"),
        ("a partner office reads cases", token("office", "partner_office", scope), "GET",
         f"/cases/{ours['case']}", None, "forbidden"),
        ("a partner office reads the follow-up worklist",
         token("office", "partner_office", scope), "GET", "/followups", None, "forbidden"),
    ]


def test_roles_that_may_not_act_are_refused_with_403_and_nothing_is_written(world):
    for who, their_token, method, path, body, code in refusals(world.ours):
        before = stored_events(world.env)
        status, refused = world.api(method, path, body, token=their_token)
        assert (status, refused["error"]["code"]) == (403, code), (who, refused)
        assert refused["error"]["message"] and refused["error"]["message_zh"], who
        assert stored_events(world.env) == before, who


def test_readers_above_the_station_and_auditors_may_read_but_not_write(world):
    for reader in (token("audit", "auditor", "station:st-1"),
                   token("lead", "street_leader", "street:str-1")):
        assert world.api("GET", f"/cases/{world.ours['case']}", token=reader)[0] == 200
        assert world.api("GET", "/followups", token=reader)[1]["items"]
        assert world.api("POST", f"/cases/{world.ours['case']}/assessment",
                         {"summary": "x"}, token=reader)[0] == 403


def test_without_a_valid_token_every_guarded_endpoint_is_401(world):
    unauthenticated_everywhere(world.api, ACROSS, world.ours, token("wang", "social_worker"))
