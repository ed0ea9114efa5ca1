"""GET /api/v1/<service>/health/live and /api/v1/<service>/health on every service.

Liveness: the process answers (200). Readiness: shared.health's checks; 200 when ready
(`ok`, or `degraded` naming inboxes with parked messages), 503 naming the failing parts
when not. Public (no token), as the edge's /api/v1/health: the public answer is each
check's status (shared.health.public); a caller whose token allows `health.details`
(district_admin) gets the details too, and a failing report's details go to the log,
once each time the failing parts change.
"""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from shared import health, logs, topology
from shared.errors import ApiError
from shared.web import api

log = logs.get("health")


class HealthProvider(DependencyProvider):
    """Gives a worker `readiness()` for the container's service, its store and inboxes."""

    def get_dependency(self, worker_ctx):
        container = self.container
        return lambda: readiness_of(container)


def readiness_of(container) -> dict:
    from shared.providers import InboxProvider, StoreProvider
    service = container.service_name
    deps = list(container.dependencies)
    store = next(d for d in deps if isinstance(d, StoreProvider)).store
    inbox = next((d for d in deps if isinstance(d, InboxProvider)), None)
    sources = (inbox.sources or topology.SUBSCRIPTIONS.get(service, ())) if inbox else ()
    return health.readiness(service, store.engine, container.config["AMQP_URI"], sources,
                            container.config.get("STATION_DEPLOYMENT", ""))


NOT_READY = {"description": "Not ready: `failing` names the parts / 未就绪：failing 列出失败部分",
             "content": {"application/json": {"schema": {"type": "object"}}}}


def _endpoints(name: str):
    @api("GET", f"/api/v1/{name}/health/live", auth=False, tags=["health"],
         summary=f"Is the {name} process answering / {name} 服务进程是否存活")
    def health_live(self, request):
        return {"status": "ok", "service": name}

    @api("GET", f"/api/v1/{name}/health", auth=False, responses={200: None, 503: NOT_READY},
         tags=["health"],
         summary=f"Is {name} ready: database, broker, relay, inboxes / {name} 服务是否就绪")
    def health_ready(self, request):
        report = self.health()
        _log_change(name, report)
        body = {"service": name, **report}
        if not _ops_caller(self, request):
            body = health.public(body)
        return (503 if report["status"] == "failing" else 200), body
    return health_live, health_ready


def _ops_caller(service, request) -> bool:
    """Does the request carry a token allowing `health.details`? No token, a bad one or
    another role: the public answer (readiness never asks for a token). Nor when the
    token's standing cannot be looked up (shared.security.revocation asks the identity
    store once its 2 s cache has run out): a readiness check that fails with 500 when the
    database is gone would hide the very thing it reports (CI run 2 of 2026-12-03)."""
    auth = getattr(service, "auth", None)
    if auth is None or not request.headers.get("Authorization"):
        return False
    try:
        auth.require(request, "health.details")
    except ApiError:
        return False
    except Exception as exc:  # the caller's standing unknown (the database gone): public
        log.info("health.caller_unchecked", error_type=type(exc).__name__)
        return False
    return True


_last_failing: dict[str, tuple] = {}


def _log_change(name: str, report: dict) -> None:
    """The details, in the log, when the set of failing parts changes (not on every poll)."""
    failing = tuple(report["failing"])
    if _last_failing.get(name, ()) == failing:
        return
    _last_failing[name] = failing
    if failing:
        log.warning("health.failing", service=name, failing=list(failing),
                    checks=report["checks"])
    else:
        log.info("health.ready", service=name)


class HealthEndpoints:
    """Mixed into EventSourcedService: each subclass that sets `name` gets its routes."""

    health = HealthProvider()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and hasattr(cls, "store"):  # a service, not a sketch
            cls.health_live, cls.health_ready = _endpoints(cls.name)
