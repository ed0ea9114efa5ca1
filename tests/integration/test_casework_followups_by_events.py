"""Must show: Green → Red on the residents' side makes a 24-hour follow-up appear in
casework's worklist by events alone — no call between the services.

In the first tests the residents' events are written to a residents-shaped store and
published by the real relay, exactly as the residents service's relay would; the
residents service is not running at all, so nothing could have been asked of it. The
last test does the same through the real residents service (register, assess Green,
assess Red), with a worker's token from the residents service's login, and a district
administrator who sees the follow-up through the organisation tree the residents'
events carried. How long it takes is for a benchmark; the tests only wait with a generous
bound.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.events import iso
from tests.integration.casework_support import BusTap, ResidentsFeed, call, token
from tests.support.auth import People, signed_token
from tests.support.harness import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("database_url")]  # PostgreSQL


@pytest.fixture
def feed(service_env):
    residents = ResidentsFeed(service_env)
    yield residents
    residents.close()


XIHU = token("wang", "social_worker", "station:st-xihu")


def worklist(services, who: str = XIHU, **query) -> list[dict]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    status, body = call("GET", f"{services.url('casework')}/api/v1/followups?{qs}", token=who)
    assert status == 200, body
    return body["items"]


def test_green_to_red_makes_a_24_hour_follow_up_appear_by_events_alone(services, feed):
    services.start("casework")
    feed.register("res-1", "st-xihu")
    feed.assign("res-1", "st-xihu", "green")
    feed.publish_all()
    (green,) = wait_until(lambda: worklist(services, station_id="st-xihu"), timeout=60,
                          what="the Green follow-up in the worklist")
    assert green["card"] == "green"

    upgraded = feed.change("res-1", "st-xihu", "green", "red")
    feed.publish_all()

    def red_follow_up():
        items = worklist(services, station_id="st-xihu", status="due")
        return [i for i in items if i["card"] == "red"]
    (red,) = wait_until(red_follow_up, timeout=60, what="the Red follow-up in the worklist")
    card_given = datetime.fromisoformat(upgraded.occurred_at)
    assert red["resident_id"] == "res-1" and red["kind"] == "first_contact"
    assert red["due_at"] == iso(card_given + timedelta(hours=24))
    assert [i["card"] for i in worklist(services, station_id="st-xihu")] == ["red"]
    status, summary = call("GET", f"{services.url('casework')}/api/v1/followups/summary"
                                  "?station_id=st-xihu", token=XIHU)
    assert summary == {"due": 1, "overdue": 0, "done": 0}
    elsewhere = token("zhao", "social_worker", "station:st-other")
    assert worklist(services, elsewhere) == []


def test_a_visit_that_flags_a_major_change_is_published_for_the_residents_service(
        services, feed, amqp_uri):
    tap = BusTap(amqp_uri, "casework", "VisitRecorded", "MajorChangeFlagged", "FollowUpDone")
    try:
        services.start("casework")
        feed.assign("res-2", "st-xihu", "red")
        feed.publish_all()
        wait_until(lambda: worklist(services, resident_id="res-2"), timeout=60,
                   what="the Red follow-up")
        status, body = call("POST", f"{services.url('casework')}/api/v1/visits", {
            "resident_id": "res-2", "method": "home",
            "visited_at": datetime.now().astimezone().isoformat(),
            "findings": "Admitted to hospital last night", "major_changes": ["hospitalised"]},
            token=XIHU)
        assert status == 201, body
        assert len(body["followups_done"]) == 1

        def published():
            got = tap.messages()
            published.seen += got
            return len(published.seen) >= 3 and published.seen
        published.seen = []
        messages = wait_until(published, timeout=60, what="the visit's events on the bus")
        by_type = {m["type"]: m for m in messages}
        flagged = by_type["MajorChangeFlagged"]["payload"]
        assert flagged["resident_id"] == "res-2" and flagged["change"] == "hospitalised"
        assert flagged["visit_id"] == body["id"] and flagged["flagged_at"]
        recorded = by_type["VisitRecorded"]["payload"]
        assert (recorded["method"], recorded["worker"], recorded["station_id"]) == (
            "home", "wang", "st-xihu")
    finally:
        tap.close()


# -- the same, with the real residents service --------------------------------------------

def id_number(born: str, female: bool, region: str = "520102") -> str:
    """A valid resident ID number (GB 11643-1999 check character) for a test resident."""
    first17 = region + born.replace("-", "") + ("002" if female else "001")
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def answers(rubric: dict, pick) -> dict:
    """One option per question: `pick` chooses among the options without a minimum card
    (lowest points) or among all of them (highest points)."""
    return {q["id"]: pick(q["options"])["value"] for q in rubric["questions"]}


def lowest(options):
    return min((o for o in options if not o.get("min_card")), key=lambda o: o["points"])


def highest(options):
    return max(options, key=lambda o: o["points"])


def test_green_to_red_assessed_on_the_residents_service_reaches_the_casework_worklist(
        services, service_env):
    services.start("residents", "casework")
    residents = f"{services.url('residents')}/api/v1"
    admin = signed_token("admin", "district_admin", "district:nanming")
    status, org = call("GET", f"{residents}/org", token=admin)
    assert status == 200, org
    station = org["districts"][0]["streets"][0]["stations"][0]
    people = People(service_env)
    try:  # the worker logs in on the residents service; casework trusts that token
        who = people.token(services.url("residents"), "wang", "social_worker",
                           f"station:{station['id']}")
    finally:
        people.close()
    _, rubrics = call("GET", f"{residents}/rubrics", token=who)
    rubric = next(r for r in rubrics["items"] if r["domain"] == "elderly")

    status, registered = call("POST", f"{residents}/residents", {
        "station_id": station["id"], "community_id": station["communities"][0]["id"],
        "name": "张桂兰", "gender": "female", "birth_date": "1940-05-01",
        "id_number": id_number("1940-05-01", female=True), "categories": ["living_alone"]},
        token=who)
    assert status == 201, registered
    resident = registered["id"]
    status, green = call("POST", f"{residents}/residents/{resident}/assessments",
                         {"domain": "elderly", "answers": answers(rubric, lowest)}, token=who)
    assert (status, green["resident_card"]) == (201, "green"), green
    wait_until(lambda: worklist(services, who, resident_id=resident, card="green"), timeout=60,
               what="the Green follow-up")

    before = datetime.now().astimezone()
    status, red = call("POST", f"{residents}/residents/{resident}/assessments",
                       {"domain": "elderly", "answers": answers(rubric, highest)}, token=who)
    after = datetime.now().astimezone()
    assert (status, red["resident_card"]) == (201, "red"), red
    (follow_up,) = wait_until(lambda: worklist(services, who, resident_id=resident, card="red"),
                              timeout=60, what="the Red follow-up in casework's worklist")
    due = datetime.fromisoformat(follow_up["due_at"])
    assert before + timedelta(hours=24) <= due + timedelta(seconds=1)
    assert due <= after + timedelta(hours=24)
    assert follow_up["status"] == "due" and follow_up["station_id"] == station["id"]
    assert [i["card"] for i in worklist(services, who, resident_id=resident)] == ["red"]
    district = signed_token("admin", "district_admin", "district:nanming")
    assert [i["id"] for i in worklist(services, district, resident_id=resident,
                                      card="red")] == [follow_up["id"]]
    outside = signed_token("other", "district_admin", "district:elsewhere")
    assert worklist(services, outside, resident_id=resident) == []
