"""The kinds of domain failure, each mapped to one HTTP status in service.py.

Guards beside each aggregate raise subclasses of these, with a message in English and
Chinese and, for invalid input, the fields concerned.
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
    """The command is malformed for this state (400)."""
    code = "invalid"


class Missing(DomainError):
    """What the command names does not exist (404)."""
    code = "not_found"


class Conflicting(DomainError):
    """The command contradicts the current state (409)."""
    code = "conflict"


class NotAllowed(DomainError):
    """The caller may not do this (403)."""
    code = "forbidden"
