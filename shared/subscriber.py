"""`subscribe(source)`: a nameko entrypoint that consumes another service's events.

    class Casework(EventSourcedService):
        store = StoreProvider(registry)
        inbox = InboxProvider(store, handlers=lambda store: {"CardAssigned": ...})

        @subscribe("residents")
        def on_residents(self, envelope, headers):
            return self.inbox.deliver("residents", envelope, headers, self.queue_name)

The queue is `<this service>.inbox.<source>` (shared.topology), durable, declared with
its retry and parking queues. Unlike nameko's event_handler, a failing handler neither
loses the message (requeue_on_error=False acks it) nor loops hot (True requeues at
once): `deliver` schedules a delayed retry and finally parks it. Only if even that
fails is the message put back, after a pause.

A message that is not an event envelope at all (not JSON, a content type other than
JSON, a list, missing fields, fields of the wrong type: shared.envelope) is parked at
once, as it came, with the reason in `x-error` and `x-undecodable`, and one warning
line: retrying it could never help, and it would hold every event behind it.

The broker may go away while a message is being handled: its ack (or requeue) then finds
the connection gone. That is not the service's failure — the message is still unacked on
the broker's side, which delivers it again once the consumer has reconnected, and the
inbox applies it once — so it must not kill the container (before, nameko's worker thread
raised and `station serve` exited on a broker restart: tests/faults).
"""
from __future__ import annotations

from functools import partial

import amqp.exceptions
import eventlet
import kombu
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from shared import envelope, logs, topology

log = logs.get("subscriber")

# What a settle on a connection the broker has dropped raises.
CONNECTION_GONE = (OSError, amqp.exceptions.ConnectionError,
                   amqp.exceptions.RecoverableConnectionError)


class SubscriberQueues(QueueConsumer):
    """nameko's queue consumer, with a decoding error handed to the subscriber: kombu
    raises it in the consuming thread, which would stop every entrypoint of the service
    and leave the message at the head of the queue for the next start."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self.undecodable, provider)
        return consumers

    def undecodable(self, provider, message, exc):
        reason = (f"not decodable as {message.content_type or 'no content type'}: "
                  f"{type(exc).__name__}: {str(exc)[:200]}")
        self.container.spawn_managed_thread(partial(provider.park, message, reason),
                                            identifier="Subscriber.park")


class Subscriber(Consumer):
    queue_consumer = SubscriberQueues()

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self):
        consumer = self.container.service_name
        deployment = self.container.config.get("STATION_DEPLOYMENT", "")
        self.queue = topology.inbox_queue(consumer, self.source, deployment)
        with kombu.Connection(self.container.config["AMQP_URI"], connect_timeout=5) as conn:
            topology.declare_inbox(conn.default_channel, consumer, self.source, deployment)
        super().setup()

    def handle_message(self, body, message):
        problem = envelope.problem(body)
        if problem is not None:
            self.park(message, problem)
            return
        headers = dict(message.headers or {})
        args = (body, headers, self.queue.name)
        context_data = self.unpack_message_headers(message)
        handle_result = partial(self.handle_result, message)
        try:
            self.container.spawn_worker(self, args, {}, context_data=context_data,
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            self._settle(self.queue_consumer.requeue_message, message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None:
            eventlet.sleep(1.0)  # the retry path itself failed (broker or database away)
        self._settle(partial(super().handle_message_processed, result=result,
                             exc_info=exc_info), message)

    def _settle(self, settle, message) -> None:
        """Ack or requeue; a connection gone meanwhile leaves the message to the broker,
        which delivers it again after the reconnection (applied once by the inbox)."""
        try:
            settle(message)
        except CONNECTION_GONE as exc:
            log.warning("subscriber.settle_lost", source=self.source,
                        error_type=type(exc).__name__)

    def park(self, message, reason: str) -> None:
        """Move a message that is no envelope to the parking queue as it came, with why."""
        try:
            with kombu.Connection(self.container.config["AMQP_URI"], connect_timeout=5) as conn:
                target = topology.parked_queue(self.queue.name)
                conn.Producer().publish(
                    message.body, exchange="", routing_key=target.name, declare=[target],
                    headers={**(message.headers or {}), "x-error": f"undecodable: {reason}",
                             "x-undecodable": reason},
                    content_type=message.content_type or "application/octet-stream",
                    content_encoding=message.content_encoding or "binary",
                    delivery_mode=2, retry=True, retry_policy={"max_retries": 5})
        except Exception as exc:  # broker away: put it back, after a pause
            log.warning("inbox.park_failed", queue=self.queue.name, error_type=type(exc).__name__)
            eventlet.sleep(1.0)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)
        log.warning("inbox.undecodable", queue=self.queue.name, reason=reason,
                    routing_key=message.delivery_info.get("routing_key"),
                    parked=target.name, message="a message that is no event was parked")


subscribe = Subscriber.decorator
