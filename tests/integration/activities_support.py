"""Helpers for activities' integration tests: the residents' events it learns residents,
stations and communities from (tests.integration.casework_support's feed, delivered to
activities), and a station's community work recorded through the API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from tests.integration.casework_support import (ORG, Api, ResidentsFeed, permissive_schema,
                                                token)

COMMUNITIES = {"st-1": ("cm-st-1", "cm-st-1b"), "st-2": ("cm-st-2",), "st-3": ("cm-st-3",)}


def _publish(env: dict, append: Callable[[ResidentsFeed], None]) -> None:
    """Events appended to a residents-shaped store, published by the real relay and
    applied by the running activities before this returns."""
    feed = ResidentsFeed(env)
    try:
        append(feed)
        feed.deliver(env, consumer="activities")
    finally:
        feed.close()


def _register(feed: ResidentsFeed, residents: dict[str, str]) -> None:
    for resident, station in residents.items():
        feed.register(resident, station, COMMUNITIES[station][0])


def _org(feed: ResidentsFeed) -> None:
    feed.add_org(ORG)
    for station, communities in COMMUNITIES.items():
        for community in communities:
            feed._append(f"community-{community}", "CommunityAdded", {
                "community_id": community, "station_id": station, "name": community}, station)


def feed_residents(env: dict, residents: dict[str, str]) -> None:
    """The organisation (ORG, COMMUNITIES) and {resident: station}, as the residents
    service publishes them."""
    _publish(env, lambda feed: (_org(feed), _register(feed, residents)))


def register_residents(env: dict, residents: dict[str, str]) -> None:
    """More residents, once the organisation is known."""
    _publish(env, lambda feed: _register(feed, residents))


def transfer(env: dict, resident: str, station: str) -> None:
    """ResidentTransferred to `station`'s first community."""
    def append(feed: ResidentsFeed) -> None:
        feed.store.registry.register("ResidentTransferred",
                                     feed.store.registry.get("ResidentRegistered").schema)
        feed._append(f"transfer-{resident}-{station}", "ResidentTransferred", {
            "resident_id": resident, "station_id": station,
            "community_id": COMMUNITIES[station][0]}, station)
    _publish(env, append)


def erase(env: dict, resident: str) -> None:
    """The residents service destroyed the resident's key (KeyDestroyed)."""
    def append(feed: ResidentsFeed) -> None:
        feed.store.registry.register("KeyDestroyed", permissive_schema())
        feed._append(f"erasure-{resident}", "KeyDestroyed", {
            "resident_id": resident, "reason": "resident request",
            "at": datetime.now(timezone.utc).isoformat()}, None)
    _publish(env, append)


def hours_ago(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat()


def station_work(api: Api, station: str, resident: str) -> dict:
    """A station's community work through the API, as its own staff record it: a
    project, an activity held with attendance, a group with a session, an organization
    with a member, a volunteer with a self-reported log.
    -> ids {"station", "community", "resident", "project", "activity", "group", "session",
    "organization", "member", "volunteer", "log"}"""
    worker = token(f"worker-{station}", "social_worker", f"station:{station}")
    community = COMMUNITIES[station][0]
    ids = {"station": station, "community": community, "resident": resident}

    def ok(method: str, path: str, body: dict | None = None) -> dict:
        status, answer = api(method, path, body, token=worker)
        assert status in (200, 201), (method, path, answer)
        return answer

    ids["project"] = ok("POST", "/projects", {"station_id": station, "name": "微心愿",
                                              "area": "children",
                                              "starts_on": "2026-01-01"})["id"]
    ids["activity"] = ok("POST", "/activities", {
        "station_id": station, "community_id": community, "area": "elderly",
        "title": "重阳节茶话会", "project": ids["project"], "held_at": hours_ago(3)})["id"]
    ok("POST", f"/activities/{ids['activity']}/attendance",
       {"resident_ids": [resident], "headcount": 5})
    ids["group"] = ok("POST", "/activities", {
        "station_id": station, "community_id": community, "area": "children",
        "title": "乐童公社", "kind": "group"})["id"]
    ids["session"] = ok("POST", f"/activities/{ids['group']}/sessions",
                        {"session_at": hours_ago(30)})["id"]
    ids["organization"] = ok("POST", "/organizations", {
        "station_id": station, "community_id": community, "name": "夕阳红舞蹈队",
        "type": "dance"})["id"]
    ids["member"] = ok("POST", f"/organizations/{ids['organization']}/members",
                       {"name": "李阿姨", "party_member": True, "resident_id": resident})["id"]
    ids["volunteer"] = ok("POST", "/volunteers", {"station_id": station, "name": "张志愿",
                                                  "phone": "13812345678"})["id"]
    ids["log"] = ok("POST", f"/volunteers/{ids['volunteer']}/service", {
        "served_on": "2026-01-05", "hours": "2.5", "self_reported": True})["id"]
    return ids
