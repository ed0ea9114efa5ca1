"""Submission and approval through HTTP, as DHIS2 approves data sets: station reports
accepted by their street, the street's roll-up only once every station is accepted and
accepted by the district, nobody accepting their own submission, reopening by the
approver with a reason (refused while the roll-up above is accepted), every step in the
trail; and the chain's records, a suggestion answered, a week's minutes, the gaps."""
from __future__ import annotations

import pytest

from services.reporting import periods

from tests.support.auth import People, call

pytestmark = pytest.mark.integration

A, B, STREET, DISTRICT = "xihulu-station", "xh-b", "xihulu", "nanming"
USERS = {
    "head-a": ("station_head", f"station:{A}"),
    "head-b": ("station_head", f"station:{B}"),
    "worker-a": ("social_worker", f"station:{A}"),
    "leader": ("street_leader", f"street:{STREET}"),
    "leader-2": ("street_leader", f"street:{STREET}"),
    "admin": ("district_admin", f"district:{DISTRICT}"),
}
WEEK = periods.parse("2026-W47")


@pytest.fixture
def api(database_url, services, service_env):
    services.start("residents", "reporting")
    people = People(service_env)
    try:
        tokens = {u: people.token(services.url("residents"), u, role, scope)
                  for u, (role, scope) in USERS.items()}

        def send(user, method, path, body=None, service="reporting"):
            return call(services.url(service), method, "/api/v1" + path, body, tokens[user])
        assert send("admin", "POST", "/org/stations", {"street_id": STREET, "id": B,
                                                      "name": "B站"}, "residents")[0] == 201
        from tests.support.harness import wait_until
        wait_until(lambda: send("head-b", "GET", f"/reports/stations/{B}/summary")[0] == 200,
                   what="reporting knows station B")
        yield send
    finally:
        people.close()


def test_reports_go_up_the_chain_and_nobody_approves_their_own(api):
    submit = lambda user, unit: api(user, "POST", f"/reports/{unit}/reports",  # noqa: E731
                                    {"period": WEEK.key, "summary": "s"})
    status, a = submit("head-a", f"stations/{A}")
    assert status == 201 and a["id"] == f"station-{A}-{WEEK.key}"
    assert api("head-a", "POST", f"/reports/submissions/{a['id']}/accept", {})[0] == 403
    assert submit("head-a", f"stations/{A}")[0] == 409                 # frozen: not twice
    status, refused = api("leader", "POST", f"/reports/streets/{STREET}/reports",
                          {"period": WEEK.key})
    assert status == 409 and set(refused["error"]["fields"]["waiting"]) == {A, B}
    assert api("leader", "POST", f"/reports/submissions/{a['id']}/return",
               {"comment": "补充探访"})[1]["status"] == "returned"
    assert submit("head-a", f"stations/{A}")[1]["revision"] == 2
    assert api("leader", "POST", f"/reports/submissions/{a['id']}/accept", {})[1]["status"] == \
        "accepted"
    # B's report submitted by the street leader: they may not accept it themselves.
    status, b = submit("leader", f"stations/{B}")
    assert status == 201
    status, own = api("leader", "POST", f"/reports/submissions/{b['id']}/accept", {})
    assert status == 403 and own["error"]["message_zh"] == "不能审核本人提交的报表"
    assert api("leader-2", "POST", f"/reports/submissions/{b['id']}/accept", {})[0] == 200
    status, roll = api("leader", "POST", f"/reports/streets/{STREET}/reports",
                       {"period": WEEK.key})
    assert status == 201 and roll["station_ids"] == sorted([A, B])
    assert api("leader-2", "POST", f"/reports/submissions/{roll['id']}/accept", {})[0] == 403
    assert api("admin", "POST", f"/reports/submissions/{roll['id']}/accept", {})[0] == 200
    # Reopening A's report: the street's, with a reason, not while the roll-up is accepted.
    assert api("leader", "POST", f"/reports/submissions/{a['id']}/reopen",
               {"reason": "迟到的探访"})[0] == 409
    assert api("admin", "POST", f"/reports/submissions/{roll['id']}/reopen",
               {"reason": "站点报表需更正"})[1]["status"] == "reopened"
    status, reopened = api("leader", "POST", f"/reports/submissions/{a['id']}/reopen",
                           {"reason": "迟到的探访"})
    assert status == 200 and reopened["status"] == "reopened"
    assert [(t["step"], t["by"]) for t in reopened["trail"]] == [
        ("submitted", "head-a"), ("returned", "leader"), ("submitted", "head-a"),
        ("accepted", "leader"), ("reopened", "leader")]
    assert api("head-b", "GET", f"/reports/submissions/{a['id']}")[0] == 404
    # The lists, asked for in one request each, within the caller's scope.
    ids = lambda user, query="": [r["id"] for r in api(  # noqa: E731
        user, "GET", "/reports/submissions" + query)[1]["items"]]
    assert sorted(ids("leader", "?level=station")) == sorted([a["id"], b["id"]])
    assert ids("leader", "?status=reopened&level=station") == [a["id"]]
    assert ids("admin", "?level=street&district_id=" + DISTRICT) == [roll["id"]]
    assert ids("head-a") == [a["id"]] and ids("head-b") == [b["id"]]
    assert ids("worker-a", "?status=submitted") == []
    assert api("leader", "GET", "/reports/submissions?status=lost")[0] == 400


def test_the_chain_suggestions_and_meetings_of_a_station(api):
    records = [{"type": "street_meeting", "on": "2026-11-16", "central_work": "创文"},
               {"type": "community_visit", "on": "2026-11-18", "community_id": "nanmingtang",
                "key_work": "独居老人", "suggestions": "增加探访"},
               {"type": "activity_consultation", "on": "2026-11-19", "stage": "before",
                "department": "社区居委会"}]
    for record in records:
        assert api("worker-a", "POST", f"/reports/stations/{A}/chain", record)[0] == 201
    status, bad = api("worker-a", "POST", f"/reports/stations/{A}/chain",
                      {"type": "street_meeting", "on": "2026-11-16"})
    assert status == 400 and "central_work" in bad["error"]["fields"]
    assert api("worker-a", "POST", f"/reports/stations/{B}/chain", records[0])[0] == 404
    status, suggestion = api("head-a", "POST", f"/reports/stations/{A}/suggestions",
                             {"addressed_to": "street", "title": "增设休息座椅",
                              "proposed_on": "2026-11-17"})
    assert status == 201
    path = f"/reports/suggestions/{suggestion['id']}/answer"
    assert api("head-a", "POST", path, {"answer": "adopted", "answered_on": "2026-11-20"})[0] == 200
    assert api("head-a", "POST", path, {"answer": "declined", "answered_on": "2026-11-21"})[0] == 409
    assert api("head-b", "POST", path, {"answer": "pending", "answered_on": "2026-11-21"})[0] == 404
    assert api("head-a", "POST", f"/reports/stations/{A}/meetings",
               {"week": WEEK.key, "held_on": "2026-11-16", "attendees": ["head-a"],
                "minutes": "本周计划"})[0] == 201
    assert api("head-a", "POST", f"/reports/stations/{A}/supervisions",
               {"month": "2026-11", "held_on": "2026-11-20", "supervisor": "督导王",
                "topics": "个案督导"})[0] == 201
    status, view = api("head-a", "GET", f"/reports/stations/{A}/chain?period=2026-11-16..2026-11-29")
    assert status == 200
    assert [(r["level"], r["type"]) for r in view["records"]] == [
        (1, "StreetMeetingAttended"), (3, "CommunityVisitNoted"), (4, "ActivityConsulted")]
    assert [s["state"] for s in view["suggestions"]] == ["adopted"]
    assert view["gaps"] == {"weeks_without_minutes": ["2026-W48"],
                            "months_without_supervision": []}
