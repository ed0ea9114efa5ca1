"""What `self.auth` does with a request: 401 without a good token, 403 without the
permission, 404 outside the scope, masking by role."""
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.errors import Forbidden, NotFound, Unauthorized
from shared.security import scope, tokens
from shared.security.nameko import Gate
from shared.security.principal import Principal

KEYS = tokens.SigningKeys.parse("k1:" + "s" * 40)
ORG = scope.org_from({"s1": ("t1", "d1"), "s2": ("t2", "d1")})
WORKER = Principal("li.na", "social_worker", ("station:s1",))
LEADER = Principal("wang", "street_leader", ("street:t1",))
RESIDENT = {"id": "r1", "station_id": "s1", "card": "red", "categories": [],
            "id_number": "520102195001011234", "phone": "13812345678"}


def gate() -> Gate:
    return Gate(KEYS, {})


def request(token: str | None = None, scheme: str = "Bearer", **headers) -> Request:
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    return Request(EnvironBuilder(path="/api/v1/residents/r1", headers=headers).get_environ())


def test_a_request_with_a_valid_bearer_token_has_its_principal():
    assert gate().principal(request(tokens.issue(WORKER, KEYS))) == WORKER


def test_the_scheme_is_case_insensitive():
    assert gate().principal(request(tokens.issue(WORKER, KEYS), scheme="bearer")) == WORKER


@pytest.mark.parametrize("req", [request(), request("x.y.z"), request("", scheme="Bearer"),
                                 request("abc", scheme="Basic")])
def test_no_or_a_bad_token_is_unauthorized(req):
    with pytest.raises(Unauthorized) as err:
        gate().principal(req)
    assert err.value.status == 401 and err.value.message_zh


def test_an_expired_token_is_unauthorized():
    old = tokens.issue(WORKER, KEYS, ttl=60, now=datetime.now(timezone.utc) - timedelta(hours=1))
    with pytest.raises(Unauthorized):
        gate().require(request(old), "residents.read")


def test_a_role_without_the_permission_is_forbidden():
    with pytest.raises(Forbidden) as err:
        gate().require(request(tokens.issue(WORKER, KEYS)), "card.override")
    assert "card.override" in err.value.message and err.value.status == 403


def test_a_role_with_the_permission_passes_and_gets_the_principal():
    assert gate().require(request(tokens.issue(LEADER, KEYS)), "reports.rollup") == LEADER


def test_another_stations_record_is_not_found():
    with pytest.raises(NotFound):
        gate().visible({**RESIDENT, "station_id": "s2"}, WORKER, ORG)
    with pytest.raises(NotFound):
        gate().require_station(WORKER, "s2", ORG)


def test_a_red_card_record_needs_a_reason_header():
    with pytest.raises(Forbidden):
        gate().reason(request(tokens.issue(WORKER, KEYS)), "red", [])
    assert gate().reason(request(tokens.issue(WORKER, KEYS), **{"X-Access-Reason": "visit"}),
                         "red", []) == "visit"


def test_records_are_masked_by_role():
    assert gate().masked(RESIDENT, WORKER)["phone"] == "13812345678"
    assert gate().masked(RESIDENT, LEADER)["phone"] == "138****5678"
