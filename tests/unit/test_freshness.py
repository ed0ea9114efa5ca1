"""shared.freshness.Waiter: a refusal resting on another service's events is decided again
once this service's inbox has applied the source's committed head, waiting at most the
bound; any other refusal, and every answer, goes out as it was (issue 20, item 1).

The inbox's checkpoint is a real one (SQLite); the source's head is a stand-in for the
RPC (the integration tests ask the real services: tests/integration/test_read_your_writes.py)."""
from __future__ import annotations

import threading

import pytest

from shared import db
from shared.freshness import Waiter
from shared.inbox import inbox_name
from shared.kit.errors import LearnedFromEvents, Missing
from shared.relay import Checkpoint
from shared.tables import metadata


class ResidentUnknown(Missing, LearnedFromEvents):
    def __init__(self):
        super().__init__("Resident r1 not found", "未找到居民 r1")


class CaseUnknown(Missing):
    def __init__(self):
        super().__init__("Case c1 not found", "未找到个案 c1")


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'casework.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def inbox(engine) -> Checkpoint:
    return Checkpoint(engine, inbox_name("casework", "residents"))


class Source:
    """The residents service's head, as `head_position` answers it (or fails to)."""

    def __init__(self, head: int = 0, fails: bool = False):
        self.head, self.fails, self.asked = head, fails, []

    def __call__(self, source: str, timeout: float) -> int:
        self.asked.append(source)
        if self.fails:
            raise TimeoutError("residents does not answer")
        return self.head


class Decisions:
    """A request decided on the read model: refused until the resident is known."""

    def __init__(self, engine, known_at: int, refusal=ResidentUnknown):
        self.engine, self.known_at, self.refusal, self.runs = engine, known_at, refusal, 0

    def __call__(self) -> dict:
        self.runs += 1
        if inbox(self.engine).get() < self.known_at:
            raise self.refusal()
        return {"id": "case-1"}


def test_a_refusal_on_events_not_yet_applied_waits_for_them_and_is_decided_again(engine):
    inbox(engine).set(3)
    source = Source(head=5)
    waiter = Waiter(engine, "casework", source, bound_s=30)
    arrives = threading.Timer(0.2, lambda: inbox(engine).set(5))  # the event is consumed
    arrives.start()
    decide = Decisions(engine, known_at=5)
    assert waiter.decide(decide) == {"id": "case-1"}
    assert (decide.runs, source.asked) == (2, ["residents"])
    arrives.join()


def test_a_genuine_miss_at_the_head_is_refused_as_before_without_waiting(engine):
    inbox(engine).set(5)
    waiter = Waiter(engine, "casework", Source(head=5), bound_s=30)
    decide = Decisions(engine, known_at=6)
    with pytest.raises(ResidentUnknown):
        waiter.decide(decide)
    assert decide.runs == 2


def test_an_answer_is_given_at_once_and_the_source_is_not_asked(engine):
    source = Source(head=5)
    assert Waiter(engine, "casework", source).decide(lambda: {"id": "v1"}) == {"id": "v1"}
    assert source.asked == []


def test_a_refusal_of_the_services_own_knowledge_is_not_retried(engine):
    source = Source(head=5)
    decide = Decisions(engine, known_at=1, refusal=CaseUnknown)
    with pytest.raises(CaseUnknown):
        Waiter(engine, "casework", source).decide(decide)
    assert (decide.runs, source.asked) == (1, [])


def test_the_wait_ends_at_the_bound_when_the_events_do_not_arrive(engine):
    """A relay or broker that is slow (the event stays in the source's outbox): the
    request is decided on what has arrived, and its refusal stands."""
    inbox(engine).set(3)
    waiter = Waiter(engine, "casework", Source(head=5), bound_s=0.3)
    assert waiter.wait_for("residents") is False
    decide = Decisions(engine, known_at=5)
    with pytest.raises(ResidentUnknown):
        waiter.decide(decide)
    assert decide.runs == 2


def test_a_source_that_does_not_answer_leaves_the_decision_to_what_is_here(engine):
    source = Source(fails=True)
    decide = Decisions(engine, known_at=1)
    with pytest.raises(ResidentUnknown):
        Waiter(engine, "casework", source, bound_s=30).decide(decide)
    assert (decide.runs, source.asked) == (2, ["residents"])


def test_a_bound_of_zero_never_waits(engine):
    source = Source(head=5)
    decide = Decisions(engine, known_at=1)
    with pytest.raises(ResidentUnknown):
        Waiter(engine, "casework", source, bound_s=0).decide(decide)
    assert (decide.runs, source.asked) == (1, [])
