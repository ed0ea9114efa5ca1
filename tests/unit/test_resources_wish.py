"""Micro-wishes (微心愿): posted → claimed → delivered → closed, or expired after the date."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.kit.errors import IllegalTransition, Invalid, Missing

from services.resources import commands as c
from services.resources import partner as P
from services.resources import wish as W
from services.resources.needs import KnownNeed

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 28)
NEED = KnownNeed("need-1", "res-1", "st-1", "co-3", "daily_care")


def partner(station="st-1") -> P.Partner:
    return P.fold(P.register(P.Partner(), c.RegisterPartner("pa-1", station, "School",
                                                             "school", "li"), NOW))


def posted(need_id="need-1", need=NEED, expires_on=date(2026, 12, 31)) -> W.Wish:
    cmd = c.PostWish("w-1", "st-1", "res-1", "A winter coat", expires_on, "li",
                     need_id=need_id)
    return W.fold(W.post(W.Wish(), cmd, need, TODAY, NOW))


def step(wish, events) -> W.Wish:
    return W.fold(events, wish)


def delivered() -> W.Wish:
    wish = step(posted(), W.claim(posted(), c.ClaimWish("w-1", "pa-1", "li"), partner(),
                                  TODAY, NOW))
    return step(wish, W.deliver(wish, c.DeliverWish("w-1", "li", "Coat handed over"), TODAY, NOW))


def test_a_wish_from_a_need_takes_the_needs_community_and_category():
    (event,) = W.post(W.Wish(), c.PostWish("w-1", "st-1", "res-1", " A winter coat ",
                                           date(2026, 12, 31), "li", need_id="need-1"),
                      NEED, TODAY, NOW)
    assert event.payload == {
        "wish_id": "w-1", "station_id": "st-1", "resident_id": "res-1", "community_id": "co-3",
        "need_id": "need-1", "title": "A winter coat", "category": "daily_care",
        "expires_on": "2026-12-31", "posted_by": "li"}


def test_a_wish_goes_through_its_whole_life():
    wish = delivered()
    assert (wish.state, wish.partner_id, wish.note) == (W.DELIVERED, "pa-1", "Coat handed over")
    wish = step(wish, W.close(wish, c.CloseWish("w-1", "li", "谢谢"), NOW))
    assert (wish.state, wish.thanks, wish.version) == (W.CLOSED, "谢谢", 4)


def test_delivery_names_the_need_so_the_residents_service_can_mark_it_met():
    wish = W.fold([], posted())
    claimed = step(wish, W.claim(wish, c.ClaimWish("w-1", "pa-1", "li"), partner(), TODAY, NOW))
    (event,) = W.deliver(claimed, c.DeliverWish("w-1", "li", "ok"), TODAY, NOW)
    assert (event.type, event.payload["need_id"], event.payload["resident_id"],
            event.payload["partner_id"]) == ("WishDelivered", "need-1", "res-1", "pa-1")


@pytest.mark.parametrize("need, error", [
    (None, Missing),
    (KnownNeed("need-1", "res-2", "st-1", "co-3", "daily_care"), Invalid),
    (KnownNeed("need-1", "res-1", "st-1", "co-3", "daily_care", "met"), IllegalTransition)])
def test_a_wish_needs_an_open_need_of_the_same_resident(need, error):
    with pytest.raises(error):
        posted(need=need)


def test_a_wish_without_a_need_is_allowed():
    assert posted(need_id=None, need=None).need_id is None


def test_steps_out_of_order_are_refused_naming_the_state():
    with pytest.raises(IllegalTransition) as refused:
        W.deliver(posted(), c.DeliverWish("w-1", "li"), TODAY, NOW)
    assert "待认领" in refused.value.message_zh
    with pytest.raises(IllegalTransition):
        W.claim(delivered(), c.ClaimWish("w-1", "pa-1", "li"), partner(), TODAY, NOW)
    with pytest.raises(Missing):
        W.claim(W.Wish(wish_id="w-x"), c.ClaimWish("w-x", "pa-1", "li"), partner(), TODAY, NOW)


def test_only_a_partner_of_the_wishs_station_may_claim_it():
    with pytest.raises(Invalid):
        W.claim(posted(), c.ClaimWish("w-1", "pa-1", "li"), partner("st-2"), TODAY, NOW)


def test_a_wish_expires_the_day_after_its_date_and_only_once():
    wish = posted(expires_on=date(2026, 11, 30))
    assert W.expire(wish, c.ExpireWish("w-1"), date(2026, 11, 30), NOW) == []
    (event,) = W.expire(wish, c.ExpireWish("w-1"), date(2026, 12, 1), NOW)
    wish = step(wish, [event])
    assert wish.state == W.EXPIRED
    assert W.expire(wish, c.ExpireWish("w-1"), date(2026, 12, 2), NOW) == []


def test_a_delivered_wish_never_expires():
    assert W.expire(delivered(), c.ExpireWish("w-1"), date(2027, 6, 1), NOW) == []


def test_claims_after_the_date_are_refused_and_dates_in_the_past_too():
    wish = posted(expires_on=date(2026, 11, 28))
    with pytest.raises(IllegalTransition):
        W.claim(wish, c.ClaimWish("w-1", "pa-1", "li"), partner(), date(2026, 11, 29), NOW)
    with pytest.raises(Invalid):
        posted(expires_on=date(2026, 11, 27))
