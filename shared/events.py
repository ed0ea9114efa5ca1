"""Event vocabulary shared by every service: the envelope, new events, the schema registry.

A *stream* is the history of one aggregate (a resident, a case); a *stream version*
counts its events from 1; a *position* numbers every event of one store densely from 1
in the order they became visible, which is the order subscribers and rebuilds read.

Every event type is registered with a marshmallow schema. The store refuses an unknown
type or an invalid payload before it writes anything, and upcasters turn payloads
stored under an old schema version into the current one when they are read.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import marshmallow

from shared.clock import utcnow  # noqa: F401  (re-exported: one clock)


class UnknownEventType(ValueError):
    """The type is not in the registry: nothing was written."""


class InvalidEvent(ValueError):
    """The payload does not match its schema: nothing was written."""

    def __init__(self, event_type: str, errors: Mapping[str, Any]):
        super().__init__(f"{event_type}: {errors}")
        self.event_type = event_type
        self.errors = errors




def iso(moment: datetime) -> str:
    """Canonical UTC text for a moment: sortable as text, the same on every backend."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclasses.dataclass(frozen=True)
class NewEvent:
    """An event a decision produced, not yet stored."""

    type: str
    payload: Mapping[str, Any]
    event_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    station_id: str | None = None
    occurred_at: datetime | None = None
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Recorded:
    """A stored event: the envelope every reader and subscriber sees."""

    event_id: str
    stream_id: str
    stream_version: int
    position: int | None
    type: str
    schema_version: int
    station_id: str | None
    occurred_at: str
    recorded_at: str
    actor: str | None
    correlation_id: str | None
    causation_id: str | None
    payload: dict
    prev_hash: str
    hash: str
    # Ed25519 signature of `hash` by the storing service (shared.signing); None before signing.
    signature: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Recorded":
        return cls(**{f.name: data.get(f.name) for f in dataclasses.fields(cls)})


Upcaster = Callable[[dict], dict]


@dataclasses.dataclass(frozen=True)
class EventType:
    name: str
    schema: marshmallow.Schema
    version: int = 1
    upcasters: Mapping[int, Upcaster] = dataclasses.field(default_factory=dict)


class Registry:
    """Event types one store accepts, each with its schema and upcasters.

    >>> registry = Registry()
    >>> registry.register("VisitRecorded", VisitRecordedSchema, version=2,
    ...                   upcasters={1: lambda p: {**p, "method": "home"}})
    """

    def __init__(self) -> None:
        self._types: dict[str, EventType] = {}

    def register(self, name: str, schema: type[marshmallow.Schema] | marshmallow.Schema,
                 version: int = 1, upcasters: Mapping[int, Upcaster] | None = None) -> None:
        instance = schema() if isinstance(schema, type) else schema
        self._types[name] = EventType(name, instance, version, dict(upcasters or {}))

    def merge(self, other: "Registry") -> "Registry":
        merged = Registry()
        merged._types = {**self._types, **other._types}
        return merged

    def __contains__(self, name: str) -> bool:
        return name in self._types

    def names(self) -> list[str]:
        return sorted(self._types)

    def get(self, name: str) -> EventType:
        try:
            return self._types[name]
        except KeyError:
            raise UnknownEventType(name) from None

    def validate(self, name: str, payload: Mapping[str, Any]) -> dict:
        """The payload as JSON-ready data, or InvalidEvent."""
        schema = self.get(name).schema
        try:
            loaded = schema.load(payload)
        except marshmallow.ValidationError as err:
            raise InvalidEvent(name, err.messages) from None
        # Fields a permissive schema (unknown=INCLUDE) lets through are kept as given.
        extra = {k: v for k, v in loaded.items() if k not in schema.fields}
        return {**extra, **schema.dump(loaded)}

    def upcast(self, name: str, version: int, payload: dict) -> tuple[int, dict]:
        """Raise a stored payload to the current schema version, one step at a time."""
        event_type = self._types.get(name)
        if event_type is None:
            return version, payload
        while version < event_type.version:
            payload = event_type.upcasters[version](payload)
            version += 1
        return version, payload
