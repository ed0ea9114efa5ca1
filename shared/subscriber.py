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
from nameko.messaging import Consumer

from shared import logs, topology

log = logs.get("subscriber")

# What a settle on a connection the broker has dropped raises.
CONNECTION_GONE = (OSError, amqp.exceptions.ConnectionError,
                   amqp.exceptions.RecoverableConnectionError)


class Subscriber(Consumer):
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


subscribe = Subscriber.decorator
