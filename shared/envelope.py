"""Is a delivered message an event envelope at all? Checked before anything reads it.

A subscriber's queue takes whatever anyone on the broker publishes to the source's
exchange. A body that is not an envelope (a list, a number, an object missing fields or
with fields of the wrong type) can never apply, however often it is retried; retried, it
holds the whole stream behind it. So it is parked at once with the reason this module
gives (shared.subscriber), and nothing after it waits.

Signatures (shared.signing) are checked later, on a well-formed envelope: this module
only says whether the body has the shape the relay sends (shared.relay.message_of).
"""
from __future__ import annotations

from typing import Any

# field -> the types it may have (None: may be null)
_TEXT, _OPTIONAL_TEXT = (str,), (str, type(None))
FIELDS: dict[str, tuple[type, ...]] = {
    "event_id": _TEXT, "stream_id": _TEXT, "stream_version": (int,), "position": (int,),
    "type": _TEXT, "schema_version": (int,), "station_id": _OPTIONAL_TEXT,
    "occurred_at": _TEXT, "recorded_at": _TEXT, "actor": _OPTIONAL_TEXT,
    "correlation_id": _OPTIONAL_TEXT, "causation_id": _OPTIONAL_TEXT, "payload": (dict,),
    "prev_hash": _TEXT, "hash": _TEXT, "signature": _OPTIONAL_TEXT,
}
# Fields the relay adds to a message; absent in older messages.
OPTIONAL: dict[str, tuple[type, ...]] = {"store_id": _OPTIONAL_TEXT,
                                         "delivery_signature": _OPTIONAL_TEXT}
_POSITIVE = ("position", "stream_version", "schema_version")


def problem(body: Any) -> str | None:
    """Why `body` is not an event envelope, or None if it is one (in shape and types)."""
    if not isinstance(body, dict):
        return f"not an event envelope: the body is {_kind(body)}, not an object"
    missing = [name for name in FIELDS if name not in body]
    if missing:
        return f"not an event envelope: missing {', '.join(missing)}"
    for name, types in {**FIELDS, **OPTIONAL}.items():
        if name in body and not _is(body[name], types):
            return (f"not an event envelope: {name} is {_kind(body[name])}, "
                    f"expected {' or '.join(_name(t) for t in types)}")
    bad = [name for name in _POSITIVE if body[name] < 1]
    if bad:
        return f"not an event envelope: {', '.join(bad)} must be 1 or more"
    return None


def _is(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # JSON true is not a number here
        return bool in types
    return isinstance(value, types)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean",
            int: "a number", float: "a number", bytes: "bytes",
            type(None): "null"}.get(type(value), type(value).__name__)


def _name(kind: type) -> str:
    return {str: "text", int: "an integer", dict: "an object",
            type(None): "null"}.get(kind, kind.__name__)
