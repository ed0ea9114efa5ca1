"""`station users disable|enable|reset-password` against a running residents service: a
disabled user's token stops working within seconds, log-ins are refused, enabling lets
them log in again (the old token stays dead), a new password retires older tokens."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.support.auth import PASSWORD, People, call, login
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

STATION = "station:xihulu-station"


def station_users(env: dict, *args: str, password: str | None = None):
    return subprocess.run([sys.executable, "-m", "station.cli", "users", *args, "--data-dir",
                           env["STATION_DATA_DIR"]], input=password, capture_output=True,
                          text=True, env=env, timeout=120)


def residents(base: str, token: str) -> int:
    return call(base, "GET", "/api/v1/residents", token=token)[0]


def test_a_disabled_users_token_stops_working_within_seconds(services, service_env):
    services.start("residents")
    base, people = services.url("residents"), People(service_env)
    token = people.token(base, "li.na", "social_worker", STATION)
    assert residents(base, token) == 200

    done = station_users(service_env, "disable", "li.na", "--reason", "left the station")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"username": "li.na", "disabled": True}
    started = time.monotonic()
    wait_until(lambda: residents(base, token) == 401, timeout=10, every=0.2,
               what="the disabled user's token to be refused")
    print(f"token refused {time.monotonic() - started:.1f} s after `station users disable`")
    status, body = call(base, "GET", "/api/v1/residents", token=token)
    assert body["error"]["code"] == "token_revoked" and "停用" in body["error"]["message_zh"]
    assert call(base, "POST", "/api/v1/auth/token",
                {"username": "li.na", "password": PASSWORD})[0] == 401

    assert station_users(service_env, "enable", "li.na").returncode == 0
    fresh = login(base, "li.na")
    assert residents(base, fresh) == 200
    assert residents(base, token) == 401                 # the old one stays refused

    done = station_users(service_env, "reset-password", "li.na", password="a new password\n")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: residents(base, fresh) == 401, timeout=10, every=0.2,
               what="tokens from before the new password to be refused")
    assert login(base, "li.na", "a new password")
    types = [e.type for e in people.users.history("li.na")]
    assert types == ["UserAdded", "UserDisabled", "UserEnabled", "PasswordChanged"]
    people.close()


def test_an_unknown_user_is_an_error_that_changes_nothing(service_env):
    done = station_users(service_env, "disable", "nobody")
    assert done.returncode == 1 and "不存在" in done.stderr
