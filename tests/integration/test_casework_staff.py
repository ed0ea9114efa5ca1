"""A case is handed only to staff of its station: opening it for, or transferring it to,
a user whose scopes do not cover the station (or a disabled one) is a 400 naming the
field, and nothing is written."""
from __future__ import annotations

import pytest

from tests.integration.casework_support import Api, ResidentsFeed, token
from tests.support.auth import PASSWORD, identity_config
from shared.security.users import close_users, open_users

pytestmark = pytest.mark.integration


@pytest.fixture
def api(services, service_env):
    users = open_users(identity_config(service_env))
    users.add("qian", PASSWORD, "social_worker", ["station:st-1"])
    users.add("zhao", PASSWORD, "social_worker", ["station:st-2"])
    users.add("sun", PASSWORD, "social_worker", ["station:st-1"])
    users.disable("sun")
    services.start("casework")
    feed = ResidentsFeed(service_env)
    feed.register("res-1", "st-1")
    feed.deliver(service_env)
    yield Api(f"{services.url('casework')}/api/v1", token("wang", "social_worker"))
    feed.close()
    close_users()


def test_a_case_goes_only_to_staff_of_its_station(api):
    opening = {"resident_id": "res-1", "domain": "elderly", "problem": "Lives alone",
               "station_id": "st-1"}
    status, body = api("POST", "/cases", {**opening, "worker": "zhao"})
    assert status == 400 and "worker" in body["error"]["fields"], body
    assert "不是" in body["error"]["message_zh"]
    assert api("GET", "/cases")[1]["items"] == []                  # nothing was written

    status, case = api("POST", "/cases", {**opening, "worker": "qian"})
    assert status == 201, case
    for other in ("zhao", "sun"):                                  # another station; disabled
        status, body = api("POST", f"/cases/{case['id']}/transfer", {"to_worker": other})
        assert status == 400 and "to_worker" in body["error"]["fields"], body
    assert api("POST", f"/cases/{case['id']}/transfer", {"to_worker": "wang"})[0] == 200
    status, shown = api("GET", f"/cases/{case['id']}")
    assert status == 200 and shown["worker"] == "wang", shown
