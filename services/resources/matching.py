"""Matching needs with resources (需求库 ↔ 资源库). Pure.

`suggest` ranks, for one open need, the station's partners and stock: a partner that
gives in the need's category ranks above one that only sits in the need's community,
and both above the rest (left out); stock of the need's category with something left
comes first, then cash for a financial need. Recording a match (a worker's decision:
this partner, or this stock, for this need) is a MatchRecorded on `matches-<need id>`,
one per partner or stock for a need.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from shared.events import NewEvent
from shared.kit import fold as kit
from shared.kit.errors import Duplicate, Invalid

from services.resources import commands as c
from services.resources.needs import KnownNeed, check_open_need
from services.resources.partner import Partner, check_at_station, check_exists
from services.resources.stock import Holding, HoldingNotFound

CASH_CATEGORY = "financial"


@dataclasses.dataclass(frozen=True)
class Suggestion:
    kind: str  # partner | stock
    id: str
    score: int
    reasons: tuple[str, ...]


def _partner_fit(need: KnownNeed, partner: Partner) -> Suggestion | None:
    reasons = (("category",) if need.category in partner.categories else ()) + (
        ("community",) if need.community_id and partner.community_id == need.community_id
        else ())
    if not reasons:
        return None
    return Suggestion("partner", partner.partner_id, 2 * ("category" in reasons)
                      + ("community" in reasons), reasons)


def _stock_fit(need: KnownNeed, h: Holding) -> Suggestion | None:
    left = h.quantity > 0 if h.kind == "in_kind" else h.value > Decimal(0)
    if not left:
        return None
    if h.category == need.category:
        return Suggestion("stock", h.holding_id, 2, ("category",))
    if h.kind == "cash" and need.category == CASH_CATEGORY:
        return Suggestion("stock", h.holding_id, 1, ("cash",))
    return None


def suggest(need: KnownNeed, partners: Iterable[Partner],
            holdings: Iterable[Holding]) -> list[Suggestion]:
    """The station's partners and stock that fit the need, best first."""
    mine = [p for p in partners if p.station_id == need.station_id]
    found = [_partner_fit(need, p) for p in mine]
    found += [_stock_fit(need, h) for h in holdings if h.station_id == need.station_id]
    return sorted((s for s in found if s), key=lambda s: (-s.score, s.kind, s.id))


# -- recording a match ----------------------------------------------------------------

class NothingMatched(Invalid):
    def __init__(self):
        super().__init__("Name a partner or stock for the need", "请指定资源方或库存",
                         {"partner_id": ["Partner or stock required / 资源方或库存至少一项"]})


class StockOfAnotherStation(Invalid):
    def __init__(self):
        super().__init__("The stock belongs to another station", "该库存属于其他社工站",
                         {"holding_id": ["Not this station's stock / 不是本站的库存"]})


@dataclasses.dataclass(frozen=True)
class Matches:
    need_id: str | None = None
    pairs: frozenset[tuple] = frozenset()
    version: int = 0


def _recorded(state: Matches, p: dict) -> Matches:
    return Matches(p["need_id"], state.pairs | {(p.get("partner_id"), p.get("holding_id"))})


EVOLVERS = {"MatchRecorded": _recorded}


def evolve(state: Matches, event) -> Matches:
    """After one event (a Recorded or a NewEvent); unknown types only count."""
    return kit.step(EVOLVERS, state, event)


def fold(events, state: Matches | None = None) -> Matches:
    return kit.fold(evolve, events, state or Matches())


def record(state: Matches, cmd: c.RecordMatch, need: KnownNeed | None,
           partner: Partner | None, holding: Holding | None, now: datetime) -> list[NewEvent]:
    need = check_open_need(need, cmd.need_id)
    if cmd.partner_id is None and cmd.holding_id is None:
        raise NothingMatched()
    if cmd.partner_id is not None:
        check_exists(partner or Partner(), cmd.partner_id)
        check_at_station(partner, need.station_id)
    if cmd.holding_id is not None:
        if holding is None or not holding.exists:
            raise HoldingNotFound(cmd.holding_id)
        if holding.station_id != need.station_id:
            raise StockOfAnotherStation()
    if (cmd.partner_id, cmd.holding_id) in state.pairs:
        raise Duplicate("This match is recorded already", "该匹配已记录")
    payload = {"match_id": cmd.match_id, "need_id": need.need_id,
               "resident_id": need.resident_id, "station_id": need.station_id,
               "partner_id": cmd.partner_id, "holding_id": cmd.holding_id, "note": cmd.note,
               "recorded_by": cmd.actor}
    return [NewEvent("MatchRecorded", payload, station_id=need.station_id, occurred_at=now,
                     actor=cmd.actor)]
