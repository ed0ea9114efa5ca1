"""The one fold: an aggregate's state is its evolvers applied to its events in order.

An aggregate module declares `EVOLVERS = {event type: (state, payload) -> state}` and

    def evolve(state, event): return fold.step(EVOLVERS, state, event)
    def fold_(events, state=None): return fold.fold(evolve, events, state or Case())

Every event counts in the version, even a type the aggregate does not evolve on; that
every registered type has an evolver (or is declared as not evolving) is checked by
tests/unit/test_kit_completeness.py, not hoped for.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Mapping, TypeVar

S = TypeVar("S")
Evolver = Callable[[S, Mapping], S]


def step(evolvers: Mapping[str, Evolver], state: S, event, **also) -> S:
    """`state` after one event (a Recorded or a NewEvent): its evolver, version + 1."""
    evolver = evolvers.get(event.type)
    folded = evolver(state, event.payload) if evolver else state
    return dataclasses.replace(folded, version=state.version + 1, **also)


def fold(evolve: Callable[[S, object], S], events: Iterable, state: S) -> S:
    for event in events:
        state = evolve(state, event)
    return state
