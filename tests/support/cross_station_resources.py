"""The cross-station check every service's access-control test runs over each operation
of its OpenAPI document: a caller whose role may do everything, scoped to another
station, asks about the owner's thing and gets the 404 an unknown thing gets — word for
word but the id — with nothing written; the owner may make the same read.

    OPERATIONS = operations(DOCUMENT)
    check = CrossStation(ACROSS, UNKNOWN, outsider=OUTSIDER, owner=OWNER)
    check(world.api, method, path, world.theirs, stored=world.events)

ACROSS maps (method, documented path) to `things -> (path, body, the thing the 404
names)`, where `things` are the owner's ids (or UNKNOWN's, ids that exist nowhere).
"""
from __future__ import annotations

import dataclasses
import json
from typing import Callable, Mapping

Request = Callable[[Mapping[str, str]], tuple[str, dict | None, str]]


def operations(document: dict) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation of the document, sorted."""
    return sorted((method.upper(), path) for path, item in document["paths"].items()
                  for method in item)


def public_operations(document: dict) -> set[tuple[str, str]]:
    """The operations the document lists without security (no token needed)."""
    return {(m, p) for m, p in operations(document)
            if not document["paths"][p][m.lower()]["security"]}


def same_body_but_the_id(seen: dict, unknown: dict, names: Mapping[str, str],
                         unknown_ids: Mapping[str, str]) -> bool:
    """Is `seen` (about the owner's things) `unknown` with only the ids swapped?"""
    text = json.dumps(unknown, ensure_ascii=False)
    for key, value in unknown_ids.items():
        text = text.replace(value, names[key])
    return json.loads(text) == seen


@dataclasses.dataclass(frozen=True)
class CrossStation:
    across: Mapping[tuple[str, str], Request]
    unknown: Mapping[str, str]
    outsider: str   # a token whose role may do it all, scoped to another station
    owner: str      # a token of the owner's station

    def __call__(self, api, method: str, path: str, theirs: Mapping[str, str],
                 stored: Callable[[], int]) -> None:
        assert (method, path) in self.across, "give this endpoint a request in ACROSS"
        target, body, named = self.across[(method, path)](theirs)
        before = stored()
        status, refused = api(method, target, body, token=self.outsider)
        assert status == 404, refused
        assert theirs[named] in refused["error"]["message"]
        assert refused["error"]["message_zh"]
        unknown_target, unknown_body, _ = self.across[(method, path)](self.unknown)
        status, unknown = api(method, unknown_target, unknown_body, token=self.outsider)
        assert status == 404 and same_body_but_the_id(refused, unknown, theirs,
                                                      self.unknown), (refused, unknown)
        assert stored() == before
        if method == "GET":  # the same request is the owner's to make
            status, shown = api(method, target, token=self.owner)
            assert status == 200, shown

    def without_a_valid_token(self, api, ours: Mapping[str, str], valid: str) -> None:
        """Every request of ACROSS, on the caller's own things, with no token and with a
        forged one (`valid` with its signature spoiled): 401, in both languages."""
        forged = valid[:-6] + ("AAAAAA" if not valid.endswith("AAAAAA") else "BBBBBB")
        for method, path in self.across:
            target, body, _ = self.across[(method, path)](ours)
            for bad in (None, forged):
                status, refused = api.as_(bad)(method, target, body)
                assert status == 401 and refused["error"]["message_zh"], (method, path, refused)


def refused_with_403(api, refusals, stored: Callable[[], int]) -> None:
    """Each (who, their token, method, path, body, error code) is a 403 with that code,
    in both languages, and writes nothing."""
    for who, their_token, method, path, body, code in refusals:
        before = stored()
        status, refused = api(method, path, body, token=their_token)
        assert (status, refused["error"]["code"]) == (403, code), (who, refused)
        assert refused["error"]["message"] and refused["error"]["message_zh"], who
        assert stored() == before, who


def lists_show_only(api, path: str, stations_of: Mapping[str, set[str]]) -> None:
    """GET `path` with each token shows items of exactly its stations (none: empty)."""
    for who, stations in stations_of.items():
        status, page = api("GET", path, token=who)
        assert status == 200, page
        assert {i["station_id"] for i in page["items"]} == stations, (path, stations, page)
