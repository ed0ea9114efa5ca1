"""The access trail: every read of a resident's record is itself an event.

The reading service records `ResidentRecordRead` in its own store, on the stream
`access-<resident_id>`, so the trail is hash-chained like everything else and reaches
the bus (the reporting service can build the weekly digest per station from it).

    access_log.register(registry)                       # services/<name>/events.py, once
    reason = access_log.require_reason(access_log.reason_of(request), card, categories)
    access_log.record_access(store, who, resident_id, station_id, reason, ["id_number"])

A reason (`X-Access-Reason`) is required to read a Red-card record or a child's record.
"""
from __future__ import annotations

import re
import urllib.parse
from datetime import datetime
from typing import Iterable

import marshmallow
from marshmallow import fields as f

from shared.errors import Forbidden, ValidationFailed
from shared.inputs import CONTROL_MESSAGE, has_control
from shared.events import NewEvent, Recorded, Registry, iso, utcnow
from shared.eventstore import ConcurrencyError, EventStore
from shared.security.principal import Principal

EVENT = "ResidentRecordRead"
REASON_HEADER = "X-Access-Reason"
MAX_REASON = 500
CHILD_CATEGORIES = frozenset({"child_in_difficulty", "left_behind_child"})
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class ResidentRecordReadSchema(marshmallow.Schema):
    resident_id = f.String(required=True)
    station_id = f.String(required=True, allow_none=True)
    reader = f.String(required=True)
    role = f.String(required=True)
    reason = f.String(required=True, allow_none=True)
    read_fields = f.List(f.String(), load_default=list, data_key="fields")
    at = f.String(required=True)


def register(registry: Registry) -> Registry:
    """Add ResidentRecordRead to a service's registry (its store must accept it)."""
    registry.register(EVENT, ResidentRecordReadSchema)
    return registry


def stream_of(resident_id: str) -> str:
    return f"access-{resident_id}"


def reason_required(card: str | None, categories: Iterable[str] = ()) -> bool:
    """True for a Red-card record or a child's record."""
    return card == "red" or bool(CHILD_CATEGORIES & set(categories or ()))


def reason_of(request) -> str | None:
    """The X-Access-Reason header as text (UTF-8 or percent-encoded), or None."""
    raw = request.headers.get(REASON_HEADER)
    if raw is None:
        return None
    try:
        raw = raw.encode("latin-1").decode("utf-8")  # WSGI hands headers over as latin-1
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    reason = urllib.parse.unquote(raw).strip()
    if has_control(reason):
        # `%00`, an escape code, a bare line break: not a reason anyone wrote. Control
        # characters around nothing else count as no reason (403 where one is needed);
        # inside words they make the header malformed (400).
        if not CONTROL_OR_SPACE.sub("", reason):
            return None
        raise ValidationFailed(
            f"{REASON_HEADER} contains a control character",
            f"{REASON_HEADER} 含有控制字符", fields={REASON_HEADER: [CONTROL_MESSAGE]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"{REASON_HEADER} is longer than {MAX_REASON} characters",
            f"{REASON_HEADER} 超过 {MAX_REASON} 个字符", fields={REASON_HEADER: ["too long"]})
    return reason or None


def require_reason(reason: str | None, card: str | None,
                   categories: Iterable[str] = ()) -> str | None:
    """The reason, or Forbidden if this record needs one and none was given."""
    if not reason and reason_required(card, categories):
        raise Forbidden(
            f"Reading a Red-card or child's record requires a reason: "
            f"send the {REASON_HEADER} header",
            f"查阅红卡或儿童档案须说明理由：请在请求头 {REASON_HEADER} 中填写查阅原因",
            code="reason_required")
    return reason


def record_access(store: EventStore, principal: Principal, resident_id: str,
                  station_id: str | None, reason: str | None, fields: Iterable[str] = (),
                  conn=None, now: datetime | None = None, attempts: int = 5) -> Recorded:
    """Append ResidentRecordRead to `access-<resident_id>` (in `conn`'s transaction if given).

    Concurrent reads of one resident race for the next stream version; the loser
    retries with the same event id, so the read is recorded exactly once.
    """
    now = now or utcnow()
    event = NewEvent(EVENT, {"resident_id": resident_id, "station_id": station_id,
                             "reader": principal.username, "role": principal.role,
                             "reason": reason, "fields": list(fields), "at": iso(now)},
                     station_id=station_id, occurred_at=now, actor=principal.username)
    for attempt in range(attempts):
        try:
            if conn is not None:
                return _append_next(store, event, conn, now)
            with store.engine.begin() as own:
                return _append_next(store, event, own, now)
        except ConcurrencyError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _append_next(store: EventStore, event: NewEvent, conn, now: datetime) -> Recorded:
    stream = stream_of(event.payload["resident_id"])
    version = store.stream_version(stream, conn=conn)
    return store.append(stream, version, [event], conn=conn, now=now)[0]


def access_trail(store: EventStore, resident_id: str) -> list[dict]:
    """Who read the resident's record, when, which fields and why, oldest first."""
    return [dict(e.payload) for e in store.read_stream(stream_of(resident_id))]
