"""Read-your-writes across services: a request is never refused only because this
service has not yet consumed an event that was committed before the request arrived.

A service learns of residents, communities, stations and needs from the residents
service's events, a moment after they are committed there (relay, broker, inbox). A
request naming one of them in that moment would be refused ("not found", "not
registered at this station") although its creating write was answered already. So a
refusal that rests on such knowledge (shared.kit.errors.LearnedFromEvents) is not the
answer yet: the service asks the source for its committed head (an authenticated RPC,
`head_position`), waits until its inbox of that source has applied up to it, at most
STATION_FRESHNESS_WAIT_S (shared.config), then decides the request again. What the
second decision says is the answer: a genuine miss keeps its 404/400, and since
another station's resident is refused exactly as an unknown one, it takes the same
way and reveals nothing.

The head is the source's *committed* head, numbered by its sequencer (not what its
relay has published so far): every event committed before the request is at or below
it, and the relay publishes them all. If the relay or the broker is slow, the wait ends
at the bound and the request is decided on what has arrived.

    waiter = freshness.of(container)          # or `self.freshness` inside a worker
    answer = waiter.decide(lambda: run_the_request())

HTTP entrypoints decide again at the entrypoint (shared.web: a fresh worker, none held
while waiting); RPC entrypoints inside their worker (shared.errors.translated).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable, Mapping, TypeVar

import eventlet
import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from shared import logs
from shared.inbox import inbox_name
from shared.kit.errors import learned_from
from shared.kit.rpc import rpc_client
from shared.relay import Checkpoint

log = logs.get("freshness")

T = TypeVar("T")
DEFAULT_WAIT_S = 2.0
POLL_S = 0.02

Head = Callable[[str, float], int]   # (source, timeout in seconds) -> its committed head


def rpc_head(config: Mapping, caller: str) -> Head:
    """Ask a source service for its committed head, with `caller`'s service credential."""
    def head(source: str, timeout: float) -> int:
        with rpc_client(config, service=caller, timeout=timeout) as rpc:
            return int(getattr(rpc, source).head_position())
    return head


@dataclasses.dataclass
class Waiter:
    """Waits, bounded, until `consumer`'s inbox of a source has applied the source's head."""

    engine: sa.Engine
    consumer: str
    head: Head
    bound_s: float = DEFAULT_WAIT_S
    poll_s: float = POLL_S

    def decide(self, run: Callable[[], T]) -> T:
        """`run()`; if it refuses on what was learned from events, wait and run it again."""
        try:
            return run()
        except Exception as exc:
            source = learned_from(exc)
            if source is None or self.bound_s <= 0:
                raise
        self.wait_for(source)
        return run()

    def wait_for(self, source: str) -> bool:
        """True once the inbox has applied the source's committed head; False at the bound
        (the source did not answer, or its events have not arrived in time)."""
        deadline = time.monotonic() + self.bound_s
        try:
            head = self.head(source, self.bound_s)
        except Exception as exc:  # the source is down or slow: decide on what is here
            log.info("freshness.head_unknown", source=source, error_type=type(exc).__name__)
            return False
        checkpoint = Checkpoint(self.engine, inbox_name(self.consumer, source))
        while checkpoint.get() < head:
            if time.monotonic() >= deadline:
                log.warning("freshness.bound_reached", source=source, head=head,
                            applied=checkpoint.get(), bound_s=self.bound_s,
                            message=f"{self.consumer} had not consumed {source}'s events "
                                    f"up to its head within the bound: decided on what "
                                    f"had arrived (is the relay or the broker slow?)")
                return False
            eventlet.sleep(self.poll_s)
        return True


class Freshness(DependencyProvider):
    """`self.freshness` of every service (shared.base_service): its Waiter, built on
    first use from the service's store (StoreProvider `store`) and its config."""

    waiter: Waiter | None = None

    def get_dependency(self, worker_ctx) -> Waiter | None:
        return self.built()

    def built(self) -> Waiter | None:
        if self.waiter is None:
            store = next((d.store for d in self.container.dependencies
                          if d.attr_name == "store" and hasattr(d, "store")), None)
            if store is None:  # a service without a store learns nothing from events
                return None
            config, consumer = self.container.config, self.container.service_name
            bound = float(config.get("STATION_FRESHNESS_WAIT_S", DEFAULT_WAIT_S))
            self.waiter = Waiter(store.engine, consumer, rpc_head(config, consumer), bound)
        return self.waiter


def of(container) -> Waiter | None:
    """The Waiter of a service container (None if it has none): for entrypoints, which
    decide outside any worker."""
    provider = next((d for d in container.dependencies if isinstance(d, Freshness)), None)
    return provider.built() if provider is not None else None


def decide(waiter: Waiter | None, run: Callable[[], T]) -> T:
    """`run()` through `waiter` if there is one."""
    return waiter.decide(run) if waiter is not None else run()
