"""Where each service's code lives, by name. The command line is the one place that
knows all five services; they never import each other."""
from __future__ import annotations

import importlib
import re

SERVICES = ("residents", "casework", "activities", "resources", "reporting")

# The ingress table: an /api/v1 path prefix -> the service that owns it.
ROUTES = {
    "/api/v1/auth": "residents",
    "/api/v1/org": "residents",
    "/api/v1/residents": "residents",
    "/api/v1/rubrics": "residents",
    "/api/v1/needs": "residents",
    "/api/v1/transfers": "residents",
    "/api/v1/imports/residents": "residents",
    "/api/v1/imports/organizations": "activities",
    "/api/v1/imports/volunteers": "activities",
    "/api/v1/cases": "casework",
    "/api/v1/visits": "casework",
    "/api/v1/followups": "casework",
    "/api/v1/referrals": "casework",
    "/api/v1/campaigns": "casework",
    "/api/v1/activities": "activities",
    "/api/v1/organizations": "activities",
    "/api/v1/projects": "activities",
    "/api/v1/volunteers": "activities",
    "/api/v1/partners": "resources",
    "/api/v1/donations": "resources",
    "/api/v1/stock": "resources",
    "/api/v1/allocations": "resources",
    "/api/v1/wishes": "resources",
    "/api/v1/matches": "resources",
    "/api/v1/reports": "reporting",
    **{f"/api/v1/{name}": name for name in SERVICES},
}


# Paths under another service's prefix that a service answers, each named one by one
# (checked before the prefixes): the audit timeline is reporting's, across services.
# Patterns match the path without its query string, anchored both ends, in the regex
# subset nginx (PCRE) and Python share: the generated ingress uses them verbatim.
PATH_ROUTES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^/api/v1/residents/[^/]+/timeline$"), "reporting"),
)


def path_route_table() -> dict[str, str]:
    """{pattern text: service} of PATH_ROUTES, the form the ingress files are checked in."""
    return {pattern.pattern: service for pattern, service in PATH_ROUTES}


def route(path: str) -> str | None:
    """The service of a path named in PATH_ROUTES, or None (then the prefixes decide)."""
    bare = path.split("?", 1)[0]
    return next((service for pattern, service in PATH_ROUTES if pattern.match(bare)), None)


def service_class(name: str):
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"services.{name}.service")
    return next(obj for obj in vars(module).values()
                if isinstance(obj, type) and getattr(obj, "name", None) == name)


def registry(name: str):
    return importlib.import_module(f"services.{name}.events").registry


def projections(name: str):
    """The service's projection tables' metadata, if it has any."""
    cls = service_class(name)
    found = getattr(cls.store, "projections", None)
    return getattr(found, "metadata", found)  # a shared.kit Projection, or bare metadata
