"""`Auth()`: the nameko dependency a service declares to authenticate and authorise requests.

    from shared.security.nameko import Auth

    class ResidentsService(EventSourcedService):
        auth = Auth()

        @api("POST", "/api/v1/auth/token")
        def token(self, request):
            return self.auth.token_response(request)          # 400 / 401 / 200

        @api("GET", "/api/v1/residents/<resident_id>")
        def get(self, request, resident_id):
            who = self.auth.require(request, "residents.read")   # 401 / 403
            resident = self.auth.visible(find(resident_id), who, org)   # 404 if missing or out of scope
            reason = self.auth.reason(request, resident["card"], resident["categories"])  # 403
            ...
            return self.auth.masked(resident, who)

The signing keys are read once when the service starts (shared.security.keys).
"""
from __future__ import annotations

import os
from typing import Iterable, Mapping

import structlog
from nameko.extensions import DependencyProvider

from shared.errors import ApiError, Forbidden, Unauthorized
from shared.security import access_log, masking, scope, tokens
from shared.security.keys import jwt_keys
from shared.security.login import TokenRequestSchema, client_address, issue_token
from shared.security.revocation import Revocations
from shared.security.users import open_users
from shared.security.throttle import LoginBusy
from shared.security.principal import Principal
from shared.web import body_of, load

__all__ = ["Auth", "Gate", "issue_token"]


NICE = 10     # a tenth of the CPU weight of normal work; 19 starved log-ins on a busy host


def _niced(fn, *args):
    """Run in a pool thread at a lower CPU priority (on Linux the nice value is per
    thread, and argon2's own threads inherit it): on a busy machine the service's
    requests get the processor first, a log-in waits a little longer."""
    os.setpriority(os.PRIO_PROCESS, 0, NICE)
    return fn(*args)


class Hashing:
    """Runs password checks in eventlet's pool of real threads (argon2 releases the GIL,
    so the event loop, and every other request, goes on meanwhile), `slots` at a time.
    At most `slots + queue` log-ins wait here; one more is refused at once (429), so
    log-ins can never hold more than that many of the service's workers."""

    def __init__(self, slots: int = 1, queue: int = 3):
        import eventlet.semaphore
        self.slots = eventlet.semaphore.Semaphore(slots)
        self.room, self.inside = slots + queue, 0

    def __call__(self, fn, *args):
        from eventlet import tpool
        if self.inside >= self.room:
            raise LoginBusy()
        self.inside += 1
        try:
            with self.slots:
                return tpool.execute(_niced, fn, *args)
        finally:
            self.inside -= 1


class Gate:
    """What `self.auth` is inside one worker (one request)."""

    def __init__(self, keys: tokens.SigningKeys, config: Mapping, hashing: Hashing | None = None,
                 revocations: Revocations | None = None):
        self.keys, self.config, self.hashing = keys, config, hashing
        self.revocations = revocations
        self._principal: Principal | None = None

    def principal(self, request) -> Principal:
        """The verified caller; Unauthorized (401) if the bearer token is missing or bad."""
        if self._principal is None:
            scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("Missing bearer token: send Authorization: Bearer <token>",
                                   "缺少令牌：请在请求头中提供 Authorization: Bearer <令牌>",
                                   code="unauthorized")
            who = tokens.verify(token.strip(), self.keys)
            if self.revocations is not None and not self.revocations.admits(who):
                raise Unauthorized("This account is disabled or the token was revoked "
                                   "(log in again)", "账号已停用或令牌已失效（请重新登录）",
                                   code="token_revoked")
            self._principal = who
            structlog.contextvars.bind_contextvars(user=self._principal.username,
                                                   role=self._principal.role)
        return self._principal

    def require(self, request, action: str) -> Principal:
        """The caller, if their role may do `action`; else Forbidden (403)."""
        who = self.principal(request)
        if not who.may(action):
            raise Forbidden(f"Role {who.role} may not do {action}",
                            f"角色 {who.role} 无权执行 {action}")
        return who

    def require_station(self, who: Principal, station_id: str | None, org: scope.OrgLookup,
                        not_found: ApiError | None = None) -> None:
        """NotFound (404) unless the caller's scopes cover the station."""
        scope.require_station(who, station_id, org, not_found)

    def visible(self, record, who: Principal, org: scope.OrgLookup,
                not_found: ApiError | None = None, station_key: str = "station_id"):
        """The record, or the same NotFound (404) whether it is missing or out of scope."""
        return scope.visible(record, who, org, not_found, station_key)

    def reason(self, request, card: str | None, categories: Iterable[str] = ()) -> str | None:
        """X-Access-Reason; Forbidden (403) if missing for a Red-card or child's record."""
        return access_log.require_reason(access_log.reason_of(request), card, categories)

    def masked(self, record: Mapping, who: Principal) -> dict:
        return masking.masked(record, who)

    def token_response(self, request) -> dict:
        """The whole token endpoint: validate the body, check the password, sign."""
        data = load(TokenRequestSchema(), body_of(request))
        address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                 self.config)
        return issue_token(data["username"], data["password"], self.config, keys=self.keys,
                           address=address, offload=self.hashing)


class Auth(DependencyProvider):
    """Gives each worker a Gate bound to the service's signing keys."""

    def setup(self):
        self.keys = jwt_keys(self.container.config)
        self.hashing = Hashing()
        self.revocations: Revocations | None = None

    def get_dependency(self, worker_ctx) -> Gate:
        if self.revocations is None:      # the identity store, opened on first use
            self.revocations = Revocations(open_users(self.container.config))
        return Gate(self.keys, self.container.config, self.hashing, self.revocations)
