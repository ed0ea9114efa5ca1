"""Operators' views over the stores: an auditor's replay of one resident, projection rebuilds.

`resident_timeline` gathers every service's events about one resident, in time order,
and checks the hash chain of every stream they come from, so an auditor sees both what
happened and whether the record can be trusted (shared.timeline, which reporting's
`GET /residents/{id}/timeline` uses too). Personal fields are left out.
"""
from __future__ import annotations

import importlib

import sqlalchemy as sa

from shared import timeline
from shared.eventstore import EventStore


def _streams_about(store: EventStore, resident_id: str) -> list[str]:
    """Streams holding an event whose payload mentions the resident (shared.timeline then
    keeps those that name them), or the resident's own."""
    needle = f'%"{resident_id}"%'
    own = [f"{prefix}{resident_id}" for prefix in timeline.OWN_PREFIXES]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.column("stream_id")).distinct()
                            .select_from(sa.table("events"))
                            .where(sa.or_(sa.column("payload").like(needle),
                                          sa.column("stream_id").in_(own))))
        return sorted(r[0] for r in rows)


def resident_timeline(stores: dict[str, EventStore], resident_id: str,
                      seal_checks: dict | None = None, as_of: str | None = None) -> dict:
    """What `station audit resident` prints; reporting's HTTP timeline answers the same.
    `seal_checks`: per service, the signature check of its streams (shared.signing)."""
    streams = [(service, stream_id, [e.to_dict() for e in store.read_stream(stream_id)],
                store.verify(stream_id, (seal_checks or {}).get(service)))
               for service, store in stores.items()
               for stream_id in _streams_about(store, resident_id)]
    return timeline.assemble(resident_id, streams, as_of)


def rebuild_projections(service: str, store: EventStore) -> int | None:
    """Fold the service's events into fresh read models; None if it keeps none."""
    try:
        module = importlib.import_module(f"services.{service}.projections")
    except ModuleNotFoundError:
        return None
    rebuild = getattr(module, "rebuild", None)
    return rebuild(store) if rebuild else None


def table_snapshot(engine: sa.Engine, metadata: sa.MetaData) -> dict[str, list[tuple]]:
    """Every projection row, sorted: two equal snapshots mean two equal read models."""
    with engine.connect() as conn:
        return {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)))
                for t in metadata.sorted_tables}
