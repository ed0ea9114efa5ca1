"""Reads: a resident rebuilt from events (now or as of a moment), lists from the read
models, the organisation tree, the access trail and its weekly digest. Reads never write
(the edge records each read of a record in the access trail).

Lists take `stations`: the station ids the caller's scope covers (None: no limit, for
service-to-service reads); they never show anything outside them."""
from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Collection, Mapping

import sqlalchemy as sa

from shared.eventstore import EventStore
from shared.kit.paging import Page, within
from shared.kit.scope import Things
from shared.security import access_log

from services.residents import access, cards, configuration, privacy
from services.residents.handlers import load_org, read_resident_events
from services.residents.projections import (access_reads, needs_view, residents_view,
                                            transfers_view)
from services.residents.resident import Resident, fold, id_number_stream




def resident_view(state: Resident, today: date, erased: bool = False) -> dict:
    """A resident as GET /api/v1/residents/{id} shows it (categories derived on `today`),
    personal fields in clear (or "[erased]"): the edge masks it for the caller's role."""
    view = {
        "id": state.id, "station_id": state.station_id, "community_id": state.community_id,
        "name": state.name, "gender": state.gender, "birth_date": state.birth_date,
        "id_number": state.id_number, "phone": state.phone, "address": state.address,
        "household": state.household if isinstance(state.household, Mapping) else None,
        **state_view(state, today), "erased": erased,
        "needs": [dataclasses.asdict(n) for n in state.needs.values()],
    }
    return view


def state_view(state: Resident, today: date) -> dict:
    """What a command answers with: the record's state without personal data (read that
    with GET, which is audited)."""
    derived = configuration.settings().categories.derived_min_age()
    pending = state.pending
    return {
        "id": state.id, "station_id": state.station_id, "community_id": state.community_id,
        "categories": state.categories_on(today, derived),
        "status": state.status, "card": state.card, "domain_cards": dict(state.domain_cards),
        "pending_downgrade": dataclasses.asdict(pending) if pending else None,
        "last_assessed_at": state.last_assessed_at, "major_change": state.major_change,
        "reassess_on": state.reassess_on, "reassess_reason": state.reassess_reason,
        "version": state.version, "registered_at": state.registered_at,
        "updated_at": state.updated_at,
    }


def read_resident(store: EventStore, resident_id: str,
                  as_of: datetime | None = None) -> tuple[Resident, list]:
    """The resident's events (up to `as_of`), personal fields opened, and their state."""
    events = read_resident_events(store, resident_id, as_of=as_of)
    return fold(events), events


def is_erased(engine: sa.Engine, resident_id: str) -> bool:
    return privacy.is_erased(engine, resident_id)


def history_body(state: Resident, events: list, as_of: datetime | None, today: date,
                 erased: bool = False) -> dict:
    day = cards.local_date(as_of) if as_of else today
    return {"as_of": as_of.isoformat() if as_of else None,
            "events": [e.to_dict() for e in events], "state": resident_view(state, day, erased)}


# kind -> table -> the same 404 for unknown and outside the caller's scope (shared.kit.scope);
# the organisation lookup comes from the org tree the edge has loaded.
THINGS = Things({
    "resident": (residents_view, "id", lambda _id: access.resident_not_found()),
    "need": (needs_view, "id", lambda _id: access.need_not_found()),
}, org=lambda conn: None, well_formed=access.well_formed)


def station_of_resident(engine: sa.Engine, resident_id: str) -> str | None:
    with engine.connect() as conn:
        return THINGS.station_of(conn, "resident", resident_id)


def card_and_station(engine: sa.Engine, resident_id: str) -> dict | None:
    """{"card", "station_id", "erased"} of a resident, from the read model."""
    t = residents_view
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.c.card, t.c.station_id, t.c.erased)
                           .where(t.c.id == resident_id)).first()
    return {"card": row.card, "station_id": row.station_id, "erased": bool(row.erased)} if row else None


def claimed_by(store: EventStore, digest: str) -> str | None:
    """The resident holding the ID number whose keyed hash is `digest`, if any."""
    claim = store.read_stream(id_number_stream(digest))
    return claim[0].payload["resident_id"] if claim else None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


_within = within


def list_residents(engine: sa.Engine, filters: Mapping[str, Any], page: Page, today: date,
                   stations: Collection[str] | None = None) -> dict:
    """A list page; ID numbers and phones masked (lists are always masked)."""
    t = residents_view
    derived = configuration.settings().categories.derived_min_age()
    query = _within(sa.select(t), t.c.station_id, stations)
    for column in ("station_id", "community_id", "status"):
        if filters.get(column):
            query = query.where(t.c[column] == filters[column])
    card = filters.get("card")
    if card == "none":
        query = query.where(t.c.card.is_(None))
    elif card:
        query = query.where(t.c.card == card)
    category = filters.get("category")
    if category in derived:
        query = query.where(t.c.birth_date <= _years_before(today, derived[category]).isoformat())
    elif category:
        query = query.where(t.c.categories.contains(f",{category},", autoescape=True))
    if filters.get("q"):
        query = query.where(t.c.name.contains(filters["q"], autoescape=True))
    if filters.get("due"):
        query = query.where(t.c.reassess_on <= today.isoformat())
    if filters.get("pending"):
        query = query.where(t.c.pending_card.is_not(None))
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar()
        rows = conn.execute(query.order_by(t.c.registered_at, t.c.id)
                            .limit(page.size).offset((page.number - 1) * page.size))
        items = [_resident_item(r._mapping, today, derived) for r in rows]
    return page.of(items, total)


def _resident_item(row: Mapping, today: date, derived: Mapping[str, int]) -> dict:
    state = Resident(birth_date=row["birth_date"],
                     categories=tuple(c for c in row["categories"].split(",") if c))
    return {
        "id": row["id"], "station_id": row["station_id"], "community_id": row["community_id"],
        "name": row["name"], "gender": row["gender"], "birth_date": row["birth_date"],
        "id_number": row["id_number_masked"], "phone": row["phone_masked"],
        "categories": state.categories_on(today, derived), "status": row["status"],
        "card": row["card"], "pending_card": row["pending_card"],
        "reassess_on": row["reassess_on"], "version": row["version"],
        "erased": bool(row["erased"]),
    }


def list_needs(engine: sa.Engine, filters: Mapping[str, Any], page: Page,
               stations: Collection[str] | None = None) -> dict:
    t = needs_view
    query = _within(sa.select(t), t.c.station_id, stations)
    for column in ("station_id", "community_id", "category", "urgency", "resident_id"):
        if filters.get(column):
            query = query.where(t.c[column] == filters[column])
    status = filters.get("status") or "open"
    if status != "all":
        query = query.where(t.c.status == status)
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar()
        rows = conn.execute(query.order_by(t.c.recorded_at, t.c.id)
                            .limit(page.size).offset((page.number - 1) * page.size))
        items = [dict(r._mapping) for r in rows]
    return page.of(items, total)


# -- transfers and roll-ups -------------------------------------------------------------------

def transfer(engine: sa.Engine, transfer_id: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(transfers_view)
                           .where(transfers_view.c.id == transfer_id)).first()
    return dict(row._mapping) if row else None


def list_transfers(engine: sa.Engine, filters: Mapping[str, Any], page: Page, today: date,
                   stations: Collection[str] | None = None) -> dict:
    """Offers to or from `stations` (the caller's), newest first, with the resident's card
    and categories only: no personal field, whichever side reads it."""
    t, r = transfers_view, residents_view
    query = sa.select(t, r.c.card, r.c.categories, r.c.birth_date).select_from(
        t.outerjoin(r, r.c.id == t.c.resident_id))
    if stations is not None:
        query = query.where(sa.or_(t.c.from_station_id.in_(stations),
                                   t.c.to_station_id.in_(stations)))
    station, direction = filters.get("station_id"), filters.get("direction")
    ours = [station] if station else stations
    incoming = t.c.to_station_id == station if station else (
        t.c.to_station_id.in_(ours) if ours is not None else sa.true())
    outgoing = t.c.from_station_id == station if station else (
        t.c.from_station_id.in_(ours) if ours is not None else sa.true())
    if direction == "incoming":
        query = query.where(incoming)
    elif direction == "outgoing":
        query = query.where(outgoing)
    elif station:
        query = query.where(sa.or_(incoming, outgoing))
    if filters.get("status"):
        query = query.where(t.c.status == filters["status"])
    derived = configuration.settings().categories.derived_min_age()
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar()
        rows = conn.execute(query.order_by(t.c.offered_at.desc(), t.c.id)
                            .limit(page.size).offset((page.number - 1) * page.size))
        items = [_transfer_item(row._mapping, today, derived) for row in rows]
    return page.of(items, total)


def _transfer_item(row: Mapping, today: date, derived: Mapping[str, int]) -> dict:
    state = Resident(birth_date=row["birth_date"],
                     categories=tuple(c for c in (row["categories"] or "").split(",") if c))
    return {"transfer_id": row["id"], "resident_id": row["resident_id"],
            "from_station_id": row["from_station_id"],
            "from_community_id": row["from_community_id"],
            "to_station_id": row["to_station_id"], "to_community_id": row["to_community_id"],
            "status": row["status"], "card": row["card"],
            "categories": state.categories_on(today, derived),
            "offered_by": row["offered_by"], "offered_at": row["offered_at"],
            "decided_by": row["decided_by"], "decided_at": row["decided_at"]}


CARDS = ("red", "blue", "green", "none")


def rollup(engine: sa.Engine, scope: Mapping[str, str], stations: list[tuple[str, str]]) -> dict:
    """Active residents of each of `stations` ((id, name), every one listed, even with
    none) by card, and the total: folded from the events through `residents_view`."""
    r = residents_view
    ids = [station_id for station_id, _ in stations]
    counts: dict[str, dict[str, int]] = {s: dict.fromkeys(CARDS, 0) for s in ids}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(r.c.station_id, r.c.card, sa.func.count())
                            .where(r.c.station_id.in_(ids), r.c.status == "active")
                            .group_by(r.c.station_id, r.c.card)).all()
    for station_id, card, n in rows:
        counts[station_id][card or "none"] += n
    items = [{"station_id": s, "name": name, "residents": sum(counts[s].values()),
              "cards": counts[s]} for s, name in stations]
    total = {card: sum(item["cards"][card] for item in items) for card in CARDS}
    return {"scope": dict(scope), "stations": items,
            "total": {"stations": len(items), "residents": sum(total.values()), "cards": total}}


# -- the access trail -------------------------------------------------------------------------

def access_trail(store: EventStore, resident_id: str, page: Page) -> dict:
    """Who read the resident's record, when, what and why (oldest first), a list page."""
    reads = access_log.access_trail(store, resident_id)
    start = (page.number - 1) * page.size
    return page.of(reads[start:start + page.size], len(reads))


def access_digest(engine: sa.Engine, station_id: str, year: int, week: int) -> dict:
    """The week's reads of the station's records (China dates, Monday to Sunday): by
    reader, by role, by day, and how many came without a reason."""
    monday = date.fromisocalendar(year, week, 1)
    label = f"{year:04d}-W{week:02d}"
    t = access_reads
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.station_id == station_id, t.c.week == label)
                            .order_by(t.c.at)).all()
    readers: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        counts = readers.setdefault((r.reader, r.role), [0, 0])
        counts[0] += 1
        counts[1] += 0 if r.with_reason else 1
    roles = Counter(r.role for r in rows)
    days = Counter(r.day for r in rows)
    return {
        "station_id": station_id, "week": label, "from": monday.isoformat(),
        "to": (monday + timedelta(days=6)).isoformat(), "reads": len(rows),
        "residents": len({r.resident_id for r in rows}),
        "without_reason": sum(1 for r in rows if not r.with_reason),
        "by_reader": [{"reader": reader, "role": role, "reads": n, "without_reason": none}
                      for (reader, role), (n, none) in sorted(
                          readers.items(), key=lambda kv: (-kv[1][0], kv[0]))],
        "by_role": [{"role": role, "reads": n} for role, n in sorted(roles.items())],
        "by_day": [{"day": d.isoformat(), "reads": days.get(d.isoformat(), 0)}
                   for d in (monday + timedelta(days=i) for i in range(7))],
    }


def org_tree(store: EventStore) -> dict:
    return load_org(store).describe(configuration.settings().schedule)


def rubrics() -> dict:
    s = configuration.settings()
    return {"items": [r.describe() for r in s.rubrics.values()],
            "categories": s.categories.describe(), "need_categories": s.need_categories.describe(),
            "urgencies": s.urgencies.describe(), "relations": s.relations.describe(),
            "reassessment_months": dataclasses.asdict(s.schedule)}
