"""The keyed hash of an ID number, for the partner lookup (match without storing or returning it).

    key = keys.lookup_key(config)              # STATION_LOOKUP_KEY or {data_dir}/lookup-key
    digest = keyed_hash("52010219500101123x", key)

A plain SHA-256 of an 18-digit ID number is reversible by enumeration (birth dates and
region codes are few); an HMAC with a secret key is not, without the key.

Guarding it (the second half of this module). The lookup answers "is this ID number
known here" across streets, so a caller who can ask freely can enumerate (ID numbers are
a birth date, a region and a short serial).
Hence: a caller whose scopes name a street, station or district that does not exist is
refused (a made-up scope is no partner); each caller gets LOOKUP_RATE lookups per window
(STATION_LOOKUP_RATE "count/seconds", default 10 per 60 s; 429 beyond, with the seconds to
wait); every lookup performed, hit or miss, is an event `PartnerLookupMade` in the stream
`lookups-<caller>` (keyed hash of the number, never the number). Refused and throttled
requests write nothing (the API's rule) but count against the caller's allowance.

The allowance is kept in the service process: with several replicas behind a balancer
the rate a caller gets is the per-replica rate times the replicas (sticky routing by
token, or few replicas for the residents service, keep it tight).
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque
from datetime import datetime
from typing import Callable, Iterable

import marshmallow
from marshmallow import fields as f

from shared.errors import ApiError, Forbidden
from shared.events import NewEvent, Recorded, Registry, iso, utcnow
from shared.eventstore import ConcurrencyError, EventStore
from shared.security.principal import Principal, parse_scope


def normalise_id_number(id_number: str) -> str:
    """The canonical form both sides hash: no spaces, upper-case check letter X."""
    return "".join(id_number.split()).upper()


def keyed_hash(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised ID number, as 64 hex digits."""
    if not key:
        raise ValueError("empty lookup key")
    return hmac.new(key, normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()


# -- guarding the lookup: who may ask, how often, and the trail of every answer -----------

EVENT = "PartnerLookupMade"
DEFAULT_RATE = "10/60"


class TooManyLookups(ApiError):
    status, code = 429, "too_many_lookups"
    message, message_zh = "Too many lookups: wait and try again", "查询过于频繁，请稍后再试"


class PartnerLookupMadeSchema(marshmallow.Schema):
    reader = f.String(required=True)
    role = f.String(required=True)
    scopes = f.List(f.String(), required=True)
    outcome = f.String(required=True, validate=marshmallow.validate.OneOf(("hit", "miss")))
    id_hash = f.String(required=True)
    resident_id = f.String(required=True, allow_none=True)
    station_id = f.String(required=True, allow_none=True)
    at = f.String(required=True)


def register(registry: Registry) -> Registry:
    """Add PartnerLookupMade to the registry of the service answering lookups."""
    registry.register(EVENT, PartnerLookupMadeSchema)
    return registry


def stream_of(reader: str) -> str:
    return f"lookups-{reader}"


def parse_rate(text: str | None) -> tuple[int, float]:
    count, _, seconds = (text or DEFAULT_RATE).partition("/")
    return int(count), float(seconds or 60)


class Throttle:
    """At most `count` lookups per caller in any `seconds` (a sliding window)."""

    def __init__(self, count: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> None:
        """Count one lookup by `caller`, or raise TooManyLookups (counted all the same,
        so hammering keeps the window shut)."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(caller, deque())
            while seen and seen[0] <= now - self.seconds:
                seen.popleft()
            seen.append(now)
            if len(seen) > self.count:
                while len(seen) > self.count * 2:  # bounded memory while hammered
                    seen.popleft()
                wait = max(1, round(seen[-self.count] + self.seconds - now))
                raise TooManyLookups(fields={}, retry_after_s=wait)


def check_scopes_exist(principal: Principal, exists: Callable[[str, str], bool]) -> None:
    """Forbidden unless every scope of the caller names a node of the organisation tree."""
    unknown = [s for s in principal.scopes if not exists(*parse_scope(s))]
    if unknown or not principal.scopes:
        raise Forbidden("Your scope names no known street, station or district",
                        "您的权限范围不是已登记的街道、社工站或区", code="scope_unknown",
                        fields={"scopes": unknown})


def record_lookup(store: EventStore, principal: Principal, id_hash: str,
                  resident_id: str | None, station_id: str | None,
                  now: datetime | None = None, attempts: int = 5) -> Recorded:
    """Append PartnerLookupMade to `lookups-<caller>`, retrying a concurrent append."""
    now = now or utcnow()
    event = NewEvent(EVENT, {"reader": principal.username, "role": principal.role,
                             "scopes": list(principal.scopes),
                             "outcome": "hit" if resident_id else "miss", "id_hash": id_hash,
                             "resident_id": resident_id, "station_id": station_id,
                             "at": iso(now)},
                     station_id=station_id, occurred_at=now, actor=principal.username)
    stream = stream_of(principal.username)
    for attempt in range(attempts):
        try:
            return store.append(stream, store.stream_version(stream), [event], now=now)[0]
        except ConcurrencyError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def lookups_by(store: EventStore, reader: str) -> Iterable[dict]:
    """The lookups one caller made, oldest first (for auditors)."""
    return [dict(e.payload) for e in store.read_stream(stream_of(reader))]
