"""The families of domain failure and the one table mapping them to HTTP.

Aggregates and guards raise these (or subclasses beside them) with a message in English
and Chinese and, for invalid input, the fields concerned. shared.errors.to_api_error
turns any of them into the API's error body with the status of HTTP_STATUS, on every
service's edge alike; nothing is written when one is raised.
"""
from __future__ import annotations


class DomainError(Exception):
    """The one base of every refusal, domain or edge (shared.errors.ApiError)."""
    code = "domain_error"

    def __init__(self, message: str, message_zh: str, fields: dict | None = None, **extra):
        super().__init__(message)
        self.message, self.message_zh = message, message_zh
        self.fields = fields or {}
        self.extra = extra


class Invalid(DomainError):
    """The command's values break a rule, or it is malformed for this state (400)."""
    code = "invalid"


class NotAllowed(DomainError):
    """The caller may not do this (403)."""
    code = "forbidden"


class Missing(DomainError):
    """What the command names does not exist, or lies outside the caller's scope (404)."""
    code = "not_found"


class Conflicting(DomainError):
    """The command contradicts the current state (409)."""
    code = "conflict"


class IllegalTransition(Conflicting):
    """The aggregate's state does not allow this step (409)."""
    code = "illegal_transition"


class Duplicate(Conflicting):
    """It exists already (409)."""
    code = "duplicate"


class LearnedFromEvents:
    """Mixin of a refusal that rests on what this service learned from `source`'s events
    (a resident, a community, a station, a need): it may only mean that an event already
    committed there is not consumed here yet. shared.freshness waits (bounded) until it
    is, then the request is decided again; a genuine miss gets the same answer then.

        class ResidentUnknown(Missing, LearnedFromEvents):   # source: "residents"
    """
    source = "residents"


def learned_from(exc: BaseException) -> str | None:
    """The service whose events `exc` rests on, or None (a refusal of the service's own)."""
    return exc.source if isinstance(exc, LearnedFromEvents) else None


# family -> HTTP status; the most specific family listed first wins (subclasses inherit)
HTTP_STATUS: dict[type[DomainError], int] = {
    Invalid: 400,
    NotAllowed: 403,
    Missing: 404,
    Conflicting: 409,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status of a refusal: its own when it has one (shared.errors.ApiError),
    else its family's."""
    if getattr(exc, "status", None):
        return exc.status
    return next((status for family, status in HTTP_STATUS.items() if isinstance(exc, family)),
                400)
