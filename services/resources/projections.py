"""Read models of resources, in its own database beside its events.

Own tables are folds of resources' events, written in the transaction that appends
them and rebuildable from zero. Money is kept as integers of fen (分), so sums in SQL
are exact on every backend. `known_needs` is the local picture of the residents'
needs library (需求库), kept from the residents' NeedRecorded / NeedMet / NeedWithdrawn
in the inbox transaction: ids, station, community, category and status, never the
sealed description.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from shared.events import Recorded
from shared.kit.projections import Projection
from shared.security.erasure import ERASED, KEY_DESTROYED

from services.resources import money, privacy
from services.resources import wish as wish_rules

metadata = sa.MetaData()


def fen(text: str) -> int:
    """"12.34" -> 1234: exact, since every stored amount has two places."""
    return int(money.of(text) * 100)


def _id(name: str, **kw) -> Column:
    return Column(name, String(100), **kw)


partners = Table(
    "partners", metadata,
    _id("partner_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("type", String(20), nullable=False),
    Column("department", String(30), nullable=True),
    _id("community_id", nullable=True),
    Column("hub", String(20), nullable=True),
    Column("categories", Text, nullable=False),  # comma-separated
)

holdings = Table(
    "holdings", metadata,
    _id("holding_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("item", Text, nullable=True),
    _id("unit", nullable=True),
    _id("category", nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("donated_fen", BigInteger, nullable=False),
    Column("allocated_fen", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
)

donations = Table(
    "donations", metadata,
    _id("donation_id", primary_key=True),
    _id("holding_id", nullable=False),
    _id("station_id", nullable=False),
    _id("partner_id", nullable=False, index=True),
    Column("partner_type", String(20), nullable=False),
    _id("community_id", nullable=True),
    Column("kind", String(10), nullable=False),
    Column("item", Text, nullable=True),
    _id("unit", nullable=True),
    Column("quantity", Integer, nullable=True),
    Column("value_fen", BigInteger, nullable=False),
    _id("category", nullable=True),
    Column("donated_on", String(10), nullable=False),
    Column("month", String(7), nullable=False),
    Index("ix_donations_station_month", "station_id", "month"),
)

allocations = Table(
    "allocations", metadata,
    _id("allocation_id", primary_key=True),
    _id("holding_id", nullable=False, index=True),
    _id("station_id", nullable=False, index=True),
    Column("kind", String(10), nullable=False),
    Column("quantity", Integer, nullable=True),
    Column("value_fen", BigInteger, nullable=False),
    Column("target_type", String(10), nullable=False),
    _id("target_id", nullable=False),
    _id("resident_id", nullable=True),
    _id("wish_id", nullable=True),
    Column("allocated_on", String(10), nullable=False),
    _id("allocated_by", nullable=False),
)

wishes = Table(
    "wishes", metadata,
    _id("wish_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    _id("community_id", nullable=True),
    _id("resident_id", nullable=False, index=True),
    _id("need_id", nullable=True),
    Column("title", Text, nullable=False),
    _id("category", nullable=True),
    Column("expires_on", String(10), nullable=False),
    Column("state", String(10), nullable=False),
    _id("partner_id", nullable=True),
    Column("delivered_on", String(10), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_wishes_state_expires", "state", "expires_on"),
)

matches = Table(
    "matches", metadata,
    _id("match_id", primary_key=True),
    _id("need_id", nullable=False, index=True),
    _id("resident_id", nullable=False),
    _id("station_id", nullable=False, index=True),
    _id("partner_id", nullable=True),
    _id("holding_id", nullable=True),
    _id("recorded_by", nullable=False),
)

known_needs = Table(
    "known_needs", metadata,
    _id("need_id", primary_key=True),
    _id("resident_id", nullable=False, index=True),
    _id("station_id", nullable=False, index=True),
    _id("community_id", nullable=True),
    _id("category", nullable=False),
    Column("status", String(10), nullable=False),  # open | met | withdrawn
)

OWN_TABLES = (partners, holdings, donations, allocations, wishes, matches)


# -- own events -----------------------------------------------------------------------

def _partner_registered(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(partners.insert().values(
        partner_id=p["partner_id"], station_id=p["station_id"], name=p["name"], type=p["type"],
        department=p.get("department"), community_id=p.get("community_id"), hub=p.get("hub"),
        categories=",".join(p.get("categories") or ())))


def _holding(conn, e: Recorded, quantity: int, value: int, **sums) -> None:
    """Add to (or start) the holding's row: quantity and value may be negative steps."""
    p, h = e.payload, holdings.c
    updated = conn.execute(holdings.update().where(h.holding_id == p["holding_id"]).values(
        quantity=h.quantity + quantity, value_fen=h.value_fen + value,
        version=e.stream_version, **{k: h[k] + v for k, v in sums.items()})).rowcount
    if not updated:
        conn.execute(holdings.insert().values(
            holding_id=p["holding_id"], station_id=p["station_id"], kind=p["kind"],
            item=p.get("item"), unit=p.get("unit"), category=p.get("category"),
            quantity=quantity, value_fen=value, donated_fen=sums.get("donated_fen", 0),
            allocated_fen=sums.get("allocated_fen", 0), version=e.stream_version))


def _donated(conn, e: Recorded) -> None:
    p, value = e.payload, fen(e.payload["value"])
    conn.execute(donations.insert().values(
        donation_id=p["donation_id"], holding_id=p["holding_id"], station_id=p["station_id"],
        partner_id=p["partner_id"], partner_type=p["partner_type"],
        community_id=p.get("community_id"), kind=p["kind"], item=p.get("item"),
        unit=p.get("unit"), quantity=p.get("quantity"), value_fen=value,
        category=p.get("category"), donated_on=p["donated_on"], month=p["donated_on"][:7]))
    _holding(conn, e, p.get("quantity") or 0, value, donated_fen=value)


def _allocated(conn, e: Recorded) -> None:
    p, value = e.payload, fen(e.payload["value"])
    conn.execute(allocations.insert().values(
        allocation_id=p["allocation_id"], holding_id=p["holding_id"], station_id=p["station_id"],
        kind=p["kind"], quantity=p.get("quantity"), value_fen=value,
        target_type=p["target_type"], target_id=p["target_id"], resident_id=p.get("resident_id"),
        wish_id=p.get("wish_id"), allocated_on=p["allocated_on"], allocated_by=p["allocated_by"]))
    _holding(conn, e, -(p.get("quantity") or 0), -value, allocated_fen=value)


def _wish_posted(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(wishes.insert().values(
        wish_id=p["wish_id"], station_id=p["station_id"], community_id=p.get("community_id"),
        resident_id=p["resident_id"], need_id=p.get("need_id"), title=p["title"],
        category=p.get("category"), expires_on=p["expires_on"], state=wish_rules.POSTED,
        version=e.stream_version))


def _wish(state: str, **from_payload: str) -> Callable:
    def apply_(conn, e: Recorded) -> None:
        values = {column: e.payload.get(field) for column, field in from_payload.items()}
        conn.execute(wishes.update().where(wishes.c.wish_id == e.payload["wish_id"])
                     .values(state=state, version=e.stream_version, **values))
    return apply_


def _match_recorded(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(matches.insert().values(
        match_id=p["match_id"], need_id=p["need_id"], resident_id=p["resident_id"],
        station_id=p["station_id"], partner_id=p.get("partner_id"),
        holding_id=p.get("holding_id"), recorded_by=p["recorded_by"]))


APPLIERS: dict[str, Callable[[sa.Connection, Recorded], None]] = {
    "PartnerRegistered": _partner_registered,
    "ResourceDonated": _donated,
    "ResourceAllocated": _allocated,
    "WishPosted": _wish_posted,
    "WishClaimed": _wish(wish_rules.CLAIMED, partner_id="partner_id"),
    "WishDelivered": _wish(wish_rules.DELIVERED, delivered_on="delivered_on"),
    "WishClosed": _wish(wish_rules.CLOSED),
    "WishExpired": _wish(wish_rules.EXPIRED),
    "MatchRecorded": _match_recorded,
    KEY_DESTROYED: lambda conn, e: conn.execute(  # as folding the sealed events again reads
        wishes.update().where(wishes.c.resident_id == e.payload["resident_id"])
        .values(title=ERASED)),
}


# -- the residents' needs library -----------------------------------------------------

def _need_recorded(conn, e: Recorded) -> None:
    p = e.payload
    if conn.execute(sa.select(known_needs.c.need_id)
                    .where(known_needs.c.need_id == p["need_id"])).first():
        return
    conn.execute(known_needs.insert().values(
        need_id=p["need_id"], resident_id=p["resident_id"], station_id=p["station_id"],
        community_id=p.get("community_id"), category=p["category"], status="open"))


def _need_closed(status: str) -> Callable:
    def apply_(conn, e: Recorded) -> None:
        conn.execute(known_needs.update().where(known_needs.c.need_id == e.payload["need_id"])
                     .values(status=status))
    return apply_


NEED_APPLIERS = {"NeedRecorded": _need_recorded, "NeedMet": _need_closed("met"),
                 "NeedWithdrawn": _need_closed("withdrawn")}


# Resources' own events folded into OWN_TABLES (rebuilt from them when VERSION changes);
# the residents' tables (known_*) are fed by the inbox.
VERSION = 1
projection = Projection("resources", metadata, APPLIERS, tables=OWN_TABLES, version=VERSION,
                        open=privacy.SEALING.opener)  # text opened (privacy)
apply, apply_all, rebuild = projection.apply, projection.apply_all, projection.rebuild


# -- residents and the organisation tree, from the residents' events -------------------

known_residents = Table(
    "known_residents", metadata,
    _id("resident_id", primary_key=True),
    _id("station_id", nullable=True, index=True),
    _id("community_id", nullable=True),
    Column("status", String(12), nullable=True),
)

known_stations = Table(
    "known_stations", metadata,
    _id("station_id", primary_key=True),
    _id("street_id", nullable=False),
)

known_streets = Table(
    "known_streets", metadata,
    _id("street_id", primary_key=True),
    _id("district_id", nullable=False),
)

RESIDENT_EVENTS = ("ResidentRegistered", "ResidentMoved", "ResidentTransferred",
                   "ResidentStatusChanged")
# What resources folds from the residents' events: emptied and folded again on a resync.
FROM_RESIDENTS = (known_needs, known_residents, known_stations, known_streets)
ORG_EVENTS = {"StationAdded": (known_stations, "station_id", "street_id"),
              "StreetAdded": (known_streets, "street_id", "district_id")}


def _upsert(conn, table: Table, key: str, key_value: str, values: dict) -> None:
    if not conn.execute(table.update().where(table.c[key] == key_value)
                        .values(**values)).rowcount:
        conn.execute(table.insert().values({key: key_value, **values}))


def residents_refold() -> dict:
    """The read-model part of resources' residents' handlers (a resident's erasure is
    not made twice when a resync folds the residents' events again)."""
    return {**{name: apply_resident for name in RESIDENT_EVENTS},
            **{name: apply_org for name in ORG_EVENTS}, **NEED_APPLIERS}


def apply_resident(conn: sa.Connection, event: Recorded) -> None:
    """Station, community and status of a resident (`station_id` is the station after a
    move or transfer); their open needs go with them to a new station."""
    p = event.payload
    values = {k: p[k] for k in ("station_id", "community_id", "status") if p.get(k)}
    if not (p.get("resident_id") and values):
        return
    _upsert(conn, known_residents, "resident_id", p["resident_id"], values)
    if "station_id" in values:
        conn.execute(known_needs.update().where(known_needs.c.resident_id == p["resident_id"])
                     .where(known_needs.c.status == "open")
                     .values(station_id=values["station_id"]))


def apply_org(conn: sa.Connection, event: Recorded) -> None:
    """station -> street and street -> district, from StationAdded and StreetAdded."""
    table, key, parent = ORG_EVENTS[event.type]
    p = event.payload
    if p.get(key) and p.get(parent):
        _upsert(conn, table, key, p[key], {parent: p[parent]})


def org_place(conn: sa.Connection, station_id: str) -> tuple[str, str] | None:
    """(street_id, district_id) of one known station, or None."""
    row = conn.execute(sa.select(known_stations.c.street_id, known_streets.c.district_id)
                       .join(known_streets,
                             known_streets.c.street_id == known_stations.c.street_id)
                       .where(known_stations.c.station_id == station_id)).first()
    return tuple(row) if row else None


def org_map(conn: sa.Connection) -> dict[str, tuple[str, str]]:
    rows = conn.execute(sa.select(known_stations.c.station_id, known_stations.c.street_id,
                                  known_streets.c.district_id)
                        .join(known_streets,
                              known_streets.c.street_id == known_stations.c.street_id))
    return {station: (street, district) for station, street, district in rows}
