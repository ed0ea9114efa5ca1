"""A subscriber's ack or requeue that finds the broker's connection gone (RabbitMQ stopped
mid-message) is left to the broker's redelivery: it must not raise out of the worker, or
nameko kills the container and `station serve` exits (found by tests/faults)."""
from __future__ import annotations

import pytest

from shared.subscriber import Subscriber


class GoneConsumer:
    """The queue consumer of a connection the broker has just dropped."""

    def __init__(self):
        self.tried = []

    def ack_message(self, message):
        self.tried.append(("ack", message))
        raise ConnectionResetError(104, "Connection reset by peer")

    def requeue_message(self, message):
        self.tried.append(("requeue", message))
        raise BrokenPipeError(32, "Broken pipe")


@pytest.fixture
def subscriber():
    sub = Subscriber("residents")
    sub.queue_consumer = GoneConsumer()
    return sub


def test_an_ack_on_a_dropped_connection_does_not_raise(subscriber):
    subscriber.handle_message_processed("m1", result=None, exc_info=None)
    assert subscriber.queue_consumer.tried == [("ack", "m1")]


def test_a_requeue_on_a_dropped_connection_does_not_raise(subscriber, monkeypatch):
    monkeypatch.setattr("shared.subscriber.eventlet.sleep", lambda _: None)
    subscriber.handle_message_processed("m2", exc_info=(RuntimeError, RuntimeError(), None))
    assert subscriber.queue_consumer.tried == [("requeue", "m2")]


def test_other_failures_still_raise(subscriber):
    class Broken(GoneConsumer):
        def ack_message(self, message):
            raise ValueError("a bug, not the broker")
    subscriber.queue_consumer = Broken()
    with pytest.raises(ValueError):
        subscriber.handle_message_processed("m3")
