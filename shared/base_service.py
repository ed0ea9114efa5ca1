"""What every service answers over RPC: ping, and reads of its own event store.

Other services read events only through these (catch-up after a gap, rebuilds),
never from another service's database. The reads of the store are maintenance calls:
they take only a service credential (shared.kit.rpc), never a person's token.
"""
from __future__ import annotations

import functools

from marshmallow import Schema, fields

from shared import openapi, topology
from shared.freshness import Freshness
from shared.health_api import HealthEndpoints
from shared.kit.rpc import RpcCaller, rpc
from shared.providers import Correlation
from shared.subscriber import subscribe
from shared.web import api


@functools.cache
def openapi_document(service_cls) -> dict:
    name = service_cls.name
    return openapi.spec_for(service_cls, f"{name} service / {name} 服务")


def _openapi_entrypoint(name: str):
    """GET /api/v1/<name>/openapi.json, a static route of the service's own: a variable
    segment would lose to the service's routes (…/residents/<resident_id> would match)."""
    @api("GET", f"/api/v1/{name}/openapi.json", auth=False,
         summary=f"The {name} service's OpenAPI document / {name} 服务的 OpenAPI 文档")
    def openapi_json(self, request):
        return openapi_document(type(self))
    return openapi_json


class PingOut(Schema):
    service = fields.Str(required=True)
    status = fields.Str(required=True)


def _ping_entrypoint(name: str, name_zh: str):
    @api("GET", f"/api/v1/{name}/ping", responses={200: PingOut}, auth=False, tags=["health"],
         summary=f"Is the {name} service up? / {name_zh}服务是否在线")
    def http_ping(self, request):
        return self.ping()
    return http_ping


def _subscription_entrypoint(source: str):
    """`on_<source>`: the source's events into this service's inbox (shared.inbox)."""
    @subscribe(source)
    def on_source(self, envelope, headers, queue_name):
        return self.inbox.deliver(source, envelope, headers, queue_name)
    on_source.__name__ = on_source.__qualname__ = f"on_{source}"
    return on_source


class EventSourcedService(HealthEndpoints):
    """Base of the five services. Subclasses set `name` and `store = StoreProvider(...)`.

    Each subclass that sets `name` gets, generated here rather than written again:
    GET /api/v1/<name>/ping (when it has a store), GET /api/v1/<name>/openapi.json (the OpenAPI document of its
    own `@api` entrypoints, see shared.openapi), and for each source it reads in the
    topology's subscription table (shared.topology.SUBSCRIPTIONS) a subscriber
    entrypoint `on_<source>` that hands the events to its `inbox` (an InboxProvider).
    """

    name = "base"
    name_zh = ""  # the service's name in Chinese, for the generated summaries
    correlation_id = Correlation()
    caller = RpcCaller()   # who an RPC call came from, verified by its entrypoint (shared.kit.rpc)
    freshness = Freshness()   # waits for events already committed at a source (shared.freshness)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return
        cls.openapi_json = _openapi_entrypoint(cls.name)
        if hasattr(cls, "store") and not hasattr(cls, "http_ping"):  # a service, not a sketch
            cls.http_ping = _ping_entrypoint(cls.name, cls.name_zh or f"{cls.name} ")
        for source in topology.SUBSCRIPTIONS.get(cls.name, ()):
            if not hasattr(cls, f"on_{source}"):
                setattr(cls, f"on_{source}", _subscription_entrypoint(source))

    @rpc    # any verified caller: a person's token or a service credential
    def ping(self) -> dict:
        return {"service": self.name, "status": "ok"}

    @rpc(users=False)
    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[dict]:
        """Events after a position, in order: [{"event_id", "position", "type", ...}]."""
        limit = max(1, min(int(limit), 5000))
        return [e.to_dict() for e in self.store.read_all(int(after_position), limit)]

    @rpc(users=False)
    def read_stream(self, stream_id: str, from_version: int = 0) -> list[dict]:
        return [e.to_dict() for e in self.store.read_stream(stream_id, int(from_version))]

    @rpc(users=False)
    def store_id(self) -> str:
        """The identity of this service's store: its positions mean nothing in another."""
        return self.store.store_id

    @rpc(users=False)
    def last_position(self) -> int:
        return self.store.last_position()

    @rpc(users=False)
    def head_position(self) -> int:
        """The committed head: every event committed before this call is at or below it
        (numbered first), and the relay will publish it (shared.freshness)."""
        return self.store.committed_head()
