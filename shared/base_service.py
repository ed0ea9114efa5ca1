"""What every service answers over RPC: ping, and reads of its own event store.

Other services read events only through these (catch-up after a gap, rebuilds),
never from another service's database.
"""
from __future__ import annotations

import functools

from nameko.rpc import rpc

from shared import openapi
from shared.health_api import HealthEndpoints
from shared.providers import Correlation
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


class EventSourcedService(HealthEndpoints):
    """Base of the five services. Subclasses set `name` and `store = StoreProvider(...)`.

    Each subclass that sets `name` answers GET /api/v1/<name>/openapi.json with the
    OpenAPI document of its own `@api` entrypoints (see shared.openapi).
    """

    name = "base"
    correlation_id = Correlation()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls.openapi_json = _openapi_entrypoint(cls.name)

    @rpc
    def ping(self) -> dict:
        return {"service": self.name, "status": "ok"}

    @rpc
    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[dict]:
        """Events after a position, in order: [{"event_id", "position", "type", ...}]."""
        limit = max(1, min(int(limit), 5000))
        return [e.to_dict() for e in self.store.read_all(int(after_position), limit)]

    @rpc
    def read_stream(self, stream_id: str, from_version: int = 0) -> list[dict]:
        return [e.to_dict() for e in self.store.read_stream(stream_id, int(from_version))]

    @rpc
    def store_id(self) -> str:
        """The identity of this service's store: its positions mean nothing in another."""
        return self.store.store_id

    @rpc
    def last_position(self) -> int:
        return self.store.last_position()
