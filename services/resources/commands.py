"""Commands: what a user or the clock asks the resources service to do (imperative,
fields only). Ids of new things, the acting user and the day are decided at the edge
and passed in, so the domain stays free of uuids and clocks. Amounts stay text until
the domain parses them (services.resources.money), so a bad one is refused there.
"""
from __future__ import annotations

import dataclasses
from datetime import date

frozen = dataclasses.dataclass(frozen=True)


@frozen
class RegisterPartner:
    partner_id: str
    station_id: str
    name: str
    type: str
    actor: str
    department: str | None = None
    community_id: str | None = None
    hub: str = "other"
    contact: str | None = None
    categories: tuple[str, ...] = ()


@frozen
class DonateResource:
    donation_id: str
    station_id: str
    partner_id: str
    kind: str  # cash | in_kind
    value: str  # RMB: the amount, or the valuation of the goods
    actor: str
    item: str | None = None
    unit: str | None = None
    quantity: int | None = None
    category: str | None = None
    community_id: str | None = None  # None: the partner's community
    donated_on: date | None = None  # None: today


@frozen
class AllocateResource:
    allocation_id: str
    holding_id: str
    target_type: str  # resident | activity | project
    target_id: str
    actor: str
    quantity: int | None = None  # in kind
    amount: str | None = None  # cash, RMB
    wish_id: str | None = None
    note: str | None = None


@frozen
class PostWish:
    wish_id: str
    station_id: str
    resident_id: str
    title: str
    expires_on: date
    actor: str
    community_id: str | None = None
    need_id: str | None = None
    category: str | None = None


@frozen
class ClaimWish:
    wish_id: str
    partner_id: str
    actor: str


@frozen
class DeliverWish:
    wish_id: str
    actor: str
    note: str | None = None


@frozen
class CloseWish:
    wish_id: str
    actor: str
    thanks: str | None = None


@frozen
class ExpireWish:
    wish_id: str


@frozen
class RecordMatch:
    match_id: str
    need_id: str
    actor: str
    partner_id: str | None = None
    holding_id: str | None = None
    note: str | None = None
