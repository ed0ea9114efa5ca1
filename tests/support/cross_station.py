"""The cross-station test every service runs over every operation of its OpenAPI document.

A service's test module declares, per operation, how to ask about another station's
thing (ACROSS: (method, path) -> ids -> (path, body, the id the 404 names)); these
helpers then check that a caller who may do everything at their own station gets,
about the other station's thing, exactly the 404 an unknown thing gets (word for word
but the id) and that nothing is written:

    DOCUMENT, OPERATIONS = operations(CaseworkService, "casework")
    refused_like_unknown(api, method, path, ACROSS, theirs, UNKNOWN, OUTSIDER, OWNER, written)
"""
from __future__ import annotations

import json
from typing import Callable

from shared.openapi import spec_for

Across = Callable[[dict], tuple[str, dict | None, str]]


def operations(service_class, name: str) -> tuple[dict, list[tuple[str, str]]]:
    """The service's OpenAPI document and its (METHOD, path) operations, sorted."""
    document = spec_for(service_class, name)
    return document, sorted((method.upper(), path) for path, item in document["paths"].items()
                            for method in item)


def public_operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method, operation in item.items() if not operation["security"]}


def listing(resource: str) -> Across:
    """A list of the other station: ?station_id= names it."""
    return lambda t: (f"/{resource}?station_id={t['station']}", None, "station")


def on(resource: str, key: str, suffix: str = "", body: dict | None = None) -> Across:
    """A request on the other station's thing `key`: /resource/<id><suffix>."""
    return lambda t: (f"/{resource}/{t[key]}{suffix}", body, key)


def same_body_but_the_id(seen: dict, unknown: dict, names: dict, unknown_ids: dict) -> bool:
    text = json.dumps(unknown, ensure_ascii=False)
    for key, value in unknown_ids.items():
        text = text.replace(value, names[key])
    return json.loads(text) == seen


def refused_like_unknown(api, method: str, path: str, across: dict[tuple[str, str], Across],
                         theirs: dict, unknown_ids: dict, outsider: str, owner: str,
                         written: Callable[[], int]) -> None:
    """The outsider's request about the other station's thing is the 404 of an unknown
    one, naming the id, in both languages, and writes nothing; a GET is the owner's."""
    assert (method, path) in across, "give this endpoint a cross-station request"
    target, body, named = across[(method, path)](theirs)
    before = written()
    status, refused = api(method, target, body, token=outsider)
    assert status == 404, refused
    assert theirs[named] in refused["error"]["message"]
    assert refused["error"]["message_zh"]
    unknown_target, unknown_body, _ = across[(method, path)](unknown_ids)
    status, unknown = api(method, unknown_target, unknown_body, token=outsider)
    assert status == 404 and same_body_but_the_id(refused, unknown, theirs, unknown_ids), (
        refused, unknown)
    assert written() == before
    if method == "GET":  # the same request is the owner's to make
        status, shown = api(method, target, token=owner)
        assert status == 200, shown


def same_for_everyone(api, method: str, path: str, outsider: str, owner: str) -> None:
    """An operation that is not about one station (a vocabulary) answers both alike."""
    ours = api(method, path.removeprefix("/api/v1"), token=outsider)
    assert ours[0] == 200 and ours == api(method, path.removeprefix("/api/v1"), token=owner)


def unauthenticated_everywhere(api, across: dict[tuple[str, str], Across], ours: dict,
                               valid: str) -> None:
    """Without a token, or with a forged one, every guarded operation is 401."""
    forged = valid[:-6] + ("AAAAAA" if not valid.endswith("AAAAAA") else "BBBBBB")
    for method, path in across:
        target, body, _ = across[(method, path)](ours)
        for bad in (None, forged):
            status, refused = api.as_(bad)(method, target, body)
            assert status == 401 and refused["error"]["message_zh"], (method, path, refused)


def lists_only_the_callers_stations(api, path: str, outsider: str, owner: str,
                                    both: str) -> None:
    """Each station's caller lists its own station's rows only (st-1 and st-2); a caller
    whose scope covers both lists both."""
    for who, station in ((outsider, "st-1"), (owner, "st-2")):
        status, page = api("GET", path, token=who)
        assert status == 200, page
        assert page["items"] and {i["station_id"] for i in page["items"]} == {station}
    _, page = api("GET", path, token=both)
    assert {i["station_id"] for i in page["items"]} == {"st-1", "st-2"}
