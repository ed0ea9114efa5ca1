"""Health at the edge: /api/v1/health/live (the edge answers) and /api/v1/health (every
service ready), as the router and `station up` report them.

    200 {"status": "ok", "services": {"residents": "ok", ...}}
    200 {"status": "degraded", "services": {"casework": "degraded", ...},
         "degraded": {"casework": ["inbox:residents"]}}     (ready, with parked messages)
    503 {"status": "failing", "services": {"casework": "failing", "reporting": "down", ...},
         "failing": {"casework": ["database"], "reporting": ["process"]}, "checks": {...}}
"""
from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor


def service_readiness(service: str, port: int, timeout: float = 8.0,
                      authorization: str | None = None) -> dict:
    """The service's own readiness report; {"status": "down"} if its process does not answer.
    The caller's Authorization goes along: the service decides whether to show details."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            headers = {"Authorization": authorization} if authorization else {}
            conn.request("GET", f"/api/v1/{service}/health", headers=headers)
            response = conn.getresponse()
            body = json.loads(response.read())
        finally:
            conn.close()
        if response.status not in (200, 503) or "status" not in body:
            return {"status": "down", "failing": ["process"]}
        return body
    except (OSError, ValueError):
        return {"status": "down", "failing": ["process"]}


def readiness(ports: dict[str, int], authorization: str | None = None) -> tuple[int, dict]:
    with ThreadPoolExecutor(max_workers=len(ports) or 1) as pool:
        reports = dict(zip(ports, pool.map(
            lambda item: service_readiness(*item, authorization=authorization), ports.items())))
    services = {name: r["status"] for name, r in reports.items()}
    if all(v == "ok" for v in services.values()):
        return 200, {"status": "ok", "services": services}
    if all(v in ("ok", "degraded") for v in services.values()):
        return 200, {"status": "degraded", "services": services,
                     "degraded": {n: r.get("degraded", []) for n, r in reports.items()
                                  if r["status"] == "degraded"}}
    return 503, {"status": "failing", "services": services,
                 "failing": {n: r.get("failing", []) for n, r in reports.items()
                             if r["status"] not in ("ok", "degraded")},
                 "checks": {n: r.get("checks") for n, r in reports.items() if r.get("checks")}}


def liveness() -> tuple[int, dict]:
    return 200, {"status": "ok"}


def describe(body: dict) -> str:
    """One line for `station up`: which services are ready, which part of which fails."""
    ready = sorted(n for n, v in body["services"].items() if v in ("ok", "degraded"))
    failing = body.get("failing", {})
    line = f"ready: {', '.join(ready) or '-'} ({len(ready)}/{len(body['services'])})"
    if failing:
        line += "; not ready: " + ", ".join(
            f"{n} ({', '.join(parts) or body['services'][n]})" for n, parts in sorted(failing.items()))
    degraded = {n: r for n, r in body["services"].items() if r == "degraded"}
    if degraded:
        line += "; parked messages: " + ", ".join(sorted(degraded))
    return line
