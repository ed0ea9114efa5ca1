"""Read models of the residents service, kept in the same transaction as the events.

`residents_view`: one row per resident for lists and search (by station, community,
category, card, status, due reassessment); it keeps ID numbers and phones only masked.
`needs_view`: the needs library (需求库). `transfers_view`: transfer offers between
stations (ids and status only). `access_reads`: one row per read of a
resident's record (ResidentRecordRead), for the weekly access digest. All are
rebuildable from the events alone (`rebuild`). Derived categories (高龄) are not
stored: queries compute them from the birth date.

`apply` takes events with their personal fields opened (services.residents.privacy);
KeyDestroyed overwrites what the rows hold of that resident's personal data.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Mapping

import sqlalchemy as sa

from shared.events import Recorded
from shared.eventstore import EventStore
from shared.kit.projections import Projection
from shared.security import access_log, erasure, masking
from shared.security.erasure import ERASED, KeyVault

from services.residents import cards, privacy

metadata = sa.MetaData()

residents_view = sa.Table(
    "residents_view", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("station_id", sa.String(100), nullable=False, index=True),
    sa.Column("community_id", sa.String(100), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("gender", sa.String(8), nullable=False),
    sa.Column("birth_date", sa.String(10), nullable=False),
    sa.Column("id_number_masked", sa.String(32), nullable=False),
    sa.Column("phone_masked", sa.String(32), nullable=True),
    sa.Column("erased", sa.Boolean, nullable=False, default=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("card", sa.String(8), nullable=True, index=True),
    sa.Column("pending_card", sa.String(8), nullable=True),
    # ",low_income,disabled," so that one LIKE finds a category
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("reassess_on", sa.String(10), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("registered_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
)

needs_view = sa.Table(
    "needs_view", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("resident_id", sa.String(64), nullable=False, index=True),
    sa.Column("station_id", sa.String(100), nullable=False, index=True),
    sa.Column("community_id", sa.String(100), nullable=False, index=True),
    sa.Column("category", sa.String(50), nullable=False),
    sa.Column("urgency", sa.String(20), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),
    sa.Column("closed_at", sa.String(32), nullable=True),
)

# One row per transfer offer: ids and status only (the reason stays sealed in the event).
transfers_view = sa.Table(
    "transfers_view", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("resident_id", sa.String(64), nullable=False, index=True),
    sa.Column("from_station_id", sa.String(100), nullable=False, index=True),
    sa.Column("from_community_id", sa.String(100), nullable=False),
    sa.Column("to_station_id", sa.String(100), nullable=False, index=True),
    sa.Column("to_community_id", sa.String(100), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),   # offered | accepted | declined
    sa.Column("offered_by", sa.String(200), nullable=False),
    sa.Column("offered_at", sa.String(32), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_at", sa.String(32), nullable=True),
)

access_reads = sa.Table(
    "access_reads", metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("resident_id", sa.String(64), nullable=False),
    sa.Column("station_id", sa.String(100), nullable=True),
    sa.Column("reader", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("with_reason", sa.Boolean, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),     # China date
    sa.Column("week", sa.String(8), nullable=False),     # ISO week of that date: 2026-W48
    sa.Index("ix_access_reads_station_week", "station_id", "week"),
)


def category_text(categories) -> str:
    return "," + ",".join(sorted(set(categories) - {"advanced_age"})) + ","


def _resident(conn, event: Recorded, **values) -> None:
    conn.execute(residents_view.update().where(residents_view.c.id == event.payload["resident_id"])
                 .values(version=event.stream_version, updated_at=event.recorded_at, **values))


def _masked(field: str, value: str | None) -> str | None:
    return value if value in (None, ERASED) else masking.MASKS[field](value)


def _registered(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(residents_view.insert().values(
        id=p["resident_id"], station_id=p["station_id"], community_id=p["community_id"],
        name=p["name"], gender=p["gender"], birth_date=p["birth_date"],
        id_number_masked=_masked("id_number", p["id_number"]),
        phone_masked=_masked("phone", p.get("phone")), erased=False, status="active",
        card=None, pending_card=None, categories=category_text(p["categories"]),
        reassess_on=None, version=e.stream_version, registered_at=e.recorded_at,
        updated_at=e.recorded_at))


def _registered_many(conn, events: list[Recorded]) -> None:
    conn.execute(residents_view.insert(), [{
        "id": p["resident_id"], "station_id": p["station_id"], "community_id": p["community_id"],
        "name": p["name"], "gender": p["gender"], "birth_date": p["birth_date"],
        "id_number_masked": _masked("id_number", p["id_number"]),
        "phone_masked": _masked("phone", p.get("phone")), "erased": False, "status": "active",
        "card": None, "pending_card": None, "categories": category_text(p["categories"]),
        "reassess_on": None, "version": e.stream_version, "registered_at": e.recorded_at,
        "updated_at": e.recorded_at} for e in events for p in (e.payload,)])


def _updated(conn, e: Recorded) -> None:
    p = e.payload
    values = {}
    if "name" in p["changed"]:
        values["name"] = p["name"]
    if "phone" in p["changed"]:
        values["phone_masked"] = _masked("phone", p.get("phone"))
    if "categories" in p["changed"]:
        values["categories"] = category_text(p["categories"])
    _resident(conn, e, **values)


def _key_destroyed(conn, e: Recorded) -> None:
    """The resident's personal data is gone: so is what the read models kept of it."""
    resident_id = e.payload["resident_id"]
    row = residents_view.c
    conn.execute(residents_view.update().where(row.id == resident_id).values(
        name=ERASED, birth_date=ERASED, id_number_masked=ERASED, erased=True,
        phone_masked=sa.case((row.phone_masked.is_(None), None), else_=ERASED)))
    conn.execute(needs_view.update().where(needs_view.c.resident_id == resident_id)
                 .values(description=ERASED))


def _record_read(conn, e: Recorded) -> None:
    p = e.payload
    day = cards.local_date(datetime.fromisoformat(p["at"]))
    year, week, _ = day.isocalendar()
    conn.execute(access_reads.insert().values(
        event_id=e.event_id, resident_id=p["resident_id"], station_id=p.get("station_id"),
        reader=p["reader"], role=p["role"], with_reason=bool(p.get("reason")), at=p["at"],
        day=day.isoformat(), week=f"{year:04d}-W{week:02d}"))


def _moved(conn, e: Recorded) -> None:
    p = e.payload
    station_id = p.get("to_station_id") or p["station_id"]
    _resident(conn, e, community_id=p["community_id"], station_id=station_id)
    # Open needs go with the person; met and withdrawn ones stay where they were handled.
    conn.execute(needs_view.update().where(needs_view.c.resident_id == p["resident_id"])
                 .where(needs_view.c.status == "open")
                 .values(community_id=p["community_id"], station_id=station_id))


def _transferred(conn, e: Recorded) -> None:
    _moved(conn, e)
    if e.payload.get("transfer_id"):
        _transfer_decided(conn, e, "accepted", e.payload.get("accepted_by") or e.actor)


def _transfer_offered(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(transfers_view.insert().values(
        id=p["transfer_id"], resident_id=p["resident_id"], from_station_id=p["from_station_id"],
        from_community_id=p["from_community_id"], to_station_id=p["to_station_id"],
        to_community_id=p["to_community_id"], status="offered", offered_by=p["offered_by"],
        offered_at=e.recorded_at, decided_by=None, decided_at=None))
    _resident(conn, e)


def _transfer_declined(conn, e: Recorded) -> None:
    _transfer_decided(conn, e, "declined", e.payload["declined_by"])
    _resident(conn, e)


def _transfer_decided(conn, e: Recorded, status: str, by: str | None) -> None:
    conn.execute(transfers_view.update().where(transfers_view.c.id == e.payload["transfer_id"])
                 .values(status=status, decided_by=by, decided_at=e.recorded_at))


def _need_recorded(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(needs_view.insert().values(
        id=p["need_id"], resident_id=p["resident_id"], station_id=p["station_id"],
        community_id=p["community_id"], category=p["category"], urgency=p["urgency"],
        description=p["description"], status="open", recorded_at=e.recorded_at, closed_at=None))
    _resident(conn, e)


def _need_closed(status: str) -> Callable:
    def apply(conn, e: Recorded) -> None:
        conn.execute(needs_view.update().where(needs_view.c.id == e.payload["need_id"])
                     .values(status=status, closed_at=e.recorded_at))
        _resident(conn, e)
    return apply


def _values(**from_payload: Callable[[dict], object]) -> Callable:
    def apply(conn, e: Recorded) -> None:
        _resident(conn, e, **{column: get(e.payload) for column, get in from_payload.items()})
    return apply


def _values_many(**from_payload: Callable[[dict], object]) -> Callable:
    """_values(...) for many events of one type, one executemany (apply_streams)."""
    row = residents_view.c
    statement = residents_view.update().where(row.id == sa.bindparam("b_id")).values(
        version=sa.bindparam("b_version"), updated_at=sa.bindparam("b_updated_at"),
        **{column: sa.bindparam(f"b_{column}") for column in from_payload})

    def apply(conn, events: list[Recorded]) -> None:
        conn.execute(statement, [{
            "b_id": e.payload["resident_id"], "b_version": e.stream_version,
            "b_updated_at": e.recorded_at,
            **{f"b_{column}": get(e.payload) for column, get in from_payload.items()}}
            for e in events])
    return apply


APPLIERS: Mapping[str, Callable[[sa.Connection, Recorded], None]] = {
    "ResidentRegistered": _registered,
    "ResidentUpdated": _updated,
    "ResidentMoved": _moved,
    "ResidentTransferred": _transferred,
    "TransferOffered": _transfer_offered,
    "TransferDeclined": _transfer_declined,
    "ResidentStatusChanged": _values(status=lambda p: p["status"]),
    "CardAssigned": _values(card=lambda p: p["card"], pending_card=lambda p: None),
    "CardUpgraded": _values(card=lambda p: p["to_card"], pending_card=lambda p: None),
    "CardDowngraded": _values(card=lambda p: p["to_card"], pending_card=lambda p: None),
    "CardDowngradeRequested": _values(pending_card=lambda p: p["to_card"]),
    "CardDowngradeRejected": _values(pending_card=lambda p: None),
    "CardDowngradeCancelled": _values(pending_card=lambda p: None),
    "ReassessmentScheduled": _values(reassess_on=lambda p: p["due_on"]),
    "RiskAssessed": _values(),
    "MajorChangeRecorded": _values(),
    "NeedRecorded": _need_recorded,
    "NeedMet": _need_closed("met"),
    "NeedWithdrawn": _need_closed("withdrawn"),
    erasure.KEY_DESTROYED: _key_destroyed,
    access_log.EVENT: _record_read,
}


def _opened(store: EventStore) -> Callable:
    """Stored events with their personal fields opened, as the appliers read them."""
    vault = KeyVault(store)
    return lambda conn, events: privacy.unseal(vault, events, conn)


# The organisation tree is folded from its stream when read; an ID number's claim is
# only read from its stream; partner lookups are read from theirs (lookups-<caller>).
NOT_APPLYING = {"DistrictAdded", "StreetAdded", "StationAdded", "CommunityAdded",
                "ReassessmentScheduleSet", "IdNumberClaimed", "PartnerLookupMade"}

# Rebuilt from the events when VERSION changes (shared.kit.projections).
VERSION = 1
# What a bulk write (the roster import) folds with one statement per type
# (Projection.apply_streams); the same rows as the appliers above (a test compares them).
MANY: Mapping[str, Callable[[sa.Connection, list], None]] = {
    "ResidentRegistered": _registered_many,
    "CardAssigned": _values_many(card=lambda p: p["card"], pending_card=lambda p: None),
    "ReassessmentScheduled": _values_many(reassess_on=lambda p: p["due_on"]),
}
projection = Projection("residents", metadata, APPLIERS, version=VERSION, open=_opened,
                        not_applying=NOT_APPLYING, many=MANY)
apply, rebuild = projection.apply, projection.rebuild
