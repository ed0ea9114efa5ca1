"""Completeness of every service, checked rather than hoped for.

Unknown event types are ignored by aggregates, projections and inboxes (old code reads
new streams), so a forgotten evolver, applier or subscription fails silently. Here:
- every registered event type has an evolver in one of the service's aggregates (a
  module with EVOLVERS) or is declared in its events' NOT_EVOLVED, with a reason;
- every registered type has an applier in the service's projection or is declared
  not applying;
- every type a subscriber handles is registered by a source it reads (topology).
A new service or aggregate is found by itself: nothing to add here.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest

from shared import topology
from shared.kit import completeness

SKIPPED_MODULES = {"service"}  # the nameko edge: no evolvers there, and it is imported below


def parts(service: str):
    package = importlib.import_module(f"services.{service}")
    modules = [importlib.import_module(f"services.{service}.{m.name}")
               for m in pkgutil.iter_modules(package.__path__) if m.name not in SKIPPED_MODULES]
    events = importlib.import_module(f"services.{service}.events")
    evolvers = [m.EVOLVERS for m in modules if hasattr(m, "EVOLVERS")]
    projection = next((m.projection for m in modules if hasattr(m, "projection")), None)
    return events, evolvers, projection


def inbox_table(service: str) -> dict:
    module = importlib.import_module(f"services.{service}.service")
    cls = next(v for v in vars(module).values()
               if isinstance(v, type) and getattr(v, "name", None) == service)
    return dict(cls.inbox.handlers(None))  # the handlers only close over the store


@pytest.mark.parametrize("service", topology.SERVICES)
def test_every_registered_event_has_an_evolver(service):
    events, evolvers, _ = parts(service)
    not_evolved = getattr(events, "NOT_EVOLVED", {})
    assert completeness.missing_evolvers(events.registry, evolvers, not_evolved) == []
    assert completeness.undeclared_types(events.registry, not_evolved, *evolvers) == []


@pytest.mark.parametrize("service", topology.SERVICES)
def test_every_registered_event_has_an_applier_or_is_declared_not_applying(service):
    events, _, projection = parts(service)
    if projection is None:
        assert events.registry.names() == [], f"{service} registers events but has no projection"
        return
    assert completeness.missing_appliers(events.registry, projection) == []
    assert completeness.undeclared_types(events.registry, projection.appliers,
                                         projection.not_applying) == []


@pytest.mark.parametrize("consumer", sorted(topology.SUBSCRIPTIONS))
def test_subscribers_name_only_types_their_sources_register(consumer):
    sources = [importlib.import_module(f"services.{s}.events").registry
               for s in topology.SUBSCRIPTIONS[consumer]]
    merged = sources[0]
    for other in sources[1:]:
        merged = merged.merge(other)
    handled = inbox_table(consumer)
    assert handled, f"{consumer} subscribes but handles nothing"
    assert completeness.unknown_to_source(handled, merged) == []


def test_the_check_names_a_forgotten_evolver_and_applier():
    """The check itself can fail: a type registered and handled nowhere is named."""
    from shared.events import Registry
    from shared.kit.projections import Projection
    import marshmallow as ma
    import sqlalchemy as sa

    registry = Registry()
    registry.register("ThingMade", ma.Schema)
    registry.register("ThingForgotten", ma.Schema)
    projection = Projection("things", sa.MetaData(), {"ThingMade": lambda conn, e: None})
    assert completeness.missing_evolvers(registry, [{"ThingMade": None}]) == ["ThingForgotten"]
    assert completeness.missing_appliers(registry, projection) == ["ThingForgotten"]
    assert completeness.unknown_to_source({"ThingMade", "ThingRenamed"}, registry) == [
        "ThingRenamed"]
