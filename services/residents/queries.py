"""Reads: a resident rebuilt from events (now or as of a moment), lists from the read
models, the organisation tree. Reads never write."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any, Mapping

import sqlalchemy as sa

from shared.eventstore import EventStore

from services.residents import cards, configuration
from services.residents.handlers import load_org
from services.residents.projections import needs_view, residents_view
from services.residents.resident import Resident, fold, stream_of


@dataclasses.dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = 50

    def of(self, items: list, total: int) -> dict:
        return {"items": items, "total": total, "page": self.number, "page_size": self.size}


def resident_view(state: Resident, today: date) -> dict:
    """A resident as GET /api/v1/residents/{id} shows it (categories derived on `today`)."""
    derived = configuration.settings().categories.derived_min_age()
    pending = state.pending
    return {
        "id": state.id, "station_id": state.station_id, "community_id": state.community_id,
        "name": state.name, "gender": state.gender, "birth_date": state.birth_date,
        "id_number": state.id_number, "phone": state.phone, "address": state.address,
        "household": state.household, "categories": state.categories_on(today, derived),
        "status": state.status, "card": state.card, "domain_cards": dict(state.domain_cards),
        "pending_downgrade": dataclasses.asdict(pending) if pending else None,
        "last_assessed_at": state.last_assessed_at, "major_change": state.major_change,
        "reassess_on": state.reassess_on, "reassess_reason": state.reassess_reason,
        "needs": [dataclasses.asdict(n) for n in state.needs.values()],
        "version": state.version, "registered_at": state.registered_at,
        "updated_at": state.updated_at,
    }


def read_resident(store: EventStore, resident_id: str,
                  as_of: datetime | None = None) -> tuple[Resident, list]:
    """The resident's events (up to `as_of`) and the state they add up to."""
    events = store.read_stream(stream_of(resident_id), as_of=as_of)
    return fold(events), events


def history_body(state: Resident, events: list, as_of: datetime | None, today: date) -> dict:
    day = cards.local_date(as_of) if as_of else today
    return {"as_of": as_of.isoformat() if as_of else None,
            "events": [e.to_dict() for e in events], "state": resident_view(state, day)}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def list_residents(engine: sa.Engine, filters: Mapping[str, Any], page: Page, today: date) -> dict:
    t = residents_view
    derived = configuration.settings().categories.derived_min_age()
    query = sa.select(t)
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
        "categories": state.categories_on(today, derived), "status": row["status"],
        "card": row["card"], "pending_card": row["pending_card"],
        "reassess_on": row["reassess_on"], "version": row["version"],
    }


def list_needs(engine: sa.Engine, filters: Mapping[str, Any], page: Page) -> dict:
    t = needs_view
    query = sa.select(t)
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


def resident_of_need(engine: sa.Engine, need_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(needs_view.c.resident_id)
                            .where(needs_view.c.id == need_id)).scalar()


def org_tree(store: EventStore) -> dict:
    return load_org(store).describe(configuration.settings().schedule)


def rubrics() -> dict:
    s = configuration.settings()
    return {"items": [r.describe() for r in s.rubrics.values()],
            "categories": s.categories.describe(), "need_categories": s.need_categories.describe(),
            "urgencies": s.urgencies.describe(), "relations": s.relations.describe(),
            "reassessment_months": dataclasses.asdict(s.schedule)}
