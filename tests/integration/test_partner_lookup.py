"""Must show (issue #9, partner lookup), through HTTP with `station serve residents`:
50 guesses over serial numbers are throttled before they reach a Red-card resident of
another street; every lookup made, hit or miss, is in the trail (PartnerLookupMade,
keyed hash only); a caller whose scope names a station that does not exist is refused."""
from __future__ import annotations

import json

import pytest

from shared.security.lookup import keyed_hash, stream_of
from shared.stores import open_store
from station import catalog
from tests.integration.test_residents_http import answers, valid_id
from tests.support.auth import TEST_LOOKUP_KEY, People, call

pytestmark = pytest.mark.integration

A = "xihulu-station"
LIMIT = 10
BORN = "19400315"


@pytest.fixture
def world(services, service_env):
    service_env["STATION_LOOKUP_RATE"] = f"{LIMIT}/600"
    services.start("residents")
    base = services.url("residents")
    people = People(service_env)
    store = open_store("residents", {"STATION_DATA_DIR": service_env["STATION_DATA_DIR"]},
                       catalog.registry("residents"))
    try:
        admin = people.token(base, "admin", "district_admin", "district:nanming")
        assert call(base, "POST", "/api/v1/org/streets", {"district_id": "nanming",
                    "id": "zhonghua", "name": "中华南路街道"}, admin)[0] == 201
        yield base, people, store
    finally:
        people.close()
        store.engine.dispose()


def red_card_resident(base: str, people: People) -> tuple[str, str]:
    worker = people.token(base, "worker-a", "social_worker", f"station:{A}")
    number = valid_id(BORN, "130")
    status, body = call(base, "POST", "/api/v1/residents", {
        "station_id": A, "community_id": "nanmingtang", "name": "周玉兰", "gender": "female",
        "birth_date": "1940-03-15", "id_number": number, "categories": ["living_alone"]}, worker)
    assert status == 201, body
    resident_id = body["id"]
    status, body = call(base, "POST", f"/api/v1/residents/{resident_id}/assessments",
                        {"domain": "elderly", "answers": answers("elderly", "red")}, worker)
    assert status in (200, 201), body
    return resident_id, number


def trail(store, reader: str) -> list[dict]:
    return [e.payload for e in store.read_stream(stream_of(reader))]


def test_fifty_guesses_are_throttled_and_every_lookup_made_is_in_the_trail(world):
    base, people, store = world
    resident_id, number = red_card_resident(base, people)
    partner = people.token(base, "partner", "partner_office", "street:zhonghua")
    guesses = [valid_id(BORN, f"{serial:03d}") for serial in range(100, 150)]
    assert number in guesses[LIMIT:]          # the real one, beyond the allowance

    answered = [call(base, "POST", "/api/v1/residents/lookup", {"id_number": g}, partner)
                for g in guesses]
    statuses = [status for status, _ in answered]
    assert statuses == [200] * LIMIT + [429] * (len(guesses) - LIMIT)
    assert all(body == {"known": False, "card": None, "station_id": None}
               for _, body in answered[:LIMIT])
    refused = answered[-1][1]["error"]
    assert refused["code"] == "too_many_lookups" and refused["retry_after_s"] > 0
    assert refused["message_zh"]

    made = trail(store, "partner")
    assert [(m["outcome"], m["id_hash"]) for m in made] == [
        ("miss", keyed_hash(g, TEST_LOOKUP_KEY.encode())) for g in guesses[:LIMIT]]
    assert all(m["role"] == "partner_office" and m["scopes"] == ["street:zhonghua"]
               for m in made)
    assert not any(g in json.dumps(made) for g in guesses)   # never the number itself

    # Another caller has an allowance of its own; a hit is in both trails.
    admin = people.token(base, "admin", "district_admin", "district:nanming")
    assert call(base, "POST", "/api/v1/residents/lookup", {"id_number": number}, admin) == (
        200, {"known": True, "card": "red", "station_id": A})
    (hit,) = trail(store, "admin")
    assert (hit["outcome"], hit["resident_id"], hit["station_id"]) == ("hit", resident_id, A)


def test_a_scope_naming_a_station_that_does_not_exist_is_refused_and_nothing_written(world):
    base, people, store = world
    ghost = people.token(base, "ghost", "partner_office", "station:no-such-station")
    before = store.last_position()
    status, body = call(base, "POST", "/api/v1/residents/lookup",
                        {"id_number": valid_id(BORN, "130")}, ghost)
    assert status == 403
    assert body["error"]["code"] == "scope_unknown"
    assert body["error"]["fields"] == {"scopes": ["station:no-such-station"]}
    assert store.last_position() == before and trail(store, "ghost") == []
