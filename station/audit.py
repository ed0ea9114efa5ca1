"""Operators' views over the stores: an auditor's replay of one resident, projection rebuilds.

`resident_timeline` gathers every service's events about one resident, in time order,
and checks the hash chain of every stream they come from, so an auditor sees both what
happened and whether the record can be trusted. Personal fields are left out: the
auditor needs the who, when and what, not the name and ID number.
"""
from __future__ import annotations

import importlib

import sqlalchemy as sa

from shared.eventstore import EventStore

PERSONAL = frozenset({"name", "id_number", "phone", "address", "birth_date", "household",
                      "notes", "findings"})


def _streams_about(store: EventStore, resident_id: str) -> list[str]:
    """Streams holding an event whose payload names the resident (or the resident's own)."""
    needle = f'%"resident_id":"{resident_id}"%'
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT DISTINCT stream_id FROM events WHERE payload LIKE :n OR stream_id = :own "
            "OR stream_id = :access"),
            {"n": needle, "own": f"resident-{resident_id}", "access": f"access-{resident_id}"})
        return sorted(r[0] for r in rows)


def resident_timeline(stores: dict[str, EventStore], resident_id: str,
                      seal_checks: dict | None = None) -> dict:
    """`seal_checks`: per service, the signature check of its streams (shared.signing)."""
    events, streams = [], []
    for service, store in stores.items():
        for stream_id in _streams_about(store, resident_id):
            problems = store.verify(stream_id, (seal_checks or {}).get(service))
            streams.append({"service": service, "stream_id": stream_id,
                            "verified": not problems, "problems": problems})
            for event in store.read_stream(stream_id):
                if event.payload.get("resident_id", resident_id) != resident_id \
                        and stream_id != f"resident-{resident_id}":
                    continue
                events.append({
                    "service": service, "stream_id": stream_id, "version": event.stream_version,
                    "type": event.type, "recorded_at": event.recorded_at,
                    "occurred_at": event.occurred_at, "actor": event.actor,
                    "station_id": event.station_id, "verified": not problems,
                    "payload": {k: v for k, v in event.payload.items() if k not in PERSONAL}})
    events.sort(key=lambda e: (e["recorded_at"], e["service"], e["version"]))
    return {"resident_id": resident_id, "verified": all(s["verified"] for s in streams),
            "streams": streams, "events": events}


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
