"""Resources under the security model, endpoint by endpoint, on PostgreSQL and RabbitMQ.

Two stations of one district keep their resources through the API (tests.integration.
resources_support): st-1 is ours, st-2 theirs. For EVERY operation of resources' OpenAPI
document, a station head of st-1 — whose role may do everything in resources — asks
about st-2's partner, donation, stock, allocation, wish, match, resident or need, and
gets the 404 an unknown one gets, word for word, with nothing written
(tests.support.cross_station_resources, the same check casework's test runs). Roles that may not
act get 403; lists show only the caller's stations; street and district scopes reach
exactly the stations of their street or district.
"""
from __future__ import annotations

import pytest

from shared.openapi import spec_for
from services.resources.service import ResourcesService
from tests.integration.casework_support import token
from tests.integration.resources_support import LATER, resources_world
from tests.support.cross_station_resources import (CrossStation, lists_show_only, operations,
                                         public_operations, refused_with_403)

pytestmark = pytest.mark.integration

DOCUMENT = spec_for(ResourcesService, "resources")
OPERATIONS = operations(DOCUMENT)
PUBLIC = {("GET", "/api/v1/resources/ping"), ("GET", "/api/v1/resources/openapi.json")}
OUTSIDER = token("head-st-1", "station_head", "station:st-1")   # may do all of resources
OWNER = token("head-st-2", "station_head", "station:st-2")
UNKNOWN = {"station": "st-unknown", "resident": "res-unknown", "need": "need-unknown",
           "partner": "partner-unknown", "donation": "donation-unknown",
           "stock": "stock-unknown", "allocation": "allocation-unknown",
           "wish": "wish-unknown", "match": "match-unknown"}


def listing(resource: str):
    return lambda t: (f"/{resource}?station_id={t['station']}", None, "station")


def on(resource: str, key: str, suffix: str = "", body: dict | None = None):
    return lambda t: (f"/{resource}/{t[key]}{suffix}", body, key)


ACROSS = {
    ("GET", "/api/v1/partners"): listing("partners"),
    ("POST", "/api/v1/partners"): lambda t: ("/partners", {
        "station_id": t["station"], "name": "x", "type": "business"}, "station"),
    ("GET", "/api/v1/partners/{partner_id}"): on("partners", "partner"),
    ("GET", "/api/v1/donations"): listing("donations"),
    ("POST", "/api/v1/donations"): lambda t: ("/donations", {
        "station_id": t["station"], "partner_id": t["partner"], "kind": "cash",
        "value": "1.00"}, "station"),
    ("GET", "/api/v1/donations/totals"): listing("donations/totals"),
    ("GET", "/api/v1/donations/{donation_id}"): on("donations", "donation"),
    ("GET", "/api/v1/stock"): listing("stock"),
    ("GET", "/api/v1/stock/{stock_id}"): on("stock", "stock"),
    ("GET", "/api/v1/allocations"): listing("allocations"),
    ("POST", "/api/v1/allocations"): lambda t: ("/allocations", {
        "stock_id": t["stock"], "quantity": 1, "target_type": "project",
        "target_id": "p"}, "stock"),
    ("GET", "/api/v1/allocations/{allocation_id}"): on("allocations", "allocation"),
    ("GET", "/api/v1/wishes"): listing("wishes"),
    ("POST", "/api/v1/wishes"): lambda t: ("/wishes", {
        "resident_id": t["resident"], "title": "x", "expires_on": LATER}, "resident"),
    ("GET", "/api/v1/wishes/{wish_id}"): on("wishes", "wish"),
    ("POST", "/api/v1/wishes/{wish_id}/claim"): lambda t: (
        f"/wishes/{t['wish']}/claim", {"partner_id": t["partner"]}, "wish"),
    ("POST", "/api/v1/wishes/{wish_id}/deliver"): on("wishes", "wish", "/deliver", {}),
    ("POST", "/api/v1/wishes/{wish_id}/close"): on("wishes", "wish", "/close", {}),
    ("GET", "/api/v1/matches"): listing("matches"),
    ("POST", "/api/v1/matches"): lambda t: ("/matches", {
        "need_id": t["need"], "partner_id": t["partner"]}, "need"),
    ("GET", "/api/v1/matches/suggestions"): lambda t: (
        f"/matches/suggestions?need_id={t['need']}", None, "need"),
    ("GET", "/api/v1/matches/{match_id}"): on("matches", "match"),
    ("GET", "/api/v1/resources/map"): listing("resources/map"),
}
CROSS = CrossStation(ACROSS, UNKNOWN, outsider=OUTSIDER, owner=OWNER)


@pytest.fixture(scope="module")
def world(broker_uri, postgres_url, tmp_path_factory):
    with resources_world(broker_uri, postgres_url,
                         str(tmp_path_factory.mktemp("resources-access"))) as w:
        yield w


def test_the_document_lists_the_public_endpoints_and_every_other_one_is_covered_here():
    assert public_operations(DOCUMENT) == PUBLIC
    assert set(OPERATIONS) - PUBLIC == set(ACROSS)


GUARDED = [op for op in OPERATIONS if op not in PUBLIC]


@pytest.mark.parametrize("method,path", GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_another_stations_things_are_404_like_unknown_ones_and_nothing_is_written(
        world, method, path):
    CROSS(world.api, method, path, world.theirs, stored=world.events)


LISTS = ["/partners", "/donations", "/stock", "/allocations", "/wishes", "/matches"]


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_the_callers_stations(world, path):
    lists_show_only(world.api, path, {
        OUTSIDER: {"st-1"}, OWNER: {"st-2"},
        token("admin", "district_admin", "district:dst-1"): {"st-1", "st-2"},
        token("leader-2", "street_leader", "street:str-2"): {"st-2"},
        token("admin-2", "district_admin", "district:dst-2"): set()})
    elsewhere = token("admin-2", "district_admin", "district:dst-2")
    assert world.api("GET", f"{path}?station_id=st-1", token=elsewhere)[0] == 404


def refusals(ours: dict) -> list[tuple[str, str, str, str, dict | None, str]]:
    """(who, their token, method, path, body, error code): roles that may not act."""
    scope = "station:st-1"
    allocation = {"stock_id": ours["stock"], "quantity": 1, "target_type": "project",
                  "target_id": "p"}
    return [
        ("a social worker allocates stock", token("chen", "social_worker", scope), "POST",
         "/allocations", allocation, "forbidden"),
        ("an auditor registers a partner", token("audit", "auditor", scope), "POST",
         "/partners", {"station_id": "st-1", "name": "x", "type": "school"}, "forbidden"),
        ("a street leader records a donation", token("lead", "street_leader", "street:str-1"),
         "POST", "/donations", {"station_id": "st-1", "partner_id": ours["partner"],
                                "kind": "cash", "value": "5.00"}, "forbidden"),
        ("a district administrator delivers a wish",
         token("admin", "district_admin", "district:dst-1"), "POST",
         f"/wishes/{ours['wish']}/deliver", {}, "forbidden"),
        ("a partner office reads stock", token("office", "partner_office", scope), "GET",
         "/stock", None, "forbidden"),
    ]


def test_roles_that_may_not_act_are_refused_with_403_and_nothing_is_written(world):
    refused_with_403(world.api, refusals(world.ours), stored=world.events)


def test_readers_above_the_station_and_auditors_may_read_but_not_write(world):
    for reader in (token("audit", "auditor", "station:st-1"),
                   token("lead", "street_leader", "street:str-1")):
        assert world.api("GET", f"/wishes/{world.ours['wish']}", token=reader)[0] == 200
        assert world.api("GET", "/donations/totals", token=reader)[0] == 200
        assert world.api("POST", f"/wishes/{world.ours['wish']}/close", {},
                         token=reader)[0] == 403


def test_without_a_valid_token_every_guarded_endpoint_is_401(world):
    CROSS.without_a_valid_token(world.api, world.ours, token("wang", "social_worker"))
