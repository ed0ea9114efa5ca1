"""The one retry policy of every service (shared.kit.runner), on both backends: a stream
moved by another writer makes the command run again on fresh state; a client's own
stale version is a 409 `version_conflict`, tried once."""
from __future__ import annotations

import marshmallow as ma
import pytest

from shared.errors import to_api_error
from shared.events import NewEvent, Registry
from shared.eventstore import ConcurrencyError, EventStore
from shared.kit import runner

registry = Registry()
registry.register("Noted", ma.Schema)


def note() -> list[NewEvent]:
    return [NewEvent("Noted", {})]


@pytest.fixture
def store(engine):
    store = EventStore(engine, registry)
    store.append("s-1", 0, note())  # the stream is at version 1
    return store


def test_a_moved_stream_runs_the_command_again_on_fresh_state(store):
    versions_read = []

    def work(conn):
        version = len(store.read_stream("s-1", conn=conn))
        versions_read.append(version)
        # The first attempt decides on the state another writer has since moved past.
        expected = version - 1 if len(versions_read) == 1 else version
        return store.append("s-1", expected, note(), conn=conn)[0].stream_version

    assert runner.transact(store.engine, work) == 2
    assert versions_read == [1, 1]  # tried twice; the refused attempt wrote nothing
    assert len(store.read_stream("s-1")) == 2


def test_a_stale_client_version_is_a_409_and_is_not_retried(store):
    attempts = []

    def work(conn):
        attempts.append(1)
        runner.check_expected("s-1", 5, len(store.read_stream("s-1", conn=conn)))
        return store.append("s-1", 1, note(), conn=conn)

    with pytest.raises(runner.StaleVersion) as refused:
        runner.transact(store.engine, work)
    assert len(attempts) == 1 and len(store.read_stream("s-1")) == 1
    error = to_api_error(refused.value)
    assert (error.status, error.code, error.extra["current_version"]) == (409, "version_conflict", 1)


def test_a_conflict_that_persists_gives_up_after_the_attempts(store):
    attempts = []

    def work(conn):
        attempts.append(1)
        return store.append("s-1", 0, note(), conn=conn)

    with pytest.raises(ConcurrencyError):
        runner.transact(store.engine, work, attempts=3)
    assert len(attempts) == 3 and len(store.read_stream("s-1")) == 1


def test_inside_a_subscribers_transaction_each_attempt_is_a_savepoint(store):
    """A lost race undoes only its attempt: what the subscriber wrote before stays."""
    with store.engine.begin() as conn:
        store.append("other", 0, note(), conn=conn)   # e.g. the inbox's own work
        tries = []

        def work(c):
            tries.append(1)
            expected = 0 if len(tries) == 1 else len(store.read_stream("s-1", conn=c))
            return store.append("s-1", expected, note(), conn=c)

        runner.transact(store.engine, work, conn)
    assert len(store.read_stream("other")) == 1 and len(store.read_stream("s-1")) == 2
