"""Activities under the security model, endpoint by endpoint, on PostgreSQL and RabbitMQ.

Two stations of one district keep their community work through the API
(tests.integration.activities_support.station_work): st-1 is ours, st-2 theirs. For
EVERY operation of activities' OpenAPI document, a station head of st-1 — whose role may
do everything in activities — asks about st-2's project, activity, group, organization,
member, volunteer, service log or resident and gets the 404 an unknown one gets, word
for word but the id, with nothing written (tests.support.cross_station). Roles that may
not act get 403, lists show only the caller's stations, and street and district scopes
reach exactly the stations of their street or district.
"""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from tests.support.harness import china_today

from services.activities.service import ActivitiesService
from tests.conftest import RunningServices
from tests.integration.activities_support import feed_residents, hours_ago, station_work
from tests.integration.casework_support import Api, module_environment, stored_events, token
from tests.support.cross_station import (listing, lists_only_the_callers_stations, on,
                                         operations, public_operations,
                                         refused_like_unknown, unauthenticated_everywhere)

pytestmark = pytest.mark.integration

DOCUMENT, OPERATIONS = operations(ActivitiesService, "activities")
PUBLIC = {("GET", "/api/v1/activities/ping"), ("GET", "/api/v1/activities/openapi.json"),
          ("GET", "/api/v1/activities/health"), ("GET", "/api/v1/activities/health/live")}

OUTSIDER = token("head-st-1", "station_head", "station:st-1")   # may do all of activities
OWNER = token("head-st-2", "station_head", "station:st-2")
UNKNOWN = {key: f"{key}-unknown" for key in (
    "station", "community", "resident", "project", "activity", "group", "session",
    "organization", "member", "volunteer", "log")}
TODAY = china_today().isoformat()
ACTIVITY, ORG, VOLUNTEER = "/api/v1/activities/{activity_id}", \
    "/api/v1/organizations/{organization_id}", "/api/v1/volunteers/{volunteer_id}"


def at_station(resource: str, **body):
    return lambda t: (f"/{resource}", {"station_id": t["station"], **body}, "station")


def on_log(step: str, body: dict):
    return lambda t: (f"/volunteers/{t['volunteer']}/service/{t['log']}/{step}", body,
                      "volunteer")


ACROSS = {
    ("GET", "/api/v1/activities"): listing("activities"),
    ("POST", "/api/v1/activities"): lambda t: ("/activities", {
        "station_id": t["station"], "community_id": t["community"], "area": "elderly",
        "title": "x", "held_at": hours_ago(1)}, "station"),
    ("GET", "/api/v1/activities/areas"): listing("activities/areas"),
    ("POST", "/api/v1/activities/areas"): at_station("activities/areas", area="culture",
                                                     name="Culture", name_zh="文化"),
    ("GET", "/api/v1/activities/attendance"): lambda t: (
        f"/activities/attendance?resident_id={t['resident']}", None, "resident"),
    ("GET", "/api/v1/activities/counts"): listing("activities/counts"),
    ("GET", ACTIVITY): on("activities", "activity"),
    ("POST", f"{ACTIVITY}/attendance"): on("activities", "activity", "/attendance",
                                           {"headcount": 1}),
    ("POST", f"{ACTIVITY}/cancel"): on("activities", "group", "/cancel", {"reason": "x"}),
    ("POST", f"{ACTIVITY}/feedback"): on("activities", "activity", "/feedback",
                                         {"satisfaction": 4}),
    ("POST", f"{ACTIVITY}/held"): on("activities", "activity", "/held", {}),
    ("POST", f"{ACTIVITY}/review"): on("activities", "activity", "/review",
                                       {"went_well": "x", "to_change": "y"}),
    ("POST", f"{ACTIVITY}/sessions"): on("activities", "group", "/sessions",
                                         {"session_at": hours_ago(1)}),
    ("GET", "/api/v1/organizations"): listing("organizations"),
    ("POST", "/api/v1/organizations"): lambda t: ("/organizations", {
        "station_id": t["station"], "community_id": t["community"], "name": "x",
        "type": "dance"}, "station"),
    ("GET", ORG): on("organizations", "organization"),
    ("GET", f"{ORG}/members"): on("organizations", "organization", "/members"),
    ("POST", f"{ORG}/members"): on("organizations", "organization", "/members",
                                   {"name": "x", "party_member": False}),
    ("POST", f"{ORG}/members/{{member_id}}/leave"): lambda t: (
        f"/organizations/{t['organization']}/members/{t['member']}/leave", {},
        "organization"),
    ("POST", f"{ORG}/status"): on("organizations", "organization", "/status",
                                  {"step": "file"}),
    ("GET", "/api/v1/projects"): listing("projects"),
    ("POST", "/api/v1/projects"): at_station("projects", name="x", area="elderly",
                                             starts_on=TODAY),
    ("GET", "/api/v1/projects/{project_id}"): on("projects", "project"),
    ("GET", "/api/v1/volunteers"): listing("volunteers"),
    ("POST", "/api/v1/volunteers"): at_station("volunteers", name="x"),
    ("GET", "/api/v1/volunteers/hours"): listing("volunteers/hours"),
    ("GET", VOLUNTEER): on("volunteers", "volunteer"),
    ("GET", f"{VOLUNTEER}/service"): on("volunteers", "volunteer", "/service"),
    ("POST", f"{VOLUNTEER}/service"): on("volunteers", "volunteer", "/service",
                                         {"served_on": TODAY, "hours": "1"}),
    ("POST", f"{VOLUNTEER}/service/{{log_id}}/confirm"): on_log("confirm", {}),
    ("POST", f"{VOLUNTEER}/service/{{log_id}}/reject"): on_log("reject", {"reason": "x"}),
    ("GET", "/api/v1/imports/organizations/template.xlsx"): listing(
        "imports/organizations/template.xlsx"),
    ("GET", "/api/v1/imports/volunteers/template.xlsx"): listing(
        "imports/volunteers/template.xlsx"),
    ("POST", "/api/v1/imports/organizations"): listing("imports/organizations"),
    ("POST", "/api/v1/imports/volunteers"): listing("imports/volunteers"),
}


@dataclasses.dataclass
class World:
    env: dict
    api: Api
    ours: dict     # st-1's ids
    theirs: dict   # st-2's ids

    def written(self) -> int:
        return stored_events(self.env, "activities")


@pytest.fixture(scope="module")
def world(broker_uri, postgres_url, tmp_path_factory):
    """One activities service on its own vhost and database; st-1, st-2 (district dst-1)
    and st-3 (dst-2) known from the residents' events, each of the first two stations'
    community work recorded by its own staff."""
    data_dir = str(tmp_path_factory.mktemp("activities-access"))
    with module_environment(broker_uri, postgres_url, data_dir) as env:
        running = RunningServices(env, data_dir)
        try:
            running.start("activities")
            feed_residents(env, {"res-ours": "st-1", "res-theirs": "st-2"})
            api = Api(f"{running.url('activities')}/api/v1", None)
            yield World(env, api, station_work(api, "st-1", "res-ours"),
                        station_work(api, "st-2", "res-theirs"))
        finally:
            running.stop()


def test_the_document_lists_the_public_endpoints_and_every_other_one_is_covered_here():
    assert public_operations(DOCUMENT) == PUBLIC
    assert set(OPERATIONS) - PUBLIC == set(ACROSS)


GUARDED = [op for op in OPERATIONS if op not in PUBLIC]


@pytest.mark.parametrize("method,path", GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_another_stations_things_are_404_like_unknown_ones_and_nothing_is_written(
        world, method, path):
    refused_like_unknown(world.api, method, path, ACROSS, world.theirs, UNKNOWN, OUTSIDER,
                         OWNER, world.written)


LISTS = ["/activities", "/organizations", "/projects", "/volunteers"]


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_the_callers_stations(world, path):
    lists_only_the_callers_stations(world.api, path, OUTSIDER, OWNER,
                                    token("admin", "district_admin", "district:dst-1"))


def test_counts_cover_exactly_the_callers_stations(world):
    def person_times(who: str, query: str = "") -> int:
        status, found = world.api("GET", f"/activities/counts{query}", token=who)
        assert status == 200, found
        return found["person_times"]

    ours, theirs = person_times(OUTSIDER), person_times(OWNER)
    assert ours == theirs == 6  # each station: its resident + a headcount of 5
    district = token("admin-1", "district_admin", "district:dst-1")
    assert person_times(district) == 12
    assert person_times(token("leader-2", "street_leader", "street:str-2")) == 6
    assert person_times(token("admin-2", "district_admin", "district:dst-2")) == 0


def test_street_and_district_scopes_reach_the_stations_of_their_street_or_district(world):
    district = token("admin-1", "district_admin", "district:dst-1")
    street = token("leader-2", "street_leader", "street:str-2")
    elsewhere = token("admin-2", "district_admin", "district:dst-2")
    for ids in (world.ours, world.theirs):
        assert world.api("GET", f"/activities/{ids['activity']}", token=district)[0] == 200
        assert world.api("GET", f"/activities/{ids['activity']}", token=elsewhere)[0] == 404
    assert world.api("GET", f"/organizations/{world.theirs['organization']}",
                     token=street)[0] == 200
    assert world.api("GET", f"/organizations/{world.ours['organization']}",
                     token=street)[0] == 404
    assert world.api("GET", "/activities?station_id=st-1", token=elsewhere)[0] == 404


def refusals(ours: dict) -> list[tuple[str, str, str, str, dict | None]]:
    """(who, their token, method, path, body): roles that may not act."""
    scope = "station:st-1"
    return [
        ("an auditor plans an activity", token("audit", "auditor", scope), "POST",
         "/activities", {"station_id": "st-1", "community_id": "cm-st-1", "area": "elderly",
                         "title": "x", "held_at": hours_ago(1)}),
        ("an auditor records attendance", token("audit", "auditor", scope), "POST",
         f"/activities/{ours['activity']}/attendance", {"headcount": 1}),
        ("a street leader adds a member", token("lead", "street_leader", "street:str-1"),
         "POST", f"/organizations/{ours['organization']}/members",
         {"name": "x", "party_member": True}),
        ("a social worker imports volunteers", token("wang", "social_worker", scope), "POST",
         "/imports/volunteers?station_id=st-1", {}),
        ("a district administrator confirms hours",
         token("admin", "district_admin", "district:dst-1"), "POST",
         f"/volunteers/{ours['volunteer']}/service/{ours['log']}/confirm", {}),
        ("a partner office reads activities", token("office", "partner_office", scope),
         "GET", f"/activities/{ours['activity']}", None),
        ("a partner office reads the counts", token("office", "partner_office", scope),
         "GET", "/activities/counts", None),
    ]


def test_roles_that_may_not_act_are_refused_with_403_and_nothing_is_written(world):
    for who, their_token, method, path, body in refusals(world.ours):
        before = world.written()
        status, refused = world.api(method, path, body, token=their_token)
        assert (status, refused["error"]["code"]) == (403, "forbidden"), (who, refused)
        assert refused["error"]["message"] and refused["error"]["message_zh"], who
        assert world.written() == before, who


def test_readers_above_the_station_and_auditors_may_read_but_not_write(world):
    for reader in (token("audit", "auditor", "station:st-1"),
                   token("lead", "street_leader", "street:str-1")):
        assert world.api("GET", f"/activities/{world.ours['activity']}", token=reader)[0] == 200
        assert world.api("GET", "/volunteers", token=reader)[1]["items"]
        assert world.api("POST", f"/activities/{world.ours['activity']}/held", {},
                         token=reader)[0] == 403


def test_a_single_volunteer_shows_the_phone_only_to_roles_that_may_read_personal_data(world):
    path = f"/volunteers/{world.ours['volunteer']}"
    assert world.api("GET", path, token=OUTSIDER)[1]["phone"] == "13812345678"
    auditor = token("audit", "auditor", "station:st-1")
    assert world.api("GET", path, token=auditor)[1]["phone"] == "138****5678"


def test_without_a_valid_token_every_guarded_endpoint_is_401(world):
    unauthenticated_everywhere(world.api, ACROSS, world.ours, token("wang", "social_worker"))


def test_a_station_head_imports_a_sheet_and_downloads_the_template_and_refused_rows(world):
    """The import through HTTP (issue 22): an XLSX body, the report; the refused rows as
    a workbook with a 问题 column; the template with the station's communities."""
    import io
    import json
    import urllib.error
    import urllib.request

    from openpyxl import Workbook, load_workbook

    book = Workbook()
    book.active.append(["组织名称", "社区", "类型", "成员姓名", "党员"])
    book.active.append(["导入测试队", "cm-st-1", "广场舞", "甲", "是"])
    book.active.append(["导入测试二队", "cm-st-2", "广场舞", "", ""])   # st-2's community
    body = io.BytesIO()
    book.save(body)

    def post(query: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"{world.api.base}/imports/organizations?{query}", data=body.getvalue(),
            method="POST", headers={"Authorization": f"Bearer {OUTSIDER}", "Content-Type":
                                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    before = world.written()
    status, raw = post("station_id=st-1&dry_run=true")
    report = json.loads(raw)
    assert status == 200 and (report["new"], report["refused"], report["dry_run"]) == (1, 1, True)
    assert world.written() == before
    status, raw = post("station_id=st-1")
    assert status == 200 and json.loads(raw)["new"] == 1
    assert world.written() == before + 2          # OrganizationIncubated, MemberJoined
    status, raw = post("station_id=st-1&format=xlsx")   # again: only the refused row
    sheet = load_workbook(io.BytesIO(raw)).active
    assert [c.value for c in sheet[1]][-2:] == ["问题", "原行号"]
    assert sheet.max_row == 2 and sheet.cell(row=2, column=1).value == "导入测试二队"
    status, shown = world.api("GET", "/imports/volunteers/template.xlsx?station_id=st-1",
                              token=OUTSIDER)
    assert status == 200 and shown["bytes"] > 0
