"""Matching a need with partners and stock, and recording a match once."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.kit.errors import Duplicate, IllegalTransition, Invalid

from services.resources import commands as c
from services.resources import matching as M
from services.resources import partner as P
from services.resources import stock as S
from services.resources.needs import KnownNeed

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
NEED = KnownNeed("need-1", "res-1", "st-1", "co-1", "medical")


def partner(pid, community=None, categories=(), station="st-1", type_="business"):
    cmd = c.RegisterPartner(pid, station, pid, type_, "li", community_id=community,
                            categories=categories)
    return P.fold(P.register(P.Partner(), cmd, NOW))


def holding(hid, kind="in_kind", category=None, quantity=1, value="10.00", station="st-1"):
    return S.Holding(hid, station, kind, None, None, category, quantity, S.money.of(value))


def test_partners_giving_in_the_category_rank_above_neighbours_and_others_are_left_out():
    partners = [partner("clinic-far", "co-9", ("medical",)), partner("shop-near", "co-1"),
                partner("clinic-near", "co-1", ("medical",)), partner("school-far", "co-9"),
                partner("clinic-other-station", "co-1", ("medical",), station="st-2")]
    found = M.suggest(NEED, partners, [])
    assert [(s.id, s.score) for s in found] == [("clinic-near", 3), ("clinic-far", 2),
                                                ("shop-near", 1)]


def test_stock_of_the_category_with_something_left_and_cash_for_a_financial_need():
    holdings = [holding("pills", category="medical"), holding("empty", category="medical",
                                                              quantity=0),
                holding("cash", kind="cash", quantity=0), holding("rice", category="daily_care")]
    assert [s.id for s in M.suggest(NEED, [], holdings)] == ["pills"]
    money_need = KnownNeed("need-2", "res-1", "st-1", "co-1", "financial")
    assert [s.id for s in M.suggest(money_need, [], holdings)] == ["cash"]


def test_a_match_is_recorded_once_per_partner_for_a_need():
    cmd = c.RecordMatch("m-1", "need-1", "li", partner_id="clinic")
    (event,) = M.record(M.Matches(), cmd, NEED, partner("clinic"), None, NOW)
    assert event.payload["resident_id"] == "res-1" and event.station_id == "st-1"
    with pytest.raises(Duplicate):
        M.record(M.fold([event]), c.RecordMatch("m-2", "need-1", "li", partner_id="clinic"),
                 NEED, partner("clinic"), None, NOW)


def test_a_match_needs_an_open_need_and_something_of_the_needs_station():
    with pytest.raises(Invalid):
        M.record(M.Matches(), c.RecordMatch("m-1", "need-1", "li"), NEED, None, None, NOW)
    with pytest.raises(Invalid):
        M.record(M.Matches(), c.RecordMatch("m-1", "need-1", "li", holding_id="h"), NEED, None,
                 holding("h", station="st-2"), NOW)
    met = KnownNeed("need-1", "res-1", "st-1", "co-1", "medical", "met")
    with pytest.raises(IllegalTransition):
        M.record(M.Matches(), c.RecordMatch("m-1", "need-1", "li", partner_id="clinic"), met,
                 partner("clinic"), None, NOW)
