"""`station inbox status|resync`: an operator's view of each subscriber's sources.

`status` shows, per inbox, the store it follows (following or halted, and why), its
position and how many messages are parked (in the store's quarantine and on the broker).

An inbox halts when its source's store was replaced (a restore, a new database) and it
could not resynchronise on its own, typically because the source was not answering
(shared.inbox_sync). `resync` does it now: the source must be running (its events are
read over RPC, never from its database); the consumer may be running or not.
"""
from __future__ import annotations

import json
import sys


def inboxes(consumer: str, config: dict):
    """The consumer's inboxes, built as its InboxProvider builds them."""
    from shared import topology
    from shared.inbox import Inbox
    from shared.providers import InboxProvider, rpc_fetch, rpc_store_id
    from shared.stores import open_store
    from station import catalog
    cls = catalog.service_class(consumer)
    provider = next((v for v in vars(cls).values() if isinstance(v, InboxProvider)), None)
    if provider is None:
        return {}
    store = open_store(consumer, config, catalog.registry(consumer), catalog.projections(consumer))
    table = provider.handlers(store)
    sources = provider.sources or topology.SUBSCRIPTIONS.get(consumer, ())
    # The sources' store reads take a service credential: the consumer's (shared.kit.rpc).
    return {s: Inbox(store.engine, consumer, s, table, rpc_fetch(config, consumer),
                     source_store_id=rpc_store_id(config, s, consumer),
                     on_resync=provider.on_resync and (
                         lambda conn, s=s: provider.on_resync(conn, source=s)),
                     refold=provider.refold and provider.refold(store))
            for s in sources}


def parked_on_broker(config: dict, queues: list[str]) -> dict[str, int]:
    """Messages in each parking queue (those parked as no event are only there)."""
    from shared import health
    if not config.get("AMQP_URI"):
        return {}
    return health.broker(config["AMQP_URI"], queues).get("queues", {})


def cmd_status(args, config: dict) -> int:
    from shared import topology
    from station import catalog
    deployment = config.get("STATION_DEPLOYMENT", "")
    found = {(consumer, source): inbox for consumer in catalog.SERVICES
             for source, inbox in inboxes(consumer, config).items()}
    queue = {key: topology.inbox_name(*key, deployment) + ".parked" for key in found}
    depths = parked_on_broker(config, list(queue.values()))
    report = {}
    for (consumer, source), inbox in found.items():
        parked = inbox.parked_count() + depths.get(queue[consumer, source], 0)
        report[f"{consumer}<-{source}"] = {**inbox.status(), "parked": parked,
                                           "position": inbox.checkpoint.get()}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if any(v["status"] == "halted" for v in report.values()) else 0


def cmd_resync(args, config: dict) -> int:
    inbox = inboxes(args.consumer, config).get(args.source)
    if inbox is None:
        print(f"{args.consumer} does not subscribe to {args.source} / 该服务未订阅此来源",
              file=sys.stderr)
        return 2
    outcome = inbox.resync()
    status = inbox.status()
    print(json.dumps({**status, "outcome": outcome.value, "position": inbox.checkpoint.get()},
                     ensure_ascii=False))
    if status["status"] == "halted":
        print(f"still halted: {status['reason']}\n仍处于暂停状态：来源服务须先运行", file=sys.stderr)
        return 1
    return 0


def register(sub, with_data_dir, config_of) -> None:
    """The `station inbox` commands (a few lines in station/cli.py call this)."""
    inbox = sub.add_parser("inbox", help="subscribers' sources: status, resync").add_subparsers(
        dest="action", required=True)
    status = with_data_dir(inbox.add_parser("status", help="each inbox: following or halted"))
    status.set_defaults(func=lambda args: cmd_status(args, config_of(args)))
    resync = with_data_dir(inbox.add_parser(
        "resync", help="follow the source's current store, reading all its events (source running)"))
    resync.add_argument("consumer")
    resync.add_argument("source")
    resync.set_defaults(func=lambda args: cmd_resync(args, config_of(args)))
