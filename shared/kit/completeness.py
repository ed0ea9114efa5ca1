"""What a service registers but forgot to handle: checked by a test, not hoped for.

Unknown event types are ignored by the aggregates, the projections and the inbox (so
old code reads new streams); the price is that a forgotten evolver or applier fails
silently. These functions name each gap instead.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from shared.events import Registry


def missing_evolvers(registry: Registry, evolvers: Iterable[Mapping],
                     not_evolving: Iterable[str] = ()) -> list[str]:
    """Registered types no aggregate evolves on and not declared as not evolving."""
    handled = set(not_evolving).union(*[set(e) for e in evolvers])
    return [name for name in registry.names() if name not in handled]


def missing_appliers(registry: Registry, projection) -> list[str]:
    """Registered types the projection neither applies nor declares as not applying."""
    handled = set(projection.appliers) | projection.not_applying
    return [name for name in registry.names() if name not in handled]


def unknown_to_source(handled: Iterable[str], source: Registry) -> list[str]:
    """Types a subscriber handles that its source does not register (never delivered)."""
    return sorted(name for name in set(handled) if name not in source)


def undeclared_types(registry: Registry, *declared: Iterable[str]) -> list[str]:
    """Names a service declares (evolvers, appliers, not-applying) that it does not
    register: a typo there would hide a real gap."""
    return sorted(name for names in declared for name in set(names) if name not in registry)
