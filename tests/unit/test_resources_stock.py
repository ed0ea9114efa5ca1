"""Stock per station and item: donations in, allocations out, never below zero."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.kit.errors import Invalid, Missing

from services.resources import commands as c
from services.resources import partner as P
from services.resources import stock as S
from services.resources.errors import Insufficient

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 28)


def a_partner(station="st-1", type_="business", community="co-1") -> P.Partner:
    cmd = c.RegisterPartner("pa-1", station, "Good Rice Co.", type_, "wang",
                            community_id=community, categories=("daily_care",))
    return P.fold(P.register(P.Partner(), cmd, NOW))


def rice(donation_id="d-1", quantity=10, value="100.00", **changes) -> c.DonateResource:
    values = dict(donation_id=donation_id, station_id="st-1", partner_id="pa-1",
                  kind="in_kind", value=value, actor="wang", item="大米", unit="kg",
                  quantity=quantity, category="daily_care")
    return c.DonateResource(**{**values, **changes})


def cash(donation_id="d-9", value="500.00") -> c.DonateResource:
    return c.DonateResource(donation_id, "st-1", "pa-1", "cash", value, "wang")


def holding_after(*commands) -> S.Holding:
    state = S.Holding()
    for cmd in commands:
        state = S.fold(S.donate(state, cmd, a_partner(), TODAY, NOW), state)
    return state


def take(state, quantity=None, amount=None, allocation_id="a-1") -> S.Holding:
    cmd = c.AllocateResource(allocation_id, state.holding_id, "resident", "res-1", "wang",
                             quantity=quantity, amount=amount)
    return S.fold(S.allocate(state, cmd, TODAY, NOW), state)


def test_a_donation_in_kind_carries_partner_type_community_and_valuation():
    (event,) = S.donate(S.Holding(), rice(), a_partner(), TODAY, NOW)
    p = event.payload
    assert event.type == "ResourceDonated" and event.station_id == "st-1"
    assert (p["partner_type"], p["community_id"], p["value"], p["quantity"]) == (
        "business", "co-1", "100.00", 10)
    assert p["donated_on"] == "2026-11-28"
    assert p["holding_id"] == S.holding_id("st-1", "in_kind", " 大米 ", "KG")


def test_donations_of_the_same_item_add_up_in_one_holding():
    state = holding_after(rice("d-1", 10, "100.00"), rice("d-2", 5, "60.50"))
    assert (state.quantity, state.value, state.version) == (15, S.money.of("160.50"), 2)


def test_cash_is_one_holding_per_station_and_other_stations_have_their_own():
    assert S.holding_id("st-1", "cash", None, None) == S.holding_id("st-1", "cash", "x", "y")
    assert S.holding_id("st-1", "cash", None, None) != S.holding_id("st-2", "cash", None, None)


def test_goods_need_an_item_and_cash_has_no_item_unit_or_quantity():
    with pytest.raises(Invalid) as refused:
        S.donate(S.Holding(), rice(item=" ", quantity=0), a_partner(), TODAY, NOW)
    assert set(refused.value.fields) == {"item", "quantity"}
    with pytest.raises(Invalid) as refused:
        S.donate(S.Holding(), rice(kind="cash"), a_partner(), TODAY, NOW)
    assert set(refused.value.fields) == {"item", "unit", "quantity"}


@pytest.mark.parametrize("value", ["1.001", "-5", "0"])
def test_a_donation_of_a_bad_amount_is_refused(value):
    with pytest.raises(Invalid) as refused:
        S.donate(S.Holding(), cash(value=value), a_partner(), TODAY, NOW)
    assert "value" in refused.value.fields


def test_a_partner_of_another_station_or_none_at_all_cannot_donate_here():
    with pytest.raises(Invalid):
        S.donate(S.Holding(), rice(), a_partner(station="st-2"), TODAY, NOW)
    with pytest.raises(Missing):
        S.donate(S.Holding(), rice(), P.Partner(), TODAY, NOW)


def test_a_donation_dated_tomorrow_is_refused():
    with pytest.raises(Invalid):
        S.donate(S.Holding(), rice(donated_on=date(2026, 11, 29)), a_partner(), TODAY, NOW)


def test_allocating_goods_takes_units_and_their_share_of_the_value():
    # 3 kg of rice valued 10.00 together: 1 kg takes 3.33, the last 2 kg the 6.67 left.
    state = holding_after(rice(quantity=3, value="10.00"))
    state = take(state, quantity=1)
    assert (state.quantity, S.money.text(state.value)) == (2, "6.67")
    state = take(state, quantity=2, allocation_id="a-2")
    assert (state.quantity, S.money.text(state.value)) == (0, "0.00")
    assert S.money.text(state.allocated) == S.money.text(state.donated) == "10.00"


def test_nothing_can_be_allocated_beyond_what_is_left():
    state = holding_after(rice(quantity=2))
    with pytest.raises(Insufficient) as refused:
        take(state, quantity=3)
    assert refused.value.fields == {"quantity": ["More than is left (2) / 超过剩余数量（2）"]}
    state = take(take(state, quantity=1), quantity=1, allocation_id="a-2")
    with pytest.raises(Insufficient):
        take(state, quantity=1, allocation_id="a-3")
    assert state.quantity == 0


def test_the_cash_balance_never_goes_below_zero():
    state = holding_after(cash(value="0.10"), cash("d-10", value="0.20"))
    assert S.money.text(state.value) == "0.30"
    with pytest.raises(Insufficient):
        take(state, amount="0.31")
    state = take(state, amount="0.30")
    assert S.money.text(state.value) == "0.00"


def test_cash_goes_out_by_amount_and_goods_by_quantity():
    with pytest.raises(Invalid):
        take(holding_after(cash()), quantity=1)
    with pytest.raises(Invalid):
        take(holding_after(rice()), amount="1.00")


def test_allocating_from_stock_that_does_not_exist_is_404():
    with pytest.raises(Missing):
        take(S.Holding(holding_id=None), quantity=1)


def test_an_allocation_to_a_resident_names_the_resident_for_their_timeline():
    state = holding_after(rice())
    cmd = c.AllocateResource("a-1", state.holding_id, "resident", "res-7", "wang", quantity=1)
    (event,) = S.allocate(state, cmd, TODAY, NOW)
    assert (event.payload["resident_id"], event.payload["value"]) == ("res-7", "10.00")


def test_goods_given_without_unit_or_quantity_are_one_lot_as_the_api_allows():
    (event,) = S.donate(S.Holding(), rice(unit=None, quantity=None), a_partner(), TODAY, NOW)
    assert (event.payload["quantity"], event.payload["unit"]) == (1, "件")
    assert event.payload["holding_id"] == S.holding_id("st-1", "in_kind", "大米", "件")
