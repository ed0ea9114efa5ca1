"""The token endpoint's work: check a user's password, sign a token for them.

    POST /api/v1/auth/token {"username", "password"}
      -> {"access_token", "token_type": "bearer", "expires_in"}      (401 if wrong,
         429 while the account or the caller's address is locked: shared.security.throttle)
"""
from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from typing import Callable, Mapping

import marshmallow
from marshmallow import fields as f, validate

from shared.errors import Unauthorized
from shared.events import utcnow
from shared.security import throttle, tokens
from shared.security.keys import jwt_keys, token_ttl
from shared.security.users import open_users


class TokenRequestSchema(marshmallow.Schema):
    username = f.String(required=True, validate=validate.Length(min=1, max=64))
    password = f.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenResponseSchema(marshmallow.Schema):
    access_token = f.String(required=True)
    token_type = f.String(required=True)
    expires_in = f.Integer(required=True)


TRUSTED_PROXIES = "STATION_TRUSTED_PROXIES"


def client_address(remote: str | None, forwarded_for: str | None, config: Mapping) -> str:
    """Who is logging in, for the per-address count: the peer, or, when the peer is a
    proxy we trust (this machine, or an address in STATION_TRUSTED_PROXIES), the last
    address of its X-Forwarded-For (the one that proxy saw; earlier ones are the
    client's own word)."""
    remote = (remote or "unknown")[:64]
    trusted = {"127.0.0.1", "::1"} | {a.strip() for a in str(
        config.get(TRUSTED_PROXIES) or os.environ.get(TRUSTED_PROXIES, "")).split(",") if a.strip()}
    if remote not in trusted or not forwarded_for:
        return remote
    last = forwarded_for.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return remote


def issue_token(username: str, password: str, config: Mapping,
                keys: tokens.SigningKeys | None = None, now: datetime | None = None,
                address: str = "unknown", offload: Callable | None = None) -> dict:
    """A bearer token for valid credentials; Unauthorized (401) otherwise, and
    TooManyAttempts (429) while the account or the address is locked, checked before
    any hashing. `offload` runs the password check (see UserStore.authenticate).

    A wrong password, an unknown user and a disabled account all get the same answer
    after the same work (an unknown user is checked against a dummy hash), and count
    alike towards a lock.
    """
    clock = (lambda: now) if now is not None else utcnow
    user_store = open_users(config)
    guard = throttle.Throttle(user_store.store,
                              throttle.Policy.from_config({**os.environ, **config}))
    guard.check(username, address, clock())
    user = user_store.authenticate(username, password, offload)
    now = clock()       # after the hashing, which a busy host may make slow: a lock
    if user is None:    # runs from when the failure is recorded, not from the request
        guard.failed(username, address, now)
        raise Unauthorized("Wrong user name or password", "用户名或密码错误",
                           code="bad_credentials")
    guard.succeeded(username, address, now)
    ttl = token_ttl(config)
    token = tokens.issue(user.principal(), keys or jwt_keys(config), ttl, now)
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}
