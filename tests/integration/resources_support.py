"""One running resources service for a module of tests, fed the residents' events by
the residents-shaped feed of tests.integration.casework_support (no residents code):
the organisation (st-1, st-2 of district dst-1; st-3 of dst-2), residents of st-1 and
st-2 and their open needs, and each station's resources recorded by its own staff."""
from __future__ import annotations

import contextlib
import dataclasses
from datetime import timedelta
from typing import Iterator

from shared.clock import today as china_today
from tests.conftest import RunningServices
from tests.integration.casework_support import (Api, ResidentsFeed, module_environment,
                                                stored_events, token)

LATER = (china_today() + timedelta(days=30)).isoformat()


@dataclasses.dataclass
class World:
    env: dict
    api: Api
    ours: dict     # st-1's ids
    theirs: dict   # st-2's ids

    def events(self) -> int:
        return stored_events(self.env, "resources")


def staff(station: str) -> tuple[str, str]:
    """(a social worker's token, the station head's token) of the station."""
    scope = f"station:{station}"
    return (token(f"worker-{station}", "social_worker", scope),
            token(f"head-{station}", "station_head", scope))


def feed_residents(feed: ResidentsFeed, residents: dict[str, str]) -> None:
    """{resident: station}: each registered in cm-<station> with one open need."""
    for resident, station in residents.items():
        feed.register(resident, station, f"cm-{station}")
        feed.append(resident, "NeedRecorded", {
            "need_id": f"need-{resident}", "community_id": f"cm-{station}",
            "category": "daily_care", "urgency": "high"}, station)


def station_resources(api: Api, station: str, resident: str) -> dict:
    """A station's resources through the API: a partner, a donation in kind (its stock),
    an allocation to the resident, a wish from the resident's need, a match.
    -> {"station", "resident", "need", "partner", "donation", "stock", "allocation",
    "wish", "match"}"""
    worker, head = staff(station)
    ids = {"station": station, "resident": resident, "need": f"need-{resident}"}

    def ok(method: str, path: str, body: dict | None = None, who: str = worker) -> dict:
        status, answer = api(method, path, body, token=who)
        assert status in (200, 201), (method, path, answer)
        return answer

    ids["partner"] = ok("POST", "/partners", {
        "station_id": station, "name": f"爱心超市 {station}", "type": "business",
        "community_id": f"cm-{station}", "categories": ["daily_care"]})["id"]
    donated = ok("POST", "/donations", {
        "station_id": station, "partner_id": ids["partner"], "kind": "in_kind",
        "value": "300.00", "item": "大米", "unit": "袋", "quantity": 10,
        "category": "daily_care"})
    ids["donation"], ids["stock"] = donated["id"], donated["stock_id"]
    ids["allocation"] = ok("POST", "/allocations", {
        "stock_id": ids["stock"], "quantity": 1, "target_type": "resident",
        "target_id": resident}, who=head)["id"]
    ids["wish"] = ok("POST", "/wishes", {"resident_id": resident, "title": "一件冬衣",
                                         "expires_on": LATER, "need_id": ids["need"]})["id"]
    ids["match"] = ok("POST", "/matches", {"need_id": ids["need"],
                                           "partner_id": ids["partner"]})["id"]
    return ids


@contextlib.contextmanager
def resources_world(broker_uri: str, postgres_url: str, data_dir: str,
                    residents: dict[str, str] | None = None) -> Iterator[World]:
    """resources running on its own vhost and PostgreSQL database, the residents' events
    delivered, st-1 and st-2 with their resources."""
    residents = residents or {"res-ours": "st-1", "res-theirs": "st-2"}
    with module_environment(broker_uri, postgres_url, data_dir) as env:
        running, feed = RunningServices(env, data_dir), ResidentsFeed(env)
        try:
            running.start("resources")
            feed.add_org()
            feed_residents(feed, residents)
            feed.deliver(env, consumer="resources")
            api = Api(f"{running.url('resources')}/api/v1", None)
            ours, theirs = [station_resources(api, station, resident)
                            for resident, station in list(residents.items())[:2]]
            yield World(env, api, ours, theirs)
        finally:
            feed.close()
            running.stop()
