"""A deployment's name, and the broker names it owns.

Two deployments on one RabbitMQ virtual host (two `station up` with different data
directories, a test run next to a running station) must not consume each other's events
or answer each other's RPC. So every name a deployment uses on the broker starts with
its name: `<name>.<service>.events`, `<name>.<consumer>.inbox.<source>` (shared.topology),
the RPC exchange `<name>.nameko-rpc` and the RPC queues `<name>.rpc-<service>`.

The name is STATION_DEPLOYMENT, or derived from where the deployment keeps its data:
the data directory's absolute path (SQLite) or the database URL (host, port, database;
never the password), e.g. `station-data-3f9c1a`. STATION_DEPLOYMENT="" (set, empty)
keeps the unprefixed names of earlier versions (a broker vhost of its own, as the test
suite gives each test).
"""
from __future__ import annotations

import hashlib
import os
import re
from typing import Mapping
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def derive(data_dir: str, database_url: str | None) -> str:
    """A stable name for the deployment keeping its data there."""
    if database_url:
        parts = urlsplit(database_url)
        where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
        label = parts.path.strip("/") or "db"
    else:
        where = os.path.abspath(data_dir)
        label = os.path.basename(where.rstrip(os.sep)) or "station"
    digest = hashlib.sha256(where.encode()).hexdigest()[:6]
    return f"{_UNSAFE.sub('-', label.lower()).strip('-')[:40] or 'station'}-{digest}"


def check(name: str) -> str:
    if name and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", name):
        raise SystemExit(f"STATION_DEPLOYMENT {name!r}: use a-z, 0-9, - and _ (at most 63)\n"
                         f"部署名称只能包含小写字母、数字、- 和 _")
    return name


def prefixed(name: str, broker_name: str) -> str:
    return f"{name}.{broker_name}" if name else broker_name


def rpc_exchange(name: str) -> str:
    return prefixed(name, "nameko-rpc")


def rpc_config(config: Mapping) -> dict:
    """What a standalone RPC proxy needs to call this deployment's services."""
    return {"AMQP_URI": config["AMQP_URI"],
            "rpc_exchange": config.get("rpc_exchange") or rpc_exchange(config.get("STATION_DEPLOYMENT", ""))}


def name_rpc_queues(name: str) -> None:
    """Name this process's RPC queues `<name>.rpc-<service>`.

    nameko names them from a module constant only ('rpc-<service>'): two deployments would
    share one queue, bound to both RPC exchanges. A process serves one deployment, so the
    constant is set once, before its services start."""
    import nameko.rpc
    nameko.rpc.RPC_QUEUE_TEMPLATE = prefixed(name, "rpc-{}")
