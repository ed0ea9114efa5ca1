"""Stock and money over HTTP on PostgreSQL and RabbitMQ: the last unit under many
parallel allocations, cash that never goes below zero, and totals in RMB exact to the fen."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.resources_support import resources_world, staff

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(broker_uri, postgres_url, tmp_path_factory):
    with resources_world(broker_uri, postgres_url,
                         str(tmp_path_factory.mktemp("resources-stock"))) as w:
        yield w


def a_partner(world, type_: str, community: str | None, station: str = "st-1") -> str:
    worker, _ = staff(station)
    status, body = world.api("POST", "/partners", {
        "station_id": station, "name": f"{type_}-{community}", "type": type_,
        "community_id": community}, token=worker)
    assert status == 201, body
    return body["id"]


def donate(world, partner_id: str, value, station: str = "st-1", **extra) -> tuple[int, dict]:
    worker, _ = staff(station)
    return world.api("POST", "/donations", {"station_id": station, "partner_id": partner_id,
                                            "kind": "cash", "value": value, **extra},
                     token=worker)


def in_parallel(calls: list) -> list[tuple[int, dict]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda f: f(), calls))


def test_many_parallel_allocations_of_the_last_units_allocate_exactly_the_stock(world):
    worker, head = staff("st-1")
    partner = a_partner(world, "charity", "cm-st-1")
    status, donated = world.api("POST", "/donations", {
        "station_id": "st-1", "partner_id": partner, "kind": "in_kind", "value": "100.00",
        "item": "棉被", "unit": "床", "quantity": 7}, token=worker)
    assert status == 201, donated
    stock = donated["stock_id"]
    before = world.events()

    def allocate_one():
        return world.api("POST", "/allocations", {
            "stock_id": stock, "quantity": 1, "target_type": "project",
            "target_id": "winter-warmth"}, token=head)

    answers = in_parallel([allocate_one] * 40)
    won = [body for status, body in answers if status == 201]
    lost = [body for status, body in answers if status != 201]
    assert len(won) == 7, answers
    assert {status for status, _ in answers} == {201, 409}
    assert {b["error"]["code"] for b in lost} <= {"insufficient_stock", "version_conflict"}
    assert sorted(b["quantity_left"] for b in won) == [0, 1, 2, 3, 4, 5, 6]
    _, held = world.api("GET", f"/stock/{stock}", token=worker)
    assert (held["quantity"], held["value"], held["allocated"]) == (0, "0.00", "100.00")
    _, page = world.api("GET", f"/allocations?stock_id={stock}&page_size=100", token=worker)
    assert page["total"] == 7 and sum(a["quantity"] for a in page["items"]) == 7
    assert world.events() == before + 7


def test_parallel_cash_allocations_never_take_the_balance_below_zero(world):
    _, head = staff("st-1")
    partner = a_partner(world, "government", None)
    for value in ("0.1", "0.2", "9.70"):  # a cash balance of exactly 10.00
        status, body = donate(world, partner, value)
        assert status == 201, body
    stock = body["stock_id"]
    assert body["value_left"] == "10.00"

    def take_three():
        return world.api("POST", "/allocations", {"stock_id": stock, "amount": "3.00",
                                                  "target_type": "resident",
                                                  "target_id": "res-ours"}, token=head)

    answers = in_parallel([take_three] * 12)
    assert sorted(status for status, _ in answers) == [201] * 3 + [409] * 9
    _, held = world.api("GET", f"/stock/{stock}", token=head)
    assert (held["value"], held["allocated"], held["donated"]) == ("1.00", "9.00", "10.00")


@pytest.mark.parametrize("value", ["1.001", "-5", 0.3, "0"])
def test_a_bad_amount_is_a_400_and_writes_nothing(world, value):
    partner = a_partner(world, "school", "cm-st-1")
    before = world.events()
    status, refused = donate(world, partner, value)
    assert status == 400 and "value" in refused["error"]["fields"], refused
    assert refused["error"]["message_zh"]
    assert world.events() == before


# The fixtures (station st-2, counted by hand):
#   business   cm-a 2026-10: 0.1 + 0.2            =    0.30
#   business   cm-a 2026-11: 1250.5               = 1250.50
#   school     cm-b 2026-11: 99.99 + 0.01          =  100.00
#   government  -   2026-11: 3000 (goods: 20 箱)    = 3000.00
#   charity    cm-a 2026-09: 33.33 x 3            =   99.99
FIXTURES = [("business", "cm-a", "2026-10-03", "0.1"), ("business", "cm-a", "2026-10-31", "0.2"),
            ("business", "cm-a", "2026-11-01", "1250.5"),
            ("school", "cm-b", "2026-11-15", "99.99"), ("school", "cm-b", "2026-11-16", "0.01"),
            ("government", None, "2026-11-20", "3000"),
            ("charity", "cm-a", "2026-09-01", "33.33"), ("charity", "cm-a", "2026-09-02", "33.33"),
            ("charity", "cm-a", "2026-09-30", "33.33")]


def test_totals_per_partner_type_community_and_month_equal_the_fixtures(world):
    partners = {}
    for type_, community, day, value in FIXTURES:
        key = (type_, community)
        partners.setdefault(key, a_partner(world, type_, community, station="st-3"))
        goods = {"kind": "in_kind", "item": "食用油", "unit": "箱", "quantity": 20} \
            if type_ == "government" else {}
        status, body = donate(world, partners[key], value, station="st-3", donated_on=day,
                              **goods)
        assert status == 201, body
    _, head = staff("st-3")
    status, totals = world.api("GET", "/donations/totals?station_id=st-3", token=head)
    assert status == 200, totals
    assert totals["total"] == "4450.79"
    assert totals["by_partner_type"] == {"business": "1250.80", "charity": "99.99",
                                         "government": "3000.00", "school": "100.00"}
    assert totals["by_community"] == {"-": "3000.00", "cm-a": "1350.79", "cm-b": "100.00"}
    assert totals["by_month"] == {"2026-09": "99.99", "2026-10": "0.30", "2026-11": "4350.50"}
    assert {(r["partner_type"], r["community_id"], r["month"]): r["value"]
            for r in totals["rows"]} == {
        ("business", "cm-a", "2026-10"): "0.30", ("business", "cm-a", "2026-11"): "1250.50",
        ("school", "cm-b", "2026-11"): "100.00", ("government", "-", "2026-11"): "3000.00",
        ("charity", "cm-a", "2026-09"): "99.99"}
    _, november = world.api("GET", "/donations/totals?station_id=st-3&from_month=2026-11",
                            token=head)
    assert november["total"] == "4350.50"
    _, mapped = world.api("GET", "/resources/map?station_id=st-3", token=head)
    assert {c["community_id"]: c["donated"] for c in mapped["communities"]} == {
        "-": "3000.00", "cm-a": "1350.79", "cm-b": "100.00"}


def test_the_bodies_of_api_md_are_accepted_as_written_there(world):
    """POST /partners {"station_id", "name", "type"} and POST /donations {"station_id",
    "partner_id", "kind", "value", "item"?, "quantity"?} -> 201 {"id"} (../API.md)."""
    worker, _ = staff("st-1")
    status, made = world.api("POST", "/partners", {"station_id": "st-1", "name": "团委",
                                                   "type": "government"}, token=worker)
    assert status == 201 and made["id"], made
    for body in ({"kind": "cash", "value": "1250.50"},
                 {"kind": "in_kind", "value": "80", "item": "米面油", "quantity": 4},
                 {"kind": "in_kind", "value": "35.5", "item": "书包"}):
        status, donated = world.api("POST", "/donations", {
            "station_id": "st-1", "partner_id": made["id"], **body}, token=worker)
        assert status == 201 and donated["id"], donated
    assert (donated["quantity_left"], donated["value_left"]) == (1, "35.50")
