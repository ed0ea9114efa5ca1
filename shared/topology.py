"""Names and shapes of everything on the broker, declared before anything is published.

- Each service publishes its events to one topic exchange `<service>.events`, routing
  key = event type. The exchange has an alternate exchange, `<service>.events.unrouted`,
  with a durable queue, so a message nobody is bound for is kept, not dropped.
- Each subscribing service has one durable queue per source, `<consumer>.inbox.<source>`,
  bound to all of the source's events ('#'): positions then arrive densely, and a jump
  means a lost message (see shared.inbox).
- A failing message goes to `<queue>.retry` (where it waits out its expiration, then
  is dead-lettered back into the queue) and after its last retry to `<queue>.parked`, with its error.

Every name starts with the deployment's name when it has one (shared.deployment:
`<deployment>.residents.events`), so deployments sharing a broker never cross.

SUBSCRIPTIONS is the one table of who listens to whom. The relay of a source declares
its subscribers' queues too, so events published before a subscriber ever ran wait for it.
"""
from __future__ import annotations

import os

from kombu import Exchange, Queue

from shared.deployment import prefixed

SERVICES = ("residents", "casework", "activities", "resources", "reporting")

# consumer -> the services whose events it reads
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "residents": ("casework", "resources"),
    "casework": ("residents",),
    "activities": ("residents",),
    "resources": ("residents",),
    "reporting": ("residents", "casework", "activities", "resources"),
}


# Queue arguments by STATION_QUEUE_TYPE (shared.config): quorum queues are replicated
# across a clustered broker's nodes; classic suits a single node. Every process declaring
# a queue must agree (RabbitMQ refuses a redeclaration with other arguments).
QUEUE_TYPES: dict[str, dict] = {"classic": {}, "quorum": {"x-queue-type": "quorum"}}


def queue_arguments(**extra) -> dict:
    return {**QUEUE_TYPES[os.environ.get("STATION_QUEUE_TYPE") or "classic"], **extra}


def subscribers_of(source: str, subscriptions=None) -> list[str]:
    table = SUBSCRIPTIONS if subscriptions is None else subscriptions
    return sorted(c for c, sources in table.items() if source in sources)


def events_exchange(source: str, deployment: str = "") -> Exchange:
    return Exchange(prefixed(deployment, f"{source}.events"), type="topic", durable=True,
                    arguments={"alternate-exchange": prefixed(deployment, f"{source}.events.unrouted")})


def unrouted_exchange(source: str, deployment: str = "") -> Exchange:
    return Exchange(prefixed(deployment, f"{source}.events.unrouted"), type="fanout", durable=True)


def unrouted_queue(source: str, deployment: str = "") -> Queue:
    return Queue(prefixed(deployment, f"{source}.events.unrouted"),
                 exchange=unrouted_exchange(source, deployment), durable=True,
                 queue_arguments=queue_arguments())


def inbox_name(consumer: str, source: str, deployment: str = "") -> str:
    return prefixed(deployment, f"{consumer}.inbox.{source}")


def inbox_queue(consumer: str, source: str, deployment: str = "") -> Queue:
    return Queue(inbox_name(consumer, source, deployment),
                 exchange=events_exchange(source, deployment), routing_key="#", durable=True,
                 queue_arguments=queue_arguments())


def retry_queue(queue_name: str) -> Queue:
    # Messages wait here until their own expiration (set per message by whoever retries:
    # no TTL argument, so every declarer agrees whatever delay it is configured with),
    # then the default exchange routes them back into the queue by name.
    return Queue(f"{queue_name}.retry", durable=True, queue_arguments=queue_arguments(**{
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue_name,
    }))


def parked_queue(queue_name: str) -> Queue:
    return Queue(f"{queue_name}.parked", durable=True, queue_arguments=queue_arguments())


def declare_source(channel, source: str, subscriptions=None, deployment: str = "") -> None:
    """Declare a source's exchanges and every subscriber queue bound to it."""
    unrouted_exchange(source, deployment)(channel).declare()
    unrouted_queue(source, deployment)(channel).declare()
    events_exchange(source, deployment)(channel).declare()
    for consumer in subscribers_of(source, subscriptions):
        declare_inbox(channel, consumer, source, deployment)


def declare_inbox(channel, consumer: str, source: str, deployment: str = "") -> None:
    unrouted_exchange(source, deployment)(channel).declare()
    events_exchange(source, deployment)(channel).declare()
    queue = inbox_queue(consumer, source, deployment)
    queue(channel).declare()
    retry_queue(queue.name)(channel).declare()
    parked_queue(queue.name)(channel).declare()
