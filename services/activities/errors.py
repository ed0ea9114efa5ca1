"""Domain exceptions of activities, each with an English and a Chinese message.

The families are those of the service kit (shared.kit.errors, which replaces this
module when it lands): invalid 400, not allowed 403, missing 404, conflicting 409.
Aggregates raise subclasses defined beside them; nothing is written when one is raised.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, message_zh: str, fields: dict | None = None, **extra):
        super().__init__(message)
        self.message, self.message_zh = message, message_zh
        self.fields = fields or {}
        self.extra = extra


class Invalid(DomainError):
    """The command's values break a rule (400)."""
    code = "invalid"


class NotAllowed(DomainError):
    """The actor may not do this (403)."""
    code = "forbidden"


class Missing(DomainError):
    """The thing the command is about does not exist (404)."""
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
