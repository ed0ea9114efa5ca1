"""Domain exceptions of reporting, each with an English and a Chinese message.

The aggregates raise subclasses defined beside them; service.py maps these four
families to HTTP codes in one table (invalid 400, forbidden 403, unknown 404,
conflict 409). Nothing is written when one is raised.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "domain"

    def __init__(self, message: str, message_zh: str, fields: dict | None = None):
        super().__init__(message)
        self.message, self.message_zh, self.fields = message, message_zh, fields or {}


class InvalidCommand(DomainError):
    """The command is well-formed but its values break a rule (400)."""
    code = "invalid"


class NotPermitted(DomainError):
    """The actor may not do this (403)."""
    code = "forbidden"


class Unknown(DomainError):
    """The thing the command is about does not exist (404)."""
    code = "not_found"


class IllegalTransition(DomainError):
    """The aggregate's state does not allow this step (409)."""
    code = "illegal_transition"


class Duplicate(DomainError):
    """It exists already (409)."""
    code = "duplicate"
