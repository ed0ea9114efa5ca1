"""The event store's contract, run on SQLite and on PostgreSQL (the `engine` fixture)."""
from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta, timezone

import marshmallow as ma
import pytest
import sqlalchemy as sa

from shared.events import InvalidEvent, NewEvent, Registry, UnknownEventType
from shared.eventstore import ConcurrencyError, EventStore

pytestmark = pytest.mark.integration


class VisitV1(ma.Schema):
    resident_id = ma.fields.Str(required=True)


class VisitV2(ma.Schema):
    resident_id = ma.fields.Str(required=True)
    method = ma.fields.Str(required=True, validate=ma.validate.OneOf(["home", "phone"]))


def registry_v1() -> Registry:
    registry = Registry()
    registry.register("VisitRecorded", VisitV1)
    return registry


def registry_v2() -> Registry:
    registry = Registry()
    registry.register("VisitRecorded", VisitV2, version=2,
                      upcasters={1: lambda p: {**p, "method": "home"}})
    return registry


def visit(resident="r1", method="home", **kw) -> NewEvent:
    return NewEvent("VisitRecorded", {"resident_id": resident, "method": method}, **kw)


@pytest.fixture
def store(engine):
    return EventStore(engine, registry_v2())


def count_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM events").scalar()


def test_appended_events_are_read_back_in_version_order(store):
    store.append("resident-1", 0, [visit(), visit(method="phone")])
    store.append("resident-1", 2, [visit()])
    events = store.read_stream("resident-1")
    assert [e.stream_version for e in events] == [1, 2, 3]
    assert [e.payload["method"] for e in events] == ["home", "phone", "home"]
    assert store.read_stream("resident-1", from_version=2)[0].stream_version == 3


def test_a_wrong_expected_version_raises_and_writes_nothing(store):
    store.append("s", 0, [visit()])
    with pytest.raises(ConcurrencyError) as err:
        store.append("s", 0, [visit(), visit()])
    assert (err.value.expected, err.value.actual) == (0, 1)
    assert count_rows(store.engine) == 1


def test_two_writers_racing_on_one_stream_exactly_one_wins(store):
    """Must show 1: the loser gets ConcurrencyError; no gap or duplicate version."""
    for round_ in range(20):
        stream = f"race-{round_}"
        barrier, outcomes = threading.Barrier(2), []

        def write(tag):
            barrier.wait()
            try:
                store.append(stream, 0, [visit(resident=tag)])
                outcomes.append("won")
            except ConcurrencyError:
                outcomes.append("lost")

        threads = [threading.Thread(target=write, args=(t,)) for t in ("a", "b")]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(outcomes) == ["lost", "won"]
        assert [e.stream_version for e in store.read_stream(stream)] == [1]


def test_a_retried_append_with_the_same_ids_stores_nothing_twice(store):
    """Must show 2: a writer that timed out and retries gets the stored events back."""
    events = [visit(), visit(method="phone")]
    first = store.append("s", 0, events)
    again = store.append("s", 0, events)
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert [e.stream_version for e in again] == [1, 2]
    assert count_rows(store.engine) == 2


def test_reusing_an_event_id_in_another_append_is_a_conflict_not_a_silent_drop(store):
    event = visit()
    store.append("s", 0, [event])
    with pytest.raises(ConcurrencyError):
        store.append("s", 1, [event, visit()])
    assert count_rows(store.engine) == 1


def test_invalid_payload_and_unknown_type_are_refused_before_writing(store):
    with pytest.raises(InvalidEvent) as err:
        store.append("s", 0, [visit(), NewEvent("VisitRecorded", {"resident_id": "r"})])
    assert "method" in err.value.errors
    with pytest.raises(UnknownEventType):
        store.append("s", 0, [NewEvent("NoSuchThing", {})])
    assert count_rows(store.engine) == 0


def test_a_stored_v1_event_is_read_as_v2(engine):
    EventStore(engine, registry_v1()).append("s", 0, [NewEvent("VisitRecorded", {"resident_id": "r"})])
    (event,) = EventStore(engine, registry_v2()).read_stream("s")
    assert event.schema_version == 2
    assert event.payload == {"resident_id": "r", "method": "home"}


def test_as_of_returns_only_what_was_recorded_by_then(store):
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    store.append("s", 0, [visit(method="home")], now=yesterday)
    store.append("s", 1, [visit(method="phone")])
    then = store.read_stream("s", as_of=yesterday + timedelta(hours=1))
    assert [e.payload["method"] for e in then] == ["home"]
    assert len(store.read_stream("s")) == 2


def test_read_all_numbers_events_densely_in_commit_order(store):
    for i in range(5):
        store.append(f"s{i % 2}", i // 2, [visit()])
    events = store.read_all(0, 100)
    assert [e.position for e in events] == [1, 2, 3, 4, 5]
    assert [e.position for e in store.read_all(3, 100)] == [4, 5]
    assert [e.position for e in store.read_all(0, 2)] == [1, 2]


def test_the_committed_head_covers_every_committed_event_even_while_a_sequencer_works(store):
    """shared.freshness waits for a source's committed head: events committed but not yet
    numbered are numbered first; on PostgreSQL, if another sequencer (the relay's) holds
    the lock, the head waits for it rather than answer below those events."""
    store.append("s", 0, [visit()])
    assert [e.position for e in store.read_all(0, 10)] == [1]
    store.append("s", 1, [visit(), visit()])       # committed, not numbered yet
    heads: list[int] = []
    asking = threading.Thread(target=lambda: heads.append(store.committed_head()))
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as relay:
            relay.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.sequencer'))")
            asking.start()
            asking.join(timeout=0.5)
    else:
        asking.start()
    asking.join(timeout=30)
    assert heads == [3]
    assert [e.position for e in store.read_all(0, 10)] == [1, 2, 3]


def tamper(engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def test_verify_names_the_stream_and_version_of_an_edited_payload(store):
    """Must show 3: editing one stored event in the database is caught."""
    store.append("resident-7", 0, [visit(), visit(), visit()])
    store.append("resident-8", 0, [visit()])
    assert store.verify() == []
    tamper(store.engine, "UPDATE events SET payload = :p WHERE stream_id = 'resident-7' "
           "AND stream_version = 2", p='{"resident_id": "r1", "method": "phone"}')
    assert store.verify() == [{"stream_id": "resident-7", "version": 2, "problem": "altered"}]


def test_verify_names_a_missing_event(store):
    store.append("s", 0, [visit(), visit(), visit()])
    tamper(store.engine, "DELETE FROM events WHERE stream_id = 's' AND stream_version = 2")
    assert store.verify() == [{"stream_id": "s", "version": 2, "problem": "missing"}]


def test_verify_names_an_event_moved_onto_another_predecessor(store):
    store.append("s", 0, [visit(), visit()])
    store.append("t", 0, [visit()])
    # Splice the other stream's first event in place of s's first, reseal nothing.
    tamper(store.engine, "UPDATE events SET prev_hash = (SELECT hash FROM events WHERE "
           "stream_id = 't' AND stream_version = 1) WHERE stream_id = 's' AND stream_version = 2")
    assert store.verify()[0]["problem"] in {"altered", "reordered"}
    assert store.verify()[0]["version"] == 2


def test_a_reader_following_read_all_sees_every_event_once_while_commits_interleave(store):
    """Must show 7 (after message-db-race): writers hold transactions open for random
    times so they commit out of the order they inserted; a reader follows read_all."""
    writers, per_writer = 8, 40
    written: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(w):
        rnd = random.Random(w)
        for i in range(per_writer):
            with store.engine.begin() as conn:
                recorded = store.append(f"w{w}-{i % 4}", store.stream_version(f"w{w}-{i % 4}", conn),
                                        [visit(resident=f"{w}-{i}")], conn=conn)
                time.sleep(rnd.random() * 0.01)
            with lock:
                written.extend(e.event_id for e in recorded)

    seen: list[str] = []
    positions: list[int] = []

    def reader():
        after = 0
        while True:
            finished = done.is_set()
            batch = store.read_all(after, 50)
            for event in batch:
                seen.append(event.event_id)
                positions.append(event.position)
                after = event.position
            if finished and not batch:
                return

    read_thread = threading.Thread(target=reader)
    read_thread.start()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    done.set()
    read_thread.join(timeout=120)
    assert len(written) == writers * per_writer
    assert sorted(seen) == sorted(written)            # every event, none twice
    assert positions == list(range(1, len(written) + 1))  # dense, in order


# -- append_streams: many streams in one transaction (a bulk writer's append) -------------

def test_append_streams_writes_new_and_existing_streams_chained_and_signed_as_append(engine):
    from shared import signing
    store = EventStore(engine, registry_v2())
    store.signer = signing.parse_private("svc", signing.new_private_line("svc"))
    store.append("old", 0, [visit()])
    stored = store.append_streams([("a", 0, [visit("a"), visit("a", "phone")]),
                                   ("old", 1, [visit("old")]),
                                   ("b", 0, [visit("b")])])
    assert [[(e.stream_id, e.stream_version) for e in s] for s in stored] == [
        [("a", 1), ("a", 2)], [("old", 2)], [("b", 1)]]
    read = store.read_stream("a") + store.read_stream("old") + store.read_stream("b")
    assert [e.event_id for e in read] == [e.event_id for e in
                                          store.read_stream("a") + store.read_stream("old")[:1]
                                          + stored[1] + stored[2]]
    assert store.read_stream("a")[1].payload["method"] == "phone"
    assert store.read_stream("old")[1].prev_hash == store.read_stream("old")[0].hash
    assert all(e.signature == store.signer.seal(e.hash) for e in read)
    assert store.verify() == []
    assert [e.position for e in store.read_all()] == [1, 2, 3, 4, 5]


def test_append_streams_is_all_or_nothing_when_one_stream_moved_on(engine):
    store = EventStore(engine, registry_v2())
    store.append("taken", 0, [visit()])
    with pytest.raises(ConcurrencyError) as err:
        store.append_streams([("fresh", 0, [visit()]), ("taken", 0, [visit()]),
                              ("other", 0, [visit()])])
    assert (err.value.stream_id, err.value.expected, err.value.actual) == ("taken", 0, 1)
    assert count_rows(engine) == 1 and store.read_stream("fresh") == []


def test_append_streams_retried_stores_nothing_twice(engine):
    store = EventStore(engine, registry_v2())
    batch = [("a", 0, [visit("a")]), ("b", 0, [visit("b"), visit("b")])]
    first = store.append_streams(batch)
    again = store.append_streams(batch)
    assert [[e.event_id for e in s] for s in again] == [[e.event_id for e in s] for s in first]
    assert count_rows(engine) == 3


def test_append_streams_refuses_a_reused_event_id_and_an_invalid_payload_writing_nothing(engine):
    store = EventStore(engine, registry_v2())
    used = visit()
    store.append("s", 0, [used])
    with pytest.raises(ConcurrencyError) as err:
        store.append_streams([("x", 0, [visit()]), ("y", 0, [used])])
    assert err.value.stream_id == "y"
    with pytest.raises(InvalidEvent):
        store.append_streams([("x", 0, [visit()]),
                              ("y", 0, [NewEvent("VisitRecorded", {"resident_id": "r"})])])
    with pytest.raises(ValueError):
        store.append_streams([("x", 0, [visit()]), ("x", 0, [visit()])])
    assert count_rows(engine) == 1


def test_append_streams_inside_a_callers_transaction_is_undone_with_it(engine):
    store = EventStore(engine, registry_v2())
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            store.append_streams([("a", 0, [visit()]), ("b", 0, [visit()])], conn=conn)
            raise RuntimeError("the caller's work fails")
    assert count_rows(engine) == 0
    with engine.begin() as conn:   # a refused batch undoes only itself
        store.append_streams([("a", 0, [visit()])], conn=conn)
        with pytest.raises(ConcurrencyError):
            store.append_streams([("b", 0, [visit()]), ("a", 0, [visit()])], conn=conn)
    assert count_rows(engine) == 1 and store.read_stream("b") == []


def test_two_batches_racing_on_a_shared_stream_one_wins_whole(engine):
    """Batch A writes (p, shared), batch B (shared, q): exactly one wins, and the loser's
    other stream is not written (no half batch)."""
    store = EventStore(engine, registry_v2())
    for round_ in range(10):
        p, shared, q = f"p{round_}", f"shared{round_}", f"q{round_}"
        barrier, outcomes = threading.Barrier(2), {}

        def write(tag, streams):
            barrier.wait()
            try:
                store.append_streams([(s, 0, [visit(tag)]) for s in streams])
                outcomes[tag] = "ok"
            except ConcurrencyError:
                outcomes[tag] = "conflict"

        threads = [threading.Thread(target=write, args=("A", [p, shared])),
                   threading.Thread(target=write, args=("B", [shared, q]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["conflict", "ok"]
        winner = store.read_stream(shared)[0].payload["resident_id"]
        assert [winner] == [k for k, v in outcomes.items() if v == "ok"]
        assert len(store.read_stream(p)) == (winner == "A")
        assert len(store.read_stream(q)) == (winner == "B")
    assert store.verify() == []
