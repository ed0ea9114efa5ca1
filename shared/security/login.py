"""The token endpoint's work: check a user's password, sign a token for them.

    POST /api/v1/auth/token {"username", "password"}
      -> {"access_token", "token_type": "bearer", "expires_in"}      (401 if wrong)
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

import marshmallow
from marshmallow import fields as f, validate

from shared.errors import Unauthorized
from shared.security import tokens
from shared.security.keys import jwt_keys, token_ttl
from shared.security.users import open_users


class TokenRequestSchema(marshmallow.Schema):
    username = f.String(required=True, validate=validate.Length(min=1, max=64))
    password = f.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenResponseSchema(marshmallow.Schema):
    access_token = f.String(required=True)
    token_type = f.String(required=True)
    expires_in = f.Integer(required=True)


def issue_token(username: str, password: str, config: Mapping,
                keys: tokens.SigningKeys | None = None, now: datetime | None = None) -> dict:
    """A bearer token for valid credentials; Unauthorized (401) otherwise.

    A wrong password, an unknown user and a disabled account all get the same answer
    after the same work (an unknown user is checked against a dummy hash).
    """
    user = open_users(config).authenticate(username, password)
    if user is None:
        raise Unauthorized("Wrong user name or password", "用户名或密码错误",
                           code="bad_credentials")
    ttl = token_ttl(config)
    token = tokens.issue(user.principal(), keys or jwt_keys(config), ttl, now)
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}
