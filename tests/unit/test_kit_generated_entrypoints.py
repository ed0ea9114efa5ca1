"""What the base service generates for every service instead of each writing it: the
ping route and one subscriber entrypoint per source of the topology's table."""
from __future__ import annotations

import inspect

from shared import topology
from shared.openapi import handlers_of
from shared.subscriber import Subscriber
from station import catalog


def subscribers_of(cls) -> dict[str, str]:
    return {entrypoint.source: name
            for name, member in inspect.getmembers(cls, inspect.isfunction)
            for entrypoint in getattr(member, "nameko_entrypoints", ())
            if isinstance(entrypoint, Subscriber)}


def test_each_service_subscribes_to_exactly_the_sources_of_the_topology():
    for name in catalog.SERVICES:
        expected = {source: f"on_{source}" for source in topology.SUBSCRIPTIONS.get(name, ())}
        assert subscribers_of(catalog.service_class(name)) == expected, name


def test_each_service_answers_ping_without_a_token():
    for name in catalog.SERVICES:
        routes = {(h.method, h.url): h for _, h in handlers_of(catalog.service_class(name))}
        assert ("GET", f"/api/v1/{name}/ping") in routes, name
        assert routes[("GET", f"/api/v1/{name}/ping")].doc.auth in (False, None)
