"""Is a service ready? Each check names what it looked at; no nameko here.

Readiness fails (503 at the HTTP edge) when any of these does:
- database: a `SELECT 1` on the service's own store;
- broker:   a connection to AMQP_URI;
- relay:    some relay holds the service's relay lease (renewed every loop, so a dead
            or hung relay loses it within the lease's time), and, where `station serve`
            supervises it, its process is running;
- inboxes:  no inbox halted (a replaced source store not resynchronised, shared.inbox_sync).
Reported without failing readiness (they say how far behind, not whether it works):
relay lag (events committed but not yet published), relay errors and restarts, each
inbox's lag (messages waiting in its queue) and parked messages. A service with parked
messages is `degraded` (still ready, 200) and names those inboxes in `degraded`: a
parked message is something it did not apply, and an operator must look at it.

The public answer (`public`) keeps each check's status and progress (ok, lag, parked);
process ids, restart counts, error types and texts are details, for an ops-scoped caller
(`health.details`) and for the log (shared.health_api).
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from shared.events import iso, utcnow
from shared.tables import checkpoints, events, inbox_sources, leases, quarantine

# Filled in by station.supervise in `station serve`'s process (the relay's supervisor).
relay_process: dict = {"supervised": False, "running": None, "pid": None, "restarts": 0,
                       "last_exit": None}


def database(engine: sa.Engine) -> dict:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def broker(amqp_uri: str, queues: Iterable[str] = ()) -> dict:
    """Reachable? And how many messages wait in each of `queues` (passively declared)."""
    import kombu
    try:
        with kombu.Connection(amqp_uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            depths = {}
            for name in queues:
                channel = conn.channel()
                try:
                    depths[name] = channel.queue_declare(name, passive=True).message_count
                except Exception:  # not declared yet: nothing waits in it
                    depths[name] = 0
                finally:
                    _close(channel)
            return {"ok": True, "queues": depths}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__, "queues": {}}


def relay(engine: sa.Engine, name: str) -> dict:
    from shared.relay import error_count
    try:
        with engine.connect() as conn:
            holder = conn.execute(sa.select(leases.c.holder).where(leases.c.name == f"relay:{name}")
                                  .where(leases.c.expires_at > iso(utcnow()))).scalar()
            published = conn.execute(sa.select(checkpoints.c.position).where(
                checkpoints.c.name == f"relay:{name}")).scalar() or 0
            lag = conn.execute(sa.select(sa.func.count()).select_from(events).where(
                sa.or_(events.c.position.is_(None), events.c.position > published))).scalar()
        errors, last_error = error_count(engine, name)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    process = relay_process
    alive = holder is not None and process["running"] is not False
    return {"ok": alive, "alive": alive, "lag": lag, "errors": errors, "last_error": last_error,
            "restarts": process["restarts"], "supervised": process["supervised"],
            "pid": process["pid"]}


def inboxes(engine: sa.Engine, consumer: str, sources: Iterable[str],
            depths: dict[str, int], deployment: str = "") -> dict:
    from shared import topology
    result = {}
    try:
        with engine.connect() as conn:
            for source in sources:
                name = f"inbox:{consumer}:{source}"
                queue = topology.inbox_name(consumer, source, deployment)
                row = conn.execute(sa.select(inbox_sources).where(inbox_sources.c.name == name)).first()
                parked = conn.execute(sa.select(sa.func.count()).select_from(quarantine).where(
                    quarantine.c.name == name).where(
                    quarantine.c.status.in_(("parked", "held")))).scalar()
                status = row.status if row is not None else "following"
                result[source] = {
                    "ok": status != "halted", "status": status,
                    "reason": row.reason if row is not None else None,
                    "lag": depths.get(queue), "parked": parked + depths.get(queue + ".parked", 0)}
    except Exception as exc:
        return {"_": {"ok": False, "error": type(exc).__name__}}
    return result


def readiness(service: str, engine: sa.Engine, amqp_uri: str, sources: Iterable[str],
              deployment: str = "") -> dict:
    """{"status": "ok"|"degraded"|"failing", "failing": [parts], "degraded": [parts],
    "checks": {...}}"""
    from shared import topology
    sources = tuple(sources)
    queues = [q for s in sources for q in (topology.inbox_name(service, s, deployment),
                                           topology.inbox_name(service, s, deployment) + ".parked")]
    checks = {"database": database(engine), "broker": broker(amqp_uri, queues)}
    checks["relay"] = relay(engine, service)
    inbox = inboxes(engine, service, sources, checks["broker"].pop("queues"), deployment)
    failing = [part for part, check in checks.items() if not check["ok"]]
    failing += [f"inbox:{source}" for source, check in inbox.items() if not check["ok"]]
    degraded = [f"inbox:{source}" for source, check in inbox.items() if check.get("parked")]
    checks["inboxes"] = inbox
    status = "failing" if failing else "degraded" if degraded else "ok"
    return {"status": status, "failing": failing, "degraded": degraded, "checks": checks}


# What anyone may see of a check: whether it works and how far behind it is.
PUBLIC_FIELDS = frozenset({"ok", "alive", "status", "lag", "parked"})


def public(report: dict) -> dict:
    """The report without details: each check's (and each inbox's) public fields only."""
    checks = report.get("checks")
    if not isinstance(checks, dict):
        return report
    shown = {part: _public_check(check) for part, check in checks.items() if part != "inboxes"}
    if "inboxes" in checks:
        shown["inboxes"] = {source: _public_check(check)
                            for source, check in checks["inboxes"].items()}
    return {**report, "checks": shown}


def _public_check(check: dict) -> dict:
    return {key: value for key, value in check.items() if key in PUBLIC_FIELDS}


def _close(channel) -> None:
    try:
        channel.close()
    except Exception:
        pass
