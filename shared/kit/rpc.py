"""Authenticated RPC: every `@rpc` entrypoint of every service checks who is calling
before a worker starts, and a client helper that says who is calling.

A caller sends one credential in nameko's context data (the AMQP header
`nameko.authorization`), never in the arguments:

- `Bearer <token>`: a person's token, as the HTTP request carried it (shared.security.
  tokens), checked against revocations as over HTTP; the entrypoint's `action` must be
  allowed to the token's role (shared.security.roles) and the method scopes what it
  reads or writes to the token's stations, as the HTTP endpoint does.
- `Service <token>`: a service credential, a JWT of 60 s signed (HS256) with the
  deployment's service key STATION_SERVICE_KEY (shared.security.keys), naming the
  calling service. Maintenance calls (reading a store's events, the overdue check) take
  only this; a person's token is refused there.

    from shared.kit.rpc import rpc

    class CaseworkService(EventSourcedService):
        @rpc(action="cases.read")          # a person who may read cases, or a service
        def get_case(self, case_id): who = self.caller.principal ...

        @rpc(action="cases.write", services=False)   # only a person: they are the actor
        @rpc(users=False)                  # maintenance: only a service

    with rpc_client(config, service="casework") as cluster:    # the calling side
        cluster.residents.read_all(0, 100)

A missing, forged, expired or revoked credential is Unauthorized, a role or a kind of
caller the entrypoint does not take is Forbidden: both before the method runs, so a
refused call writes nothing. tests/integration/test_rpc_identity.py calls every
entrypoint of every service this way (discovered, not listed).
"""
from __future__ import annotations

import dataclasses
from functools import partial
from datetime import datetime, timezone
from typing import Mapping

import jwt
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.exceptions import ContainerBeingKilled, MalformedRequest
from nameko.rpc import Rpc
from nameko.standalone.rpc import ClusterRpcProxy

from shared import deployment
from shared.errors import Forbidden, Unauthorized
from shared.security import tokens
from shared.security.keys import service_key
from shared.security.principal import Principal

CREDENTIAL = "authorization"      # context data key: header `nameko.authorization`
CALLER = "verified_caller"        # set by the entrypoint only; an incoming one is dropped
SERVICE_TTL = 60
SERVICE_KID = "service"
ALGORITHM = "HS256"


# -- service credentials -------------------------------------------------------------

def service_token(config: Mapping | None, service: str, now: datetime | None = None) -> str:
    """A short-lived credential of `service`, signed with the deployment's service key."""
    issued = int((now or datetime.now(timezone.utc)).timestamp())
    return jwt.encode({"svc": service, "iat": issued, "exp": issued + SERVICE_TTL},
                      service_key(config), algorithm=ALGORITHM, headers={"kid": SERVICE_KID})


def verify_service_token(token: str, key: str) -> str:
    """The calling service's name, or Unauthorized."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], leeway=5,
                            options={"require": ["exp", "iat", "svc"]})
    except jwt.InvalidTokenError:
        raise _invalid() from None
    if not isinstance(claims["svc"], str) or not claims["svc"]:
        raise _invalid()
    return claims["svc"]


def _invalid() -> Unauthorized:
    return Unauthorized("Invalid RPC credential", "RPC 凭据无效", code="invalid_token")


def credential(config: Mapping | None, *, token: str | None = None,
               service: str | None = None) -> str:
    """The context-data value for a person's `token` or a `service`'s credential."""
    if token:
        return f"Bearer {token}"
    if service:
        return f"Service {service_token(config, service)}"
    raise ValueError("rpc credential: give a person's token or a service name")


def rpc_client(config: Mapping, *, token: str | None = None, service: str | None = None,
               timeout: float | None = None) -> ClusterRpcProxy:
    """A cluster proxy whose every call carries the credential (a context manager)."""
    timeout = timeout if timeout is not None else float(config.get("RPC_TIMEOUT", 10))
    return ClusterRpcProxy(deployment.rpc_config(config), timeout=timeout,
                           context_data={CREDENTIAL: credential(config, token=token,
                                                                service=service)})


# -- the server side -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Caller:
    """Who called, verified: a person (their Principal) or a service (its name)."""

    principal: Principal | None = None
    service: str | None = None

    @property
    def is_service(self) -> bool:
        return self.service is not None


class Verifier(SharedExtension):
    """The keys and revocations of one container, loaded once for all its entrypoints."""

    def setup(self):
        from shared.security.keys import jwt_keys
        config = self.container.config
        self.jwt_keys, self.service_key = jwt_keys(config), service_key(config)
        self._revocations = None

    @property
    def revocations(self):
        if self._revocations is None:     # the identity store, opened on first use
            from shared.security.revocation import Revocations
            from shared.security.users import open_users
            self._revocations = Revocations(open_users(self.container.config))
        return self._revocations

    def verify(self, sent: object) -> Caller:
        scheme, _, token = (sent if isinstance(sent, str) else "").partition(" ")
        token = token.strip()
        if not token or scheme not in ("Bearer", "Service"):
            raise Unauthorized("RPC call without a credential: send a person's token or a "
                               "service credential (shared.kit.rpc.rpc_client)",
                               "RPC 调用缺少凭据：请携带用户令牌或服务凭据",
                               code="unauthorized")
        if scheme == "Service":
            return Caller(service=verify_service_token(token, self.service_key))
        who = tokens.verify(token, self.jwt_keys)
        if not self.revocations.admits(who):
            raise Unauthorized("This account is disabled or the token was revoked",
                               "账号已停用或令牌已失效", code="token_revoked")
        return Caller(principal=who)


class AuthRpc(Rpc):
    """nameko's Rpc, refusing before the worker starts unless the credential is good
    and of a kind the entrypoint takes: `action` (a person's role must allow it),
    `users` / `services` (which kinds of caller it takes)."""

    verifier = Verifier()

    def __init__(self, action: str | None = None, users: bool = True, services: bool = True,
                 **kwargs):
        self.action, self.users, self.services = action, users, services
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        """nameko's, with the caller checked first (a refusal says nothing about the
        method's arguments); an exception here is the caller's answer, no worker runs."""
        context_data = self.unpack_message_headers(message)
        context_data.pop(CALLER, None)
        context_data[CALLER] = self.admit(self.verifier.verify(context_data.pop(CREDENTIAL,
                                                                                  None)))
        try:
            args, kwargs = body["args"], body["kwargs"]
        except (KeyError, TypeError):
            raise MalformedRequest("Message missing `args` or `kwargs`") from None
        self.check_signature(args, kwargs)
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.rpc_consumer.requeue_message(message)

    def admit(self, caller: Caller) -> Caller:
        if caller.is_service and not self.services:
            raise Forbidden(f"{self.method_name} acts for a person: send their token",
                            f"{self.method_name} 须以用户身份调用：请携带用户令牌")
        who = caller.principal
        if who is not None:
            if not self.users:
                raise Forbidden(f"{self.method_name} takes only a service credential",
                                f"{self.method_name} 仅接受服务凭据")
            if self.action and not who.may(self.action):
                raise Forbidden(f"Role {who.role} may not do {self.action}",
                                f"角色 {who.role} 无权执行 {self.action}")
        return caller


rpc = AuthRpc.decorator


class RpcCaller(DependencyProvider):
    """`self.caller` inside a worker: the Caller its entrypoint verified (None for a
    worker not started by an RPC call)."""

    def get_dependency(self, worker_ctx) -> Caller | None:
        return worker_ctx.context_data.get(CALLER)
