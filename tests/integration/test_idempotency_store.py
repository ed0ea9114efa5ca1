"""The idempotency keys' contract in a service's store, on SQLite and on PostgreSQL: a
claim lets one attempt in, its write marks the key in the write's own transaction, a
repeat gets the stored answer (or 422 / 409), a refusal that wrote nothing is forgotten,
a dead attempt's claim is taken over only if it never wrote, and old keys are purged."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import marshmallow as ma
import pytest
import sqlalchemy as sa

from shared import fencing
from shared.events import NewEvent, Registry
from shared.eventstore import EventStore
from shared.fencing import Fence, FenceLost
from shared.idempotency import (LEASE, Answer, AnswerLost, InProgress, KeyReused, Keys,
                                fingerprint)
from shared.tables import idempotency_keys as K

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
FIRST = fingerprint("POST", "/api/v1/visits", b"", b'{"resident_id": "r1"}')
OTHER = fingerprint("POST", "/api/v1/visits", b"", b'{"resident_id": "r2"}')
CREATED = Answer(201, "application/json", b'{"id": "v-1"}')
REFUSED = Answer(404, "application/json", b'{"error": {"code": "not_found"}}')


class Visit(ma.Schema):
    resident_id = ma.fields.Str(required=True)


@pytest.fixture
def store(engine):
    registry = Registry()
    registry.register("VisitRecorded", Visit)
    return EventStore(engine, registry)


@pytest.fixture
def keys(engine):
    return Keys(engine)


def write(store, stream="visit-1"):
    return store.append(stream, 0, [NewEvent("VisitRecorded", {"resident_id": "r1"})])


def events(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events")).scalar()


def rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(K)).fetchall()


def test_a_repeat_gets_the_first_answer_and_another_request_under_the_key_a_422(store, keys):
    fence = keys.claim("worker-a", "k1", FIRST, NOW)
    assert isinstance(fence, Fence)
    with fencing.holding(fence):
        write(store)
    keys.answer(fence, CREATED, NOW)
    assert keys.claim("worker-a", "k1", FIRST, NOW + timedelta(days=7)) == CREATED
    with pytest.raises(KeyReused) as refused:
        keys.claim("worker-a", "k1", OTHER, NOW)
    assert refused.value.status == 422 and refused.value.message_zh
    assert events(store.engine) == 1


def test_the_write_marks_its_key_applied_in_its_own_transaction(store, keys):
    fence = keys.claim("worker-a", "k1", FIRST, NOW)
    with fencing.holding(fence):
        write(store)
    assert [r.applied for r in rows(store.engine)] == [1]


def test_a_key_is_the_callers_own(keys):
    assert isinstance(keys.claim("worker-a", "k1", FIRST, NOW), Fence)
    assert isinstance(keys.claim("worker-b", "k1", OTHER, NOW), Fence)


def test_a_repeat_while_the_first_is_in_progress_is_a_409(keys):
    keys.claim("worker-a", "k1", FIRST, NOW)
    with pytest.raises(InProgress) as busy:
        keys.claim("worker-a", "k1", FIRST, NOW + timedelta(seconds=1))
    assert busy.value.status == 409


def test_a_refusal_that_wrote_nothing_is_forgotten_so_the_fixed_request_may_use_the_key(
        store, keys):
    fence = keys.claim("worker-a", "k1", FIRST, NOW)
    keys.refused(fence, REFUSED, NOW)
    assert rows(store.engine) == []
    fixed = keys.claim("worker-a", "k1", OTHER, NOW)
    assert isinstance(fixed, Fence)


def test_a_refusal_after_a_write_is_kept_so_nothing_is_written_twice(store, keys):
    fence = keys.claim("worker-a", "k1", FIRST, NOW)
    with fencing.holding(fence):
        write(store)
    keys.refused(fence, REFUSED, NOW)
    assert keys.claim("worker-a", "k1", FIRST, NOW) == REFUSED


def test_a_dead_attempt_that_never_wrote_is_taken_over_and_cannot_write_late(store, keys):
    dead = keys.claim("worker-a", "k1", FIRST, NOW)
    heir = keys.claim("worker-a", "k1", FIRST, NOW + LEASE + timedelta(seconds=1))
    assert isinstance(heir, Fence) and heir.owner != dead.owner
    with fencing.holding(dead), pytest.raises(FenceLost):
        write(store)
    assert events(store.engine) == 0
    with fencing.holding(heir):
        write(store)
    assert events(store.engine) == 1


def test_a_dead_attempt_that_wrote_is_never_run_again(store, keys):
    dead = keys.claim("worker-a", "k1", FIRST, NOW)
    with fencing.holding(dead):
        write(store)
    with pytest.raises(AnswerLost) as lost:
        keys.claim("worker-a", "k1", FIRST, NOW + LEASE + timedelta(seconds=1))
    assert lost.value.status == 409 and lost.value.code == "idempotency_answer_lost"


def test_the_fence_marks_only_its_own_store(store, keys, tmp_path):
    from shared import db, migrations
    other_engine = db.make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrations.upgrade(other_engine)
    other = EventStore(other_engine, store.registry)
    fence = keys.claim("worker-a", "k1", FIRST, NOW)
    with fencing.holding(fence):
        write(other)
    assert [r.applied for r in rows(store.engine)] == [0]
    other_engine.dispose()


def test_keys_older_than_the_retention_are_purged_by_a_later_write(engine):
    keys = Keys(engine, keep=timedelta(days=14))
    fence = keys.claim("worker-a", "old", FIRST, NOW)
    keys.answer(fence, CREATED, NOW)
    keys.claim("worker-a", "recent", FIRST, NOW + timedelta(days=13))
    assert {r.key for r in rows(engine)} == {"old", "recent"}
    keys.claim("worker-a", "new", FIRST, NOW + timedelta(days=14, minutes=1))
    assert {r.key for r in rows(engine)} == {"recent", "new"}
    assert isinstance(keys.claim("worker-a", "old", OTHER, NOW + timedelta(days=15)), Fence)
