"""List pages, the same shape on every list: {"items", "total", "page", "page_size"}."""
from __future__ import annotations

import dataclasses
from typing import Callable, Collection

import sqlalchemy as sa


@dataclasses.dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = 50

    def of(self, items: list, total: int) -> dict:
        return {"items": items, "total": total, "page": self.number, "page_size": self.size}


def page_of(conn: sa.Connection, query, order_by, page: Page, item: Callable = dict) -> dict:
    """One page of `query` in `order_by`, each row made into an item, with the total."""
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar()
    rows = conn.execute(query.order_by(*order_by).limit(page.size)
                        .offset((page.number - 1) * page.size))
    return page.of([item(dict(r._mapping)) for r in rows], total)


def within(query, column, stations: Collection[str] | None):
    """Only rows of these stations (None: no limit, e.g. a service reading for itself)."""
    return query if stations is None else query.where(column.in_(sorted(stations)))
