"""`station parked list|inspect|replay`: messages a subscriber gave up on.

A message whose handler kept failing ends in `<consumer>.inbox.<source>.parked` with its
error in the `x-error` header (shared.providers), and the consumer's inbox keeps the
event in its quarantine as `parked`. After the cause is fixed (a bug deployed, a missing
record added), `replay` marks the event `retrying` in the consumer's store and puts the
message back on the consumer's queue with a fresh retry count; the inbox then applies
it once (it is past the checkpoint, so nothing else would); a message parked because it
is no event at all stays (replayed, it would be parked again). `inspect` shows envelopes
with payload keys only: parked events may be about residents.
"""
from __future__ import annotations

import json
import sys

import kombu
import sqlalchemy as sa
from amqp.exceptions import NotFound

from shared import envelope, topology
from shared.events import Registry
from shared.inbox import Inbox
from shared.stores import open_store
from shared.tables import quarantine


def parked_name(consumer: str, source: str, deployment: str = "") -> str:
    """The parked queue of a subscription, with the deployment's prefix as `station up`
    and `station serve` name it (shared.deployment)."""
    return topology.parked_queue(topology.inbox_name(consumer, source, deployment)).name


def depth(conn: kombu.Connection, queue: str) -> int:
    channel = conn.channel()
    try:
        return channel.queue_declare(queue, passive=True).message_count
    except NotFound:
        return 0
    finally:
        try:
            channel.close()
        except Exception:  # a NotFound closes the channel on the broker's side
            pass


def counts(amqp_uri: str, subscriptions=None, deployment: str = "") -> list[dict]:
    table = topology.SUBSCRIPTIONS if subscriptions is None else subscriptions
    with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
        return [{"consumer": c, "source": s, "queue": parked_name(c, s, deployment),
                 "parked": depth(conn, parked_name(c, s, deployment))}
                for c, sources in sorted(table.items()) for s in sources]


def summary(message) -> dict:
    """What an operator may see of a parked message: no payload values."""
    headers = message.headers or {}
    body = _envelope(message)
    if body is None:  # parked because it is no event (shared.envelope): no fields to show
        return {"undecodable": headers.get("x-undecodable") or headers.get("x-error"),
                "content_type": message.content_type, "bytes": len(message.body or b"")}
    return {"position": body.get("position"), "event_id": body.get("event_id"),
            "type": body.get("type"), "stream_id": body.get("stream_id"),
            "retries": headers.get("x-retries"), "error": headers.get("x-error"),
            "payload_keys": sorted(body.get("payload") or {})}


def _envelope(message) -> dict | None:
    """The parked message's envelope, or None if it is none (an undecodable message)."""
    try:
        body = json.loads(message.body) if isinstance(message.body, (bytes, str)) else message.body
    except ValueError:
        return None
    return body if envelope.problem(body) is None else None


def peek(amqp_uri: str, consumer: str, source: str, limit: int = 100,
         deployment: str = "") -> list[dict]:
    """The parked messages, left where they are (taken unacknowledged, then requeued)."""
    with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        seen = []
        for _ in range(limit):
            message = channel.basic_get(parked_name(consumer, source, deployment), no_ack=False)
            if message is None:
                break
            seen.append(summary(message))
        channel.close()  # every unacknowledged message goes back, in order
        return seen


def replay(amqp_uri: str, config: dict, consumer: str, source: str,
           position: int | None = None) -> list[int]:
    """Put parked messages (all, or the one at `position`) back on the consumer's queue
    (the deployment's, from config's STATION_DEPLOYMENT)."""
    deployment = config.get("STATION_DEPLOYMENT") or ""
    store = open_store(consumer, config, Registry())
    name = Inbox(store.engine, consumer, source, {}, fetch=None).name
    inbox = topology.inbox_name(consumer, source, deployment)
    replayed, keep = [], []
    try:
        with kombu.Connection(amqp_uri, connect_timeout=5) as conn:
            channel = conn.channel()
            producer = kombu.Producer(channel)
            while (message := channel.basic_get(parked_name(consumer, source, deployment))
                   ) is not None:
                body = _envelope(message)
                if body is None or (position is not None and body.get("position") != position):
                    keep.append(message)
                    continue
                with store.engine.begin() as db:
                    db.execute(sa.update(quarantine).where(quarantine.c.name == name)
                               .where(quarantine.c.position == body["position"])
                               .values(status="retrying"))
                headers = {k: v for k, v in (message.headers or {}).items()
                           if k not in ("x-retries", "x-error")}
                producer.publish(message.body, exchange="", routing_key=inbox,
                                 headers={**headers, "x-replayed": True},
                                 content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2)
                channel.basic_ack(message.delivery_tag)
                replayed.append(body["position"])
            for message in keep:
                channel.basic_reject(message.delivery_tag, requeue=True)
    finally:
        store.engine.dispose()
    return replayed


def cmd_list(args) -> int:
    from station.cli import _settings
    settings = _settings(args)
    rows = counts(settings.amqp_uri, deployment=settings.deployment or "")
    print(json.dumps(rows, indent=2))
    return 0


def cmd_inspect(args) -> int:
    from station.cli import _settings
    settings = _settings(args)
    print(json.dumps(peek(settings.amqp_uri, args.consumer, args.source, args.limit,
                          settings.deployment or ""), ensure_ascii=False, indent=2))
    return 0


def cmd_replay(args) -> int:
    from station.cli import _settings
    settings = _settings(args)
    done = replay(settings.amqp_uri, settings.nameko_config(), args.consumer, args.source,
                  args.position)
    print(json.dumps({"replayed_positions": done}))
    inbox = topology.inbox_name(args.consumer, args.source, settings.deployment or "")
    print(f"{len(done)} message(s) back on {inbox} "
          f"/ 已重新投递", file=sys.stderr)
    return 0


def register(sub, with_data_dir) -> None:
    group = sub.add_parser("parked", help="messages subscribers gave up on").add_subparsers(
        dest="action", required=True)
    with_data_dir(group.add_parser("list", help="parked messages per subscription")
                  ).set_defaults(func=cmd_list)
    for action, func, text in (("inspect", cmd_inspect, "show parked messages (no payloads)"),
                               ("replay", cmd_replay, "put parked messages back on the queue")):
        command = with_data_dir(group.add_parser(action, help=text))
        command.add_argument("consumer")
        command.add_argument("source")
        if action == "inspect":
            command.add_argument("--limit", type=int, default=100)
        else:
            command.add_argument("--position", type=int, help="only the event at this position")
        command.set_defaults(func=func)
