"""Tamper evidence: every stream is a SHA-256 hash chain.

hash(n) = SHA-256(hash(n-1) || canonical(event n)), with the genesis hash all zeros.
An edited payload, a deleted event or two swapped events all break the chain at the
first event concerned, which `verify` names.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

import orjson

GENESIS = "0" * 64

# The fields that are sealed. Position is assigned after commit and so is not sealed.
SEALED = ("event_id", "stream_id", "stream_version", "type", "schema_version", "station_id",
          "occurred_at", "recorded_at", "actor", "correlation_id", "causation_id", "payload")


def canonical(event: Mapping[str, Any]) -> bytes:
    return orjson.dumps({k: event[k] for k in SEALED}, option=orjson.OPT_SORT_KEYS)


def chain(prev_hash: str, event: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(event)).hexdigest()


def first_break(stream: Iterable[Mapping[str, Any]]) -> dict | None:
    """The first problem in one stream's events (ordered by version), or None.

    Returns {"stream_id", "version", "problem"} where problem is one of
    "missing" (a version is absent), "altered" (the event does not match its own seal)
    or "reordered" (the event is sealed, but onto another predecessor).
    """
    expected_version, prev = 1, GENESIS
    for event in stream:
        where = {"stream_id": event["stream_id"], "version": event["stream_version"]}
        if event["stream_version"] != expected_version:
            return {**where, "version": expected_version, "problem": "missing"}
        if chain(event["prev_hash"], event) != event["hash"]:
            return {**where, "problem": "altered"}
        if event["prev_hash"] != prev:
            return {**where, "problem": "reordered"}
        expected_version, prev = expected_version + 1, event["hash"]
    return None
