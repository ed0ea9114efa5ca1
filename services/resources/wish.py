"""The micro-wish (微心愿) aggregate: a pure state machine.

    posted ──claim (a partner)──▶ claimed ──deliver (note)──▶ delivered ──close (thanks)──▶ closed
      │                             │
      └────────── expire: the day after `expires_on` ───────▶ expired

A wish is posted for a resident of the station, usually from one of the resident's
open needs; a partner of the same station claims it and delivers it by its date.
WishDelivered names the need, and the residents service marks it met on that event.
Claims and deliveries after the date are refused: the wish is for expiry then.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from shared.events import NewEvent
from shared.kit import fold as kit
from shared.kit.errors import IllegalTransition, Invalid, Missing

from services.resources import commands as c
from services.resources.needs import KnownNeed, check_open_need
from services.resources.partner import Partner, check_at_station, check_exists

NEW, POSTED, CLAIMED, DELIVERED, CLOSED, EXPIRED = (
    "new", "posted", "claimed", "delivered", "closed", "expired")
STATE_NAMES_ZH = {NEW: "未发布", POSTED: "待认领", CLAIMED: "已认领", DELIVERED: "已送达",
                  CLOSED: "已完成", EXPIRED: "已过期"}
ACTION_NAMES = {"post": ("post", "发布"), "claim": ("claim", "认领"),
                "deliver": ("deliver", "送达"), "close": ("close", "完成"),
                "expire": ("expire", "过期")}
ALLOWED = {"post": {NEW}, "claim": {POSTED}, "deliver": {CLAIMED}, "close": {DELIVERED},
           "expire": {POSTED, CLAIMED}}


class WishNotFound(Missing):
    def __init__(self, wish_id: str | None):
        super().__init__(f"Wish {wish_id} not found", f"未找到微心愿 {wish_id}")


class WishStepRefused(IllegalTransition):
    def __init__(self, action: str, state: str):
        en, zh = ACTION_NAMES[action]
        super().__init__(f"Cannot {en} a wish that is {state}",
                         f"微心愿当前状态为「{STATE_NAMES_ZH[state]}」，不能{zh}")


class WishPastItsDate(IllegalTransition):
    code = "wish_expired"

    def __init__(self, expires_on: str):
        super().__init__(f"The wish expired after {expires_on}", f"微心愿已于 {expires_on} 后过期")


class ExpiryInThePast(Invalid):
    def __init__(self):
        super().__init__("A wish cannot expire before today", "微心愿截止日期不能早于今天",
                         {"expires_on": ["Before today / 早于今天"]})


class EmptyTitle(Invalid):
    def __init__(self):
        super().__init__("Say what is wished for", "请填写心愿内容",
                         {"title": ["Required / 必填"]})


@dataclasses.dataclass(frozen=True)
class Wish:
    wish_id: str | None = None
    station_id: str | None = None
    community_id: str | None = None
    resident_id: str | None = None
    need_id: str | None = None
    title: str | None = None
    category: str | None = None
    expires_on: str | None = None
    partner_id: str | None = None
    note: str | None = None
    thanks: str | None = None
    state: str = NEW
    version: int = 0


def check_allowed(wish: Wish, action: str) -> None:
    if action != "post" and wish.state == NEW:
        raise WishNotFound(wish.wish_id)
    if wish.state not in ALLOWED[action]:
        raise WishStepRefused(action, wish.state)


def check_in_date(wish: Wish, today: date) -> None:
    if today > date.fromisoformat(wish.expires_on):
        raise WishPastItsDate(wish.expires_on)


# -- evolve ---------------------------------------------------------------------------

def _posted(w: Wish, p: dict) -> Wish:
    return dataclasses.replace(
        w, wish_id=p["wish_id"], station_id=p["station_id"], community_id=p.get("community_id"),
        resident_id=p["resident_id"], need_id=p.get("need_id"), title=p["title"],
        category=p.get("category"), expires_on=p["expires_on"], state=POSTED)


EVOLVERS = {
    "WishPosted": _posted,
    "WishClaimed": lambda w, p: dataclasses.replace(w, partner_id=p["partner_id"], state=CLAIMED),
    "WishDelivered": lambda w, p: dataclasses.replace(w, note=p.get("note"), state=DELIVERED),
    "WishClosed": lambda w, p: dataclasses.replace(w, thanks=p.get("thanks"), state=CLOSED),
    "WishExpired": lambda w, p: dataclasses.replace(w, state=EXPIRED),
}


def evolve(wish: Wish, event) -> Wish:
    """After one event (a Recorded or a NewEvent); unknown types only count."""
    return kit.step(EVOLVERS, wish, event)


def fold(events, wish: Wish | None = None) -> Wish:
    return kit.fold(evolve, events, wish or Wish())


# -- decide ---------------------------------------------------------------------------

def _event(wish: Wish, type_: str, now: datetime, actor: str | None, **payload) -> NewEvent:
    base = {"wish_id": wish.wish_id, "station_id": wish.station_id,
            "resident_id": wish.resident_id}
    return NewEvent(type_, {**base, **payload}, station_id=wish.station_id, occurred_at=now,
                    actor=actor)


def post(wish: Wish, cmd: c.PostWish, need: KnownNeed | None, today: date,
         now: datetime) -> list[NewEvent]:
    """WishPosted; from a need, the wish takes the need's community and category."""
    check_allowed(wish, "post")
    if not cmd.title.strip():
        raise EmptyTitle()
    if cmd.expires_on < today:
        raise ExpiryInThePast()
    if cmd.need_id is not None:
        need = check_open_need(need, cmd.need_id, cmd.resident_id)
    community = cmd.community_id or (need.community_id if cmd.need_id else None)
    category = cmd.category or (need.category if cmd.need_id else None)
    posted = dataclasses.replace(wish, wish_id=cmd.wish_id, station_id=cmd.station_id,
                                 resident_id=cmd.resident_id)
    return [_event(posted, "WishPosted", now, cmd.actor, community_id=community,
                   need_id=cmd.need_id, title=cmd.title.strip(), category=category,
                   expires_on=cmd.expires_on.isoformat(), posted_by=cmd.actor)]


def claim(wish: Wish, cmd: c.ClaimWish, partner: Partner, today: date,
          now: datetime) -> list[NewEvent]:
    check_allowed(wish, "claim")
    check_in_date(wish, today)
    check_exists(partner, cmd.partner_id)
    check_at_station(partner, wish.station_id)
    return [_event(wish, "WishClaimed", now, cmd.actor, partner_id=cmd.partner_id,
                   claimed_by=cmd.actor)]


def deliver(wish: Wish, cmd: c.DeliverWish, today: date, now: datetime) -> list[NewEvent]:
    check_allowed(wish, "deliver")
    check_in_date(wish, today)
    return [_event(wish, "WishDelivered", now, cmd.actor, need_id=wish.need_id,
                   partner_id=wish.partner_id, note=cmd.note, delivered_on=today.isoformat(),
                   delivered_by=cmd.actor)]


def close(wish: Wish, cmd: c.CloseWish, now: datetime) -> list[NewEvent]:
    check_allowed(wish, "close")
    return [_event(wish, "WishClosed", now, cmd.actor, thanks=cmd.thanks, closed_by=cmd.actor)]


def expire(wish: Wish, cmd: c.ExpireWish, today: date, now: datetime) -> list[NewEvent]:
    """WishExpired once the day after `expires_on` has come; otherwise nothing, so the
    clock may ask any number of times, from any number of places."""
    if wish.state not in ALLOWED["expire"] or today <= date.fromisoformat(wish.expires_on):
        return []
    return [_event(wish, "WishExpired", now, None, expires_on=wish.expires_on)]
