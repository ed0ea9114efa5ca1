"""Signed bearer tokens: JWT, HS256, with a `kid` header naming the signing key.

Claims: sub (user name), role, scopes (["station:…", "street:…", "district:…"]),
iat and exp (seconds since the epoch).

Key rotation without downtime. `STATION_JWT_KEYS` is `kid:secret,kid:secret,…`: the
first key signs, every key verifies. To rotate from `k1` to `k2`:
  1. deploy `k1:…,k2:…` everywhere (k2 is now accepted, k1 still signs);
  2. deploy `k2:…,k1:…` (k2 signs; tokens signed by k1 stay valid);
  3. after the token lifetime (STATION_TOKEN_TTL) has passed, deploy `k2:…` alone.
A process restarted at any step accepts every token the others issue.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone

import jwt

from shared.errors import Unauthorized
from shared.security.principal import InvalidPrincipal, Principal

ALGORITHM = "HS256"
DEFAULT_TTL = 3600
LEEWAY = 30          # seconds of clock skew tolerated between processes
MIN_SECRET = 32      # characters; HS256 wants at least 256 bits of key
_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BadKeys(ValueError):
    """STATION_JWT_KEYS (or the key file) cannot be used; the message says why."""


@dataclasses.dataclass(frozen=True)
class SigningKeys:
    """(kid, secret) pairs: the first signs, all verify."""

    keys: tuple[tuple[str, str], ...]

    def __post_init__(self):
        if not self.keys:
            raise BadKeys("no signing key / 未配置签名密钥")
        kids = [kid for kid, _ in self.keys]
        if len(set(kids)) != len(kids):
            raise BadKeys("duplicate key id in STATION_JWT_KEYS / 密钥编号重复")
        for kid, secret in self.keys:
            if not _KID.match(kid):
                raise BadKeys(f"bad key id {kid!r}: letters, digits, '.', '_', '-' / 密钥编号无效")
            if len(secret) < MIN_SECRET:
                raise BadKeys(f"key {kid!r} is shorter than {MIN_SECRET} characters / "
                              f"密钥 {kid!r} 少于 {MIN_SECRET} 个字符")

    @classmethod
    def parse(cls, text: str) -> "SigningKeys":
        """'k2:secret2,k1:secret1' (commas or new lines between keys)."""
        pairs = []
        for item in re.split(r"[,\n]", text):
            item = item.strip()
            if not item:
                continue
            kid, sep, secret = item.partition(":")
            if not sep:
                raise BadKeys("write each key as kid:secret / 每个密钥应写作 编号:密钥")
            pairs.append((kid.strip(), secret.strip()))
        return cls(tuple(pairs))

    @property
    def signing(self) -> tuple[str, str]:
        return self.keys[0]

    def secret(self, kid: object) -> str | None:
        return next((s for k, s in self.keys if k == kid), None)


def issue(principal: Principal, keys: SigningKeys, ttl: int = DEFAULT_TTL,
          now: datetime | None = None) -> str:
    """A token for `principal`, valid for `ttl` seconds from `now`."""
    # iat to the microsecond (a NumericDate may have a fraction, RFC 7519 §2): a token
    # issued in the same second as, but before, a password change or a disabling is
    # still older than it (shared.security.users.Standing).
    issued = round((now or datetime.now(timezone.utc)).timestamp(), 6)
    kid, secret = keys.signing
    claims = {**principal.claims(), "iat": issued, "exp": int(issued) + int(ttl)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": kid})


def verify(token: str, keys: SigningKeys) -> Principal:
    """The principal a token carries, or Unauthorized (bad, expired, unknown key)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise _bad() from None
    secret = keys.secret(header.get("kid"))
    if secret is None or header.get("alg") != ALGORITHM:
        raise _bad()
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], leeway=LEEWAY,
                            options={"require": ["exp", "iat", "sub"]})
        return Principal.from_claims(claims)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired", "令牌已过期", code="token_expired") from None
    except (jwt.InvalidTokenError, InvalidPrincipal):
        raise _bad() from None


def _bad() -> Unauthorized:
    return Unauthorized("Invalid token", "令牌无效", code="invalid_token")
