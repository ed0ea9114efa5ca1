"""Reads of resources' read models, and who may see what.

Every thing is of one station (a partner, a stock holding, a donation, an allocation,
a wish, a match, a resident or need learned from the residents' events); the caller's
scopes must cover it (shared.security.scope). A thing out of scope is refused exactly as
a missing one — the same exception, the same 404 — so a caller cannot learn it exists.
Money leaves as "yuan.fen" text made from integer fen.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Callable, Collection

import sqlalchemy as sa

from shared.kit import paging
from shared.kit.errors import Invalid, LearnedFromEvents, Missing
from shared.kit.scope import Things, org_of, plausible_id
from shared.security import scope
from shared.security.principal import Principal

from services.resources import matching, money, partner, stock, totals, wish
from services.resources import projections as p
from services.resources.needs import KnownNeed, NeedNotFound

class StationNotFound(Missing, LearnedFromEvents):
    def __init__(self, station_id):
        super().__init__(f"Station {station_id} not found", f"未找到社工站 {station_id}")


class ResidentNotFound(Missing, LearnedFromEvents):
    def __init__(self, resident_id):
        super().__init__(f"Resident {resident_id} not found", f"未找到居民 {resident_id}")


class DonationNotFound(Missing):
    def __init__(self, donation_id):
        super().__init__(f"Donation {donation_id} not found", f"未找到捐赠 {donation_id}")


class AllocationNotFound(Missing):
    def __init__(self, allocation_id):
        super().__init__(f"Allocation {allocation_id} not found", f"未找到分配 {allocation_id}")


class MatchNotFound(Missing):
    def __init__(self, match_id):
        super().__init__(f"Match {match_id} not found", f"未找到匹配 {match_id}")


class NotTheResidentsStation(Invalid, LearnedFromEvents):
    def __init__(self, field: str = "station_id"):
        super().__init__("The resident belongs to another station", "该居民不属于此社工站",
                         {field: ["Not the resident's station / 不是该居民所属的社工站"]})


org = org_of(p.org_place)   # station -> (street, district), when a scope needs it


THINGS = Things({
    "partner": (p.partners, "partner_id", partner.PartnerNotFound),
    "stock": (p.holdings, "holding_id", stock.HoldingNotFound),
    "donation": (p.donations, "donation_id", DonationNotFound),
    "allocation": (p.allocations, "allocation_id", AllocationNotFound),
    "wish": (p.wishes, "wish_id", wish.WishNotFound),
    "match": (p.matches, "match_id", MatchNotFound),
    "resident": (p.known_residents, "resident_id", ResidentNotFound),
    "need": (p.known_needs, "need_id", NeedNotFound),
}, org=org)
require = THINGS.require


def require_station(conn, who: Principal, station_id: str | None) -> str:
    """The station itself, if the caller's scopes cover it; else StationNotFound."""
    if not (plausible_id(station_id) and THINGS.can_see(conn, who, station_id)):
        raise StationNotFound(station_id)
    return station_id


def stations_in_scope(conn, who: Principal, station_id: str | None = None) -> list[str]:
    """The one station asked for (404 outside scope), else every station in scope."""
    if station_id is not None:
        return [require_station(conn, who, station_id)]
    known = p.org_map(conn)
    covered = {s for s in known if scope.can_see_station(who, s, known.get)}
    return sorted(who.stations | covered)


# -- pages ----------------------------------------------------------------------------

def page_of(conn, query, order_by, page: int, page_size: int,
            item: Callable[[dict], dict] = dict) -> dict:
    return paging.page_of(conn, query, order_by, paging.Page(page, page_size), item)


def _where(query, table: sa.Table, stations: Collection[str] | None, **filters):
    query = paging.within(query, table.c.station_id, stations)
    for column, value in filters.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    return query


def yuan(fen: int) -> str:
    return money.text(Decimal(fen) / 100)


def _with_money(*columns: str) -> Callable[[dict], dict]:
    def item(row: dict) -> dict:
        for column in columns:
            row[column.removesuffix("_fen")] = yuan(row.pop(column))
        return row
    return item


def _partner_item(row: dict) -> dict:
    row["id"] = row["partner_id"]
    row["categories"] = [c for c in row["categories"].split(",") if c]
    return row


def _stock_item(row: dict) -> dict:
    row = _with_money("value_fen", "donated_fen", "allocated_fen")(row)
    row["id"] = row["holding_id"]
    return row


def _id_as(key: str, *money_columns: str) -> Callable[[dict], dict]:
    with_money = _with_money(*money_columns)
    return lambda row: {"id": row[key], **with_money(row)}


# -- lists and items ------------------------------------------------------------------

def list_partners(conn, stations=None, type=None, community_id=None, page=1,
                  page_size=50) -> dict:
    T = p.partners
    q = _where(sa.select(T), T, stations, type=type, community_id=community_id)
    return page_of(conn, q, (T.c.name, T.c.partner_id), page, page_size, _partner_item)


def get_partner(conn, partner_id: str) -> dict | None:
    row = conn.execute(sa.select(p.partners).where(p.partners.c.partner_id == partner_id)).first()
    if row is None:
        return None
    given = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(p.donations.c.value_fen), 0),
                                   sa.func.count())
                         .where(p.donations.c.partner_id == partner_id)).first()
    return {**_partner_item(dict(row._mapping)), "donated": yuan(given[0]), "donations": given[1]}


def list_donations(conn, stations=None, partner_id=None, kind=None, month=None,
                   community_id=None, page=1, page_size=50) -> dict:
    T = p.donations
    q = _where(sa.select(T), T, stations, partner_id=partner_id, kind=kind, month=month,
               community_id=community_id)
    return page_of(conn, q, (T.c.donated_on.desc(), T.c.donation_id), page, page_size,
                   _id_as("donation_id", "value_fen"))


def get_one(conn, kind: str, thing_id: str, item: Callable[[dict], dict]) -> dict | None:
    table, key, _ = THINGS.things[kind]
    row = conn.execute(sa.select(table).where(table.c[key] == thing_id)).first()
    return item(dict(row._mapping)) if row else None


def get_donation(conn, donation_id: str) -> dict | None:
    return get_one(conn, "donation", donation_id, _id_as("donation_id", "value_fen"))


def list_allocations(conn, stations=None, stock_id=None, target_type=None, resident_id=None,
                     page=1, page_size=50) -> dict:
    T = p.allocations
    q = _where(sa.select(T), T, stations, holding_id=stock_id, target_type=target_type,
               resident_id=resident_id)
    return page_of(conn, q, (T.c.allocated_on.desc(), T.c.allocation_id), page, page_size,
                   _id_as("allocation_id", "value_fen"))


def get_allocation(conn, allocation_id: str) -> dict | None:
    return get_one(conn, "allocation", allocation_id, _id_as("allocation_id", "value_fen"))


def list_stock(conn, stations=None, kind=None, category=None, available=None, page=1,
               page_size=50) -> dict:
    T = p.holdings
    q = _where(sa.select(T), T, stations, kind=kind, category=category)
    if available is not None:
        left = (T.c.quantity > 0) | ((T.c.kind == "cash") & (T.c.value_fen > 0))
        q = q.where(left if available else ~left)
    return page_of(conn, q, (T.c.station_id, T.c.kind, T.c.item, T.c.holding_id), page,
                   page_size, _stock_item)


def get_stock(conn, holding_id: str) -> dict | None:
    return get_one(conn, "stock", holding_id, _stock_item)


def list_wishes(conn, stations=None, state=None, resident_id=None, community_id=None,
                page=1, page_size=50) -> dict:
    T = p.wishes
    q = _where(sa.select(T), T, stations, state=state, resident_id=resident_id,
               community_id=community_id)
    return page_of(conn, q, (T.c.expires_on, T.c.wish_id), page, page_size, _id_as("wish_id"))


def get_wish(conn, wish_id: str) -> dict | None:
    return get_one(conn, "wish", wish_id, _id_as("wish_id"))


def list_matches(conn, stations=None, need_id=None, resident_id=None, page=1,
                 page_size=50) -> dict:
    T = p.matches
    q = _where(sa.select(T), T, stations, need_id=need_id, resident_id=resident_id)
    return page_of(conn, q, (T.c.match_id,), page, page_size, _id_as("match_id"))


def get_match(conn, match_id: str) -> dict | None:
    return get_one(conn, "match", match_id, _id_as("match_id"))


# -- totals, the resource map, suggestions ---------------------------------------------

def donation_totals(conn, stations=None, from_month=None, to_month=None) -> dict:
    """Sums in RMB per partner type, community and month (and each alone), exact: the
    database sums integers of fen, the pure fold (services.resources.totals) groups them."""
    T = p.donations
    q = _where(sa.select(T.c.partner_type, T.c.community_id, T.c.month,
                         sa.func.sum(T.c.value_fen)), T, stations)
    if from_month:
        q = q.where(T.c.month >= from_month)
    if to_month:
        q = q.where(T.c.month <= to_month)
    rows = conn.execute(q.group_by(T.c.partner_type, T.c.community_id, T.c.month))
    return totals.donation_totals(
        {"partner_type": t, "community_id": c, "donated_on": m, "value": yuan(int(fen))}
        for t, c, m, fen in rows).as_text()


def resource_map(conn, stations=None) -> dict:
    """Per community: its partners and what each has given (资源地图)."""
    P, D = p.partners, p.donations
    given = (sa.select(D.c.partner_id, sa.func.sum(D.c.value_fen).label("fen"),
                       sa.func.count().label("n")).group_by(D.c.partner_id).subquery())
    q = _where(sa.select(P, given.c.fen, given.c.n).outerjoin(
        given, given.c.partner_id == P.c.partner_id), P, stations)
    communities: dict[str, dict] = defaultdict(lambda: {"partners": [], "fen": 0})
    for row in conn.execute(q.order_by(P.c.community_id, P.c.name, P.c.partner_id)):
        r = dict(row._mapping)
        place = communities[r["community_id"] or totals.NO_COMMUNITY]
        fen, count = int(r.pop("fen") or 0), int(r.pop("n") or 0)
        place["partners"].append({**_partner_item(r), "donated": yuan(fen), "donations": count})
        place["fen"] += fen
    return {"communities": [{"community_id": c, "donated": yuan(v["fen"]),
                             "partners": v["partners"]}
                            for c, v in sorted(communities.items())]}


def known_need(conn, need_id: str) -> KnownNeed | None:
    row = conn.execute(sa.select(p.known_needs).where(p.known_needs.c.need_id == need_id)).first()
    return KnownNeed(**row._mapping) if row else None


def suggestions(conn, need_id: str) -> dict:
    """Partners and stock of the need's station that fit it, best first."""
    need = known_need(conn, need_id)
    if need is None:
        raise NeedNotFound(need_id)
    P, H = p.partners, p.holdings
    partners = [partner.Partner(r.partner_id, r.station_id, r.name, r.type, r.department,
                                r.community_id, r.hub, tuple(c for c in r.categories.split(",")
                                                             if c))
                for r in conn.execute(sa.select(P).where(P.c.station_id == need.station_id))]
    holdings = [stock.Holding(r.holding_id, r.station_id, r.kind, r.item, r.unit, r.category,
                              r.quantity, Decimal(r.value_fen) / 100)
                for r in conn.execute(sa.select(H).where(H.c.station_id == need.station_id))]
    found = matching.suggest(need, partners, holdings)
    return {"need_id": need_id, "status": need.status, "category": need.category,
            "items": [{"kind": s.kind, "id": s.id, "score": s.score, "reasons": list(s.reasons)}
                      for s in found]}
