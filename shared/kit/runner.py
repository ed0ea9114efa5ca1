"""load → decide → append, in one transaction, with one retry policy for every service.

    def work(conn):
        state = load(conn)                                  # read the stream(s), fold
        check_expected(stream, command.expected_version, state.version)
        events = aggregate.decide(state, command, now, ids)  # pure
        append(...)                                          # at the version read
        return result
    return transact(store.engine, work, conn)

The retry policy: a ConcurrencyError means another writer appended to a stream since
it was read; a client that sent no expected version did not ask for that exact state,
so the whole command runs again on fresh state (a few times; the fresh decision may
refuse). A client whose own expected version is stale gets StaleVersion, a 409
`version_conflict`, and is never retried: the client must read again.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence, TypeVar

import sqlalchemy as sa

from shared import logs
from shared.events import NewEvent
from shared.eventstore import ConcurrencyError

log = logs.get("runner")
ATTEMPTS = 5
T = TypeVar("T")


class StaleVersion(ConcurrencyError):
    """The version the client sent is not the stream's: answered 409, not retried."""


def check_expected(stream_id: str, expected: int | None, actual: int) -> None:
    if expected is not None and expected != actual:
        raise StaleVersion(stream_id, expected, actual)


def transact(engine: sa.Engine, work: Callable[[sa.Connection], T],
             conn: sa.Connection | None = None, attempts: int = ATTEMPTS) -> T:
    """`work(conn)` in its own transaction, again on fresh state after a ConcurrencyError.

    With `conn` (a subscriber's transaction, which also holds its checkpoint) each
    attempt runs in a savepoint of it, so a lost race undoes only that attempt.
    """
    for attempt in range(1, attempts + 1):
        try:
            if conn is None:
                with engine.begin() as own:
                    return work(own)
            with conn.begin_nested():
                return work(conn)
        except StaleVersion:
            raise
        except ConcurrencyError as exc:
            if attempt == attempts:
                raise
            log.info("command.retry_on_conflict", stream_id=exc.stream_id, attempt=attempt)
    raise AssertionError("unreachable")


def stamp(events: Sequence[NewEvent], correlation_id: str | None,
          causation_id: str | None = None,
          event_id: Callable[[int], str] | None = None) -> list[NewEvent]:
    """The events with the worker's correlation and cause (unless they carry their own)
    and, for events derived from a cause, ids derived from it (`event_id(i)`)."""
    return [dataclasses.replace(
        e, correlation_id=e.correlation_id or correlation_id,
        causation_id=e.causation_id or causation_id,
        **({"event_id": event_id(i)} if event_id else {}))
        for i, e in enumerate(events)]
