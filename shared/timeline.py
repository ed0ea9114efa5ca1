"""One resident's events from every service, in time order, each stream's hash chain checked.

Shared by the offline `station audit resident` (station.audit, reading the stores) and
reporting's `GET /residents/{id}/timeline` (reading the streams back over RPC), so the
two answers agree by construction: the same streams, the same events, the same checks.

A stream is about the resident if one of its events names them (`resident_id`, or in
`resident_ids`), or it is their own (`resident-`, `access-`, `erasure-<id>`). Within
such a stream an event is shown unless it names someone else. Personal fields are left
out (the auditor needs the who, when and what, not the name and ID number) unless the
caller may see one that is stored in clear (`reveal`).
"""
from __future__ import annotations

from typing import Iterable, Mapping

from shared import hashchain

PERSONAL = frozenset({"name", "id_number", "phone", "address", "birth_date", "household",
                      "notes", "findings"})
OWN_PREFIXES = ("resident-", "access-", "erasure-")


def own_stream(stream_id: str, resident_id: str) -> bool:
    return stream_id in {f"{prefix}{resident_id}" for prefix in OWN_PREFIXES}


def names(payload: Mapping, resident_id: str) -> bool:
    """Does the payload name this resident?"""
    return payload.get("resident_id") == resident_id or \
        resident_id in (payload.get("resident_ids") or ())


def shows(event: Mapping, resident_id: str) -> bool:
    """Is this event of a stream about the resident shown in their timeline?"""
    payload = event["payload"]
    if own_stream(event["stream_id"], resident_id):
        return True
    if "resident_id" in payload or "resident_ids" in payload:
        return names(payload, resident_id)
    return True   # e.g. a case's assessment: the case is the resident's


def about(events: Iterable[Mapping], stream_id: str, resident_id: str) -> bool:
    return own_stream(stream_id, resident_id) or any(names(e["payload"], resident_id)
                                                     for e in events)


def check(events: list[Mapping], seal_check=None) -> list[dict]:
    """The stream's first problem: its hash chain, then (`seal_check`, shared.signing's
    first_unsealed bound to a service and keyring) its signatures."""
    problem = hashchain.first_break(events)
    if problem is None and seal_check is not None:
        problem = seal_check(events)
    return [problem] if problem else []


def _entry(service: str, event: Mapping, verified: bool, reveal: frozenset) -> dict:
    hidden = PERSONAL - reveal
    return {"service": service, "stream_id": event["stream_id"],
            "version": event["stream_version"], "type": event["type"],
            "recorded_at": event["recorded_at"], "occurred_at": event["occurred_at"],
            "actor": event["actor"], "station_id": event["station_id"], "verified": verified,
            "payload": {k: v for k, v in event["payload"].items() if k not in hidden}}


Stream = tuple[str, str, list[Mapping], "list[dict] | None"]


def assemble(resident_id: str, streams: Iterable[Stream], as_of: str | None = None,
             reveal: Iterable[str] = ()) -> dict:
    """`streams`: (service, stream_id, the stream's events as dicts in version order, the
    problems its store found or None to check the chain here).

    -> {"resident_id", "verified", "erased", "streams": [...], "events": [...]}; with
    `as_of` (ISO text) only events recorded by then are listed, the chains are checked
    whole."""
    reveal, listed, checked = frozenset(reveal), [], []
    for service, stream_id, events, problems in streams:
        if not about(events, stream_id, resident_id):
            continue
        if problems is None:
            problems = check(events)
        checked.append({"service": service, "stream_id": stream_id,
                        "verified": not problems, "problems": problems})
        listed += [_entry(service, e, not problems, reveal) for e in events
                   if shows(e, resident_id) and (as_of is None or e["recorded_at"] <= as_of)]
    listed.sort(key=lambda e: (e["recorded_at"], e["service"], e["stream_id"], e["version"]))
    checked.sort(key=lambda s: (s["service"], s["stream_id"]))
    return {"resident_id": resident_id, "verified": all(s["verified"] for s in checked),
            "erased": any(e["type"] == "KeyDestroyed" for e in listed),
            "streams": checked, "events": listed}
