"""Who is calling: user name, role and scopes, as a token carries them.

A scope is `station:<id>`, `street:<id>` or `district:<id>`; a user may have several.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable, Mapping

from shared.security import roles

SCOPE_KINDS = ("station", "street", "district")
_SCOPE = re.compile(r"^(station|street|district):([A-Za-z0-9][A-Za-z0-9_.-]{0,99})$")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class InvalidPrincipal(ValueError):
    """A bad role, scope or user name, with the message in both languages."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(f"{message} / {message_zh}")
        self.message, self.message_zh = message, message_zh


def check_role(role: str) -> str:
    if role not in roles.ROLES:
        raise InvalidPrincipal(
            f"unknown role {role!r}; one of: {', '.join(roles.ROLES)}",
            f"未知角色 {role!r}；可选：{', '.join(roles.ROLES)}")
    return role


def parse_scope(scope: str) -> tuple[str, str]:
    """'street:xihulu' -> ('street', 'xihulu'), or InvalidPrincipal."""
    match = _SCOPE.match(scope or "")
    if not match:
        raise InvalidPrincipal(
            f"bad scope {scope!r}: write station:<id>, street:<id> or district:<id> "
            f"(id: letters, digits, '-', '_', '.')",
            f"范围格式错误 {scope!r}：应为 station:<编号>、street:<编号> 或 district:<编号>"
            f"（编号由字母、数字、'-'、'_'、'.' 组成）")
    return match.group(1), match.group(2)


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(scopes))
    if not scopes:
        raise InvalidPrincipal("give at least one scope", "至少需要一个范围（scope）")
    for scope in scopes:
        parse_scope(scope)
    return scopes


def check_username(username: str) -> str:
    if not _USERNAME.match(username or ""):
        raise InvalidPrincipal(
            f"bad user name {username!r}: 1-64 letters, digits, '.', '_', '@', '-'",
            f"用户名无效 {username!r}：1-64 位字母、数字或 '.'、'_'、'@'、'-'")
    return username


@dataclasses.dataclass(frozen=True)
class Principal:
    """The caller of one request. Build it from a verified token, never from input."""

    username: str
    role: str
    scopes: tuple[str, ...] = ()
    # When the token carrying it was issued (its `iat`), for revocation; not part of
    # who the caller is, so equality and claims() ignore it.
    issued_at: float | None = dataclasses.field(default=None, compare=False, repr=False)

    def may(self, action: str) -> bool:
        return roles.allowed(self.role, action)

    def ids(self, kind: str) -> frozenset[str]:
        """The ids of one kind of scope: ids('station') -> {'xihulu-station'}."""
        return frozenset(i for k, i in map(parse_scope, self.scopes) if k == kind)

    @property
    def stations(self) -> frozenset[str]:
        return self.ids("station")

    @property
    def streets(self) -> frozenset[str]:
        return self.ids("street")

    @property
    def districts(self) -> frozenset[str]:
        return self.ids("district")

    def claims(self) -> dict[str, Any]:
        return {"sub": self.username, "role": self.role, "scopes": list(self.scopes)}

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> "Principal":
        """Checked: InvalidPrincipal if the role or a scope is not one we know."""
        scopes = claims.get("scopes")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise InvalidPrincipal("scopes must be a list of strings", "scopes 必须是字符串列表")
        issued = claims.get("iat")
        return cls(check_username(str(claims.get("sub", ""))),
                   check_role(str(claims.get("role", ""))), check_scopes(scopes),
                   issued_at=float(issued) if isinstance(issued, (int, float)) else None)
