"""Users and bearer tokens for tests that call the services over HTTP.

The service subprocesses and the test process share the signing keys and the lookup key:
`service_env` (tests/conftest.py) sets STATION_JWT_KEYS and STATION_LOOKUP_KEY to the
values below. Users are added straight into the identity store the services read
(shared.security.users, in the test's data directory or database), then log in through
`POST /api/v1/auth/token` as people do.

    people = People(service_env)
    token = people.token(base, "head-a", "station_head", "station:xihulu-station")
    status, body = call(base, "GET", "/api/v1/residents", token=token)
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Mapping

from shared.security import tokens
from shared.security.principal import Principal
from shared.security.users import UserExists, close_users, open_users

TEST_JWT_KEYS = "test-k1:the-signing-secret-of-the-test-suite-0123456789"
TEST_LOOKUP_KEY = "the-lookup-key-of-the-test-suite-0123456789"
TEST_SERVICE_KEY = "the-service-key-of-the-test-suite-0123456789"
PASSWORD = "correct horse battery staple"


def service_rpc(amqp_uri: str, service: str = "tests", timeout: float = 10):
    """A cluster proxy carrying a service credential of the suite's service key."""
    from shared.kit.rpc import rpc_client
    return rpc_client({"AMQP_URI": amqp_uri, "STATION_SERVICE_KEY": TEST_SERVICE_KEY},
                      service=service, timeout=timeout)


def person_rpc(amqp_uri: str, token: str, timeout: float = 10):
    """A cluster proxy carrying a person's bearer token."""
    from shared.kit.rpc import rpc_client
    return rpc_client({"AMQP_URI": amqp_uri}, token=token, timeout=timeout)


def identity_config(env: Mapping[str, str]) -> dict:
    """Where the services of `env` keep their users."""
    return {"DATABASE_URL": env.get("DATABASE_URL") or None,
            "STATION_DATA_DIR": env["STATION_DATA_DIR"]}


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None,
         reason: str | None = None, headers: Mapping[str, str] | None = None) -> tuple[int, dict]:
    """One JSON request: (status, body). `reason` goes in X-Access-Reason (percent-encoded)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if reason is not None:
        sent["X-Access-Reason"] = urllib.parse.quote(reason)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            if response.headers.get_content_type() not in ("application/json", "text/plain") \
                    and raw[:1] not in (b"{", b"["):   # a file (an XLSX template): its size
                return response.status, {"content_type": response.headers.get_content_type(),
                                         "bytes": len(raw)}
            return response.status, json.loads(raw or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def login(base: str, username: str, password: str = PASSWORD) -> str:
    status, body = call(base, "POST", "/api/v1/auth/token",
                        {"username": username, "password": password})
    assert status == 200, body
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    return body["access_token"]


def signed_token(username: str, role: str, *scopes: str, ttl: int = 3600) -> str:
    """A token signed with the test keys directly, without a user or a login."""
    return tokens.issue(Principal(username, role, scopes), tokens.SigningKeys.parse(TEST_JWT_KEYS),
                        ttl)


class People:
    """Users of one test's services: added once, each logging in through the API."""

    def __init__(self, env: Mapping[str, str]):
        self.users = open_users(identity_config(env))
        self._tokens: dict[tuple[str, str], str] = {}

    def add(self, username: str, role: str, *scopes: str) -> None:
        try:
            self.users.add(username, PASSWORD, role, scopes, actor="tests")
        except UserExists:
            user = self.users.get(username)
            assert (user.role, user.scopes) == (role, tuple(scopes)), f"{username} exists otherwise"

    def token(self, base: str, username: str, role: str, *scopes: str) -> str:
        """The user's token (added and logged in on first use)."""
        if (base, username) not in self._tokens:
            self.add(username, role, *scopes)
            self._tokens[(base, username)] = login(base, username)
        return self._tokens[(base, username)]

    def close(self) -> None:
        close_users()
