"""The holding aggregate: what one station holds of one item, or of cash. Pure.

One stream per (station, kind, item, unit) — `stock-<holding id>` — holds every
donation into the holding and every allocation out of it. An allocation is decided on
that whole history and appended at the version it was decided on, so two allocations
racing for the last unit cannot both be written: the second append meets a moved
stream, is decided again on fresh state and refused with Insufficient (409). Quantity
and value therefore never go below zero.

In kind, a holding keeps a count of units and their value (the donors' valuation).
An allocation takes its share of the value: the average value of a unit times the
units taken, to the fen, and the last units take exactly what is left, so values
allocated plus value left always equal value donated, fen for fen.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from shared.events import NewEvent
from shared.kit import fold as kit
from shared.kit.errors import Invalid, Missing

from services.resources import commands as c
from services.resources import money
from services.resources.errors import Insufficient
from services.resources.partner import Partner, check_at_station, check_exists

HOLDINGS = uuid.UUID("2f6c3b8e-51a4-4d0e-9a57-8c1e0b7d4e21")
# A donation in kind that gives no quantity is one lot (1 件): the API asks only for
# "item"? and "quantity"? (../API.md), so neither unit nor quantity may be required.
DEFAULT_UNIT = "件"


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def holding_id(station_id: str, kind: str, item: str | None, unit: str | None) -> str:
    """The holding's id, the same for every donation of the same item and unit to the
    station ("大米" in "kg" and " 大米 " in "KG" are one holding); cash is one holding."""
    parts = (station_id, kind) if kind == "cash" else (station_id, kind, _norm(item), _norm(unit))
    return str(uuid.uuid5(HOLDINGS, "\x1f".join(parts)))


def as_given(cmd: c.DonateResource) -> c.DonateResource:
    """Goods with no unit or quantity given are one lot (1 件)."""
    if cmd.kind != "in_kind":
        return cmd
    return dataclasses.replace(cmd, quantity=1 if cmd.quantity is None else cmd.quantity,
                               unit=(cmd.unit or "").strip() or DEFAULT_UNIT)


def holding_of(cmd: c.DonateResource) -> str:
    """The holding a donation goes into."""
    given = as_given(cmd)
    return holding_id(given.station_id, given.kind, given.item, given.unit)


# -- exceptions and guards ------------------------------------------------------------

class HoldingNotFound(Missing):
    def __init__(self, holding_id: str | None):
        super().__init__(f"Stock {holding_id} not found", f"未找到库存 {holding_id}")


class NotEnoughLeft(Insufficient):
    def __init__(self, field: str, asked, left):
        super().__init__(f"Only {left} left, {asked} asked", f"库存不足：剩余 {left}，申请 {asked}",
                         {field: [f"More than is left ({left}) / 超过剩余数量（{left}）"]})


class MissingFields(Invalid):
    def __init__(self, fields: dict):
        super().__init__("Some fields are missing or do not fit the kind",
                         "缺少字段或字段与类型不符", fields)


class DonationInFuture(Invalid):
    def __init__(self):
        super().__init__("A donation cannot be dated in the future", "捐赠日期不能晚于今天",
                         {"donated_on": ["Is in the future / 晚于今天"]})


def check_donation_fields(cmd: c.DonateResource) -> None:
    problems = {}
    if cmd.kind == "in_kind":
        if not (cmd.item or "").strip():
            problems["item"] = ["Required for a donation in kind / 实物捐赠必填"]
        if cmd.quantity is not None and cmd.quantity < 1:
            problems["quantity"] = ["At least 1 / 至少为 1"]
    else:
        for name in ("item", "unit", "quantity"):
            if getattr(cmd, name) is not None:
                problems[name] = ["Only for a donation in kind / 仅限实物捐赠"]
    if problems:
        raise MissingFields(problems)


def check_allocation_fields(holding: "Holding", cmd: c.AllocateResource) -> None:
    if holding.kind == "cash" and (cmd.amount is None or cmd.quantity is not None):
        raise MissingFields({"amount": ["Cash is allocated by amount / 现金按金额分配"]})
    if holding.kind == "in_kind" and (cmd.quantity is None or cmd.amount is not None):
        raise MissingFields({"quantity": ["Goods are allocated by quantity / 实物按数量分配"]})
    if cmd.quantity is not None and cmd.quantity < 1:
        raise MissingFields({"quantity": ["At least 1 / 至少为 1"]})
    if cmd.target_type == "resident" and not cmd.target_id:
        raise MissingFields({"target_id": ["Name the resident / 请指定居民"]})


# -- state ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Holding:
    holding_id: str | None = None
    station_id: str | None = None
    kind: str | None = None
    item: str | None = None
    unit: str | None = None
    category: str | None = None
    quantity: int = 0
    value: Decimal = money.ZERO
    donated: Decimal = money.ZERO
    allocated: Decimal = money.ZERO
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.holding_id is not None


def _donated(h: Holding, p: dict) -> Holding:
    value = money.of(p["value"])
    return dataclasses.replace(
        h, holding_id=p["holding_id"], station_id=p["station_id"], kind=p["kind"],
        item=h.item or p.get("item"), unit=h.unit or p.get("unit"),
        category=h.category or p.get("category"),
        quantity=h.quantity + (p.get("quantity") or 0), value=h.value + value,
        donated=h.donated + value)


def _allocated(h: Holding, p: dict) -> Holding:
    value = money.of(p["value"])
    return dataclasses.replace(h, quantity=h.quantity - (p.get("quantity") or 0),
                               value=h.value - value, allocated=h.allocated + value)


EVOLVERS = {"ResourceDonated": _donated, "ResourceAllocated": _allocated}


def evolve(h: Holding, event) -> Holding:
    """After one event (a Recorded or a NewEvent); unknown types only count."""
    return kit.step(EVOLVERS, h, event)


def fold(events, h: Holding | None = None) -> Holding:
    return kit.fold(evolve, events, h or Holding())


# -- decide ---------------------------------------------------------------------------

def donate(h: Holding, cmd: c.DonateResource, partner: Partner, today: date,
           now: datetime) -> list[NewEvent]:
    """ResourceDonated into the holding `holding_id(cmd...)` names (the caller loads it)."""
    check_exists(partner, cmd.partner_id)
    check_at_station(partner, cmd.station_id)
    check_donation_fields(cmd)
    cmd = as_given(cmd)
    value = money.parse(cmd.value, "value")
    donated_on = cmd.donated_on or today
    if donated_on > today:
        raise DonationInFuture()
    payload = {
        "donation_id": cmd.donation_id,
        "holding_id": holding_of(cmd),
        "station_id": cmd.station_id, "partner_id": cmd.partner_id,
        "partner_type": partner.type, "community_id": cmd.community_id or partner.community_id,
        "kind": cmd.kind, "item": cmd.item.strip() if cmd.item else None,
        "unit": cmd.unit.strip() if cmd.unit else None, "quantity": cmd.quantity,
        "value": money.text(value), "category": cmd.category,
        "donated_on": donated_on.isoformat(), "recorded_by": cmd.actor}
    return [NewEvent("ResourceDonated", payload, station_id=cmd.station_id, occurred_at=now,
                     actor=cmd.actor)]


def share_of_value(h: Holding, quantity: int) -> Decimal:
    """The value `quantity` units take: all that is left for the last ones, else the
    average unit value times the units, rounded half up to the fen."""
    if quantity == h.quantity:
        return h.value
    share = (h.value * quantity / h.quantity).quantize(money.FEN, rounding=ROUND_HALF_UP)
    return min(share, h.value)


def allocate(h: Holding, cmd: c.AllocateResource, today: date,
             now: datetime) -> list[NewEvent]:
    """ResourceAllocated, or NotEnoughLeft if the holding has less than asked."""
    if not h.exists:
        raise HoldingNotFound(cmd.holding_id)
    check_allocation_fields(h, cmd)
    if h.kind == "cash":
        value = money.parse(cmd.amount, "amount")
        if value > h.value:
            raise NotEnoughLeft("amount", money.text(value), money.text(h.value))
    else:
        if cmd.quantity > h.quantity:
            raise NotEnoughLeft("quantity", cmd.quantity, h.quantity)
        value = share_of_value(h, cmd.quantity)
    payload = {
        "allocation_id": cmd.allocation_id, "holding_id": h.holding_id,
        "station_id": h.station_id, "kind": h.kind, "item": h.item, "unit": h.unit,
        "quantity": cmd.quantity if h.kind == "in_kind" else None, "value": money.text(value),
        "target_type": cmd.target_type, "target_id": cmd.target_id,
        "resident_id": cmd.target_id if cmd.target_type == "resident" else None,
        "wish_id": cmd.wish_id, "note": cmd.note, "allocated_on": today.isoformat(),
        "allocated_by": cmd.actor}
    return [NewEvent("ResourceAllocated", payload, station_id=h.station_id, occurred_at=now,
                     actor=cmd.actor)]
