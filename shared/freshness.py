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
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from shared import logs
from shared.inbox import inbox_name
from shared.kit.errors import learned_from
from shared.kit.rpc import SERVICE_TTL, rpc_client
from shared.relay import Checkpoint

log = logs.get("freshness")

T = TypeVar("T")
DEFAULT_WAIT_S = 2.0
POLL_S = 0.02

Head = Callable[[str, float], int]   # (source, timeout in seconds) -> its committed head


class RpcHead:
    """Asks a source service for its committed head, with `caller`'s service credential,
    over one kept RPC client: a new one per question costs a connection and a reply
    queue, most of what a genuine miss takes. Questions take turns (a client is not for
    two green threads at once); the client is opened again before its credential
    expires (shared.kit.rpc: 60 s) and after any failure (once at once: a kept
    connection may have been cut while idle)."""

    REOPEN_S = SERVICE_TTL / 2

    def __init__(self, config: Mapping, caller: str, timeout: float):
        self.config, self.caller, self.timeout = config, caller, timeout
        self._turn = Semaphore(1)
        self._client = self._cluster = None
        self._opened = 0.0

    def __call__(self, source: str, timeout: float | None = None) -> int:
        """The head; TimeoutError if the questions before this one took the bound."""
        if not self._turn.acquire(timeout=self.timeout if timeout is None else timeout):
            raise TimeoutError(f"{source}'s head: other questions are still waiting")
        try:
            for _attempt in range(2):
                fresh = self._ensure_open()
                try:
                    return int(getattr(self._cluster, source).head_position())
                except Exception:
                    self.close()
                    if fresh:
                        raise
            raise AssertionError("unreachable")
        finally:
            self._turn.release()

    def _ensure_open(self) -> bool:
        """Open a client unless a young enough one is open; True if opened now."""
        if self._client is not None and time.monotonic() - self._opened < self.REOPEN_S:
            return False
        self.close()
        client = rpc_client(self.config, service=self.caller, timeout=max(self.timeout, 0.1))
        self._cluster, self._client, self._opened = client.start(), client, time.monotonic()
        return True

    def close(self) -> None:
        client, self._client, self._cluster = self._client, None, None
        if client is not None:
            try:
                client.stop()
            except Exception:  # the connection is gone already
                pass


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
            self.waiter = Waiter(store.engine, consumer, RpcHead(config, consumer, bound), bound)
        return self.waiter

    def stop(self):
        if self.waiter is not None and isinstance(self.waiter.head, RpcHead):
            self.waiter.head.close()


def of(container) -> Waiter | None:
    """The Waiter of a service container (None if it has none): for entrypoints, which
    decide outside any worker."""
    provider = next((d for d in container.dependencies if isinstance(d, Freshness)), None)
    return provider.built() if provider is not None else None


def decide(waiter: Waiter | None, run: Callable[[], T]) -> T:
    """`run()` through `waiter` if there is one."""
    return waiter.decide(run) if waiter is not None else run()
