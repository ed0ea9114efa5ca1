"""Totals per partner type, community and month, exact to the fen (hand-counted)."""
from __future__ import annotations

from services.resources.totals import donation_totals


def d(type_, community, day, value):
    return {"partner_type": type_, "community_id": community, "donated_on": day, "value": value}


# Counted by hand:
#   business  co-1 2026-10: 0.10 + 0.20           =    0.30
#   business  co-1 2026-11: 1250.50               = 1250.50
#   school    co-2 2026-11: 99.99 + 0.01          =  100.00
#   government  -  2026-11: 3000.00               = 3000.00
#   charity   co-1 2026-09: 33.33 x 3             =   99.99
FIXTURE = [d("business", "co-1", "2026-10-03", "0.10"), d("business", "co-1", "2026-10-31", "0.20"),
           d("business", "co-1", "2026-11-01", "1250.50"),
           d("school", "co-2", "2026-11-15", "99.99"), d("school", "co-2", "2026-11-16", "0.01"),
           d("government", None, "2026-11-20", "3000.00"),
           d("charity", "co-1", "2026-09-01", "33.33"), d("charity", "co-1", "2026-09-02", "33.33"),
           d("charity", "co-1", "2026-09-30", "33.33")]


def test_totals_are_exact_to_the_fen_in_every_grouping():
    totals = donation_totals(FIXTURE).as_text()
    assert totals["total"] == "4450.79"
    assert totals["by_partner_type"] == {"business": "1250.80", "charity": "99.99",
                                         "government": "3000.00", "school": "100.00"}
    assert totals["by_community"] == {"-": "3000.00", "co-1": "1350.79", "co-2": "100.00"}
    assert totals["by_month"] == {"2026-09": "99.99", "2026-10": "0.30", "2026-11": "4350.50"}
    assert {(r["partner_type"], r["community_id"], r["month"]): r["value"]
            for r in totals["rows"]} == {
        ("business", "co-1", "2026-10"): "0.30", ("business", "co-1", "2026-11"): "1250.50",
        ("school", "co-2", "2026-11"): "100.00", ("government", "-", "2026-11"): "3000.00",
        ("charity", "co-1", "2026-09"): "99.99"}


def test_no_donations_total_zero():
    assert donation_totals([]).as_text()["total"] == "0.00"
