"""Errors every service raises at its edge, and the one table mapping them to HTTP.

The wire shape (../API.md):
    {"error": {"code": "...", "message": "...", "message_zh": "...", "fields": {...}}}
"""
from __future__ import annotations

import functools

from shared.eventstore import ConcurrencyError
from shared.fencing import FenceLost
from shared.events import InvalidEvent
from shared.kit.errors import DomainError, status_of


class ApiError(DomainError):
    """A refusal already in the API's terms (its HTTP status fixed): the edge's own
    (unauthorized, too large, not JSON) and what `to_api_error` makes of a domain
    error. One base for every refusal: shared.kit.errors.DomainError."""
    status = 400
    code = "bad_request"
    message = "Bad request"
    message_zh = "请求无效"

    def __init__(self, message: str | None = None, message_zh: str | None = None,
                 fields: dict | None = None, code: str | None = None, **extra):
        super().__init__(message or self.message, message_zh or self.message_zh, fields, **extra)
        self.code = code or self.code

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message, "message_zh": self.message_zh,
                 "fields": self.fields}
        error.update(self.extra)
        return {"error": error}


class ValidationFailed(ApiError):
    status, code = 400, "invalid"
    message, message_zh = "Invalid input", "输入有误"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"
    message, message_zh = "Missing or bad token", "未登录或令牌无效"


class Forbidden(ApiError):
    status, code = 403, "forbidden"
    message, message_zh = "Your role may not do this", "您的角色无权执行此操作"


class NotFound(ApiError):
    status, code = 404, "not_found"
    message, message_zh = "Not found", "未找到"


class Conflict(ApiError):
    status, code = 409, "conflict"
    message, message_zh = "Conflict", "冲突"


class TooLarge(ApiError):
    status, code = 413, "too_large"
    message, message_zh = "Request body too large", "请求内容过大"


class NotJson(ApiError):
    status, code = 415, "unsupported_media_type"
    message = "Send the body as JSON with Content-Type: application/json"
    message_zh = "请求体须为 JSON，并带 Content-Type: application/json"


# the HTTP status of shared.kit.errors.HTTP_STATUS -> the API error that answers with it
API_ERRORS: dict[int, type[ApiError]] = {400: ValidationFailed, 403: Forbidden, 404: NotFound,
                                         409: Conflict}


def translated(method):
    """Domain exceptions raised as the API's errors, for RPC entrypoints (HTTP ones are
    translated by shared.web already): a caller gets the same code as over HTTP. A
    refusal resting on another service's events not yet consumed is decided again once
    they are, as over HTTP (the service's `freshness`, shared.freshness)."""
    @functools.wraps(method)
    def translating(*args, **kwargs):
        decide = getattr(getattr(args[0], "freshness", None), "decide", None) if args else None
        try:
            if decide is not None:
                return decide(lambda: method(*args, **kwargs))
            return method(*args, **kwargs)
        except DomainError as exc:
            raise to_api_error(exc) from None
    return translating


def to_api_error(exc: Exception) -> ApiError:
    """Domain and store exceptions mapped to the API's errors, in one place."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DomainError):
        error = API_ERRORS[status_of(exc)]
        return error(exc.message, exc.message_zh, fields=exc.fields, code=exc.code, **exc.extra)
    if isinstance(exc, ConcurrencyError):
        return Conflict(f"Version conflict: expected {exc.expected}, found {exc.actual}",
                        f"版本冲突：期望版本 {exc.expected}，实际版本 {exc.actual}",
                        code="version_conflict", current_version=exc.actual)
    if isinstance(exc, FenceLost):
        return Conflict("Another attempt took this Idempotency-Key over: nothing was written",
                        "另一请求已接管该幂等键：本次未写入", code="idempotency_in_progress")
    if isinstance(exc, InvalidEvent):
        return ValidationFailed(fields={k: v if isinstance(v, list) else [str(v)]
                                        for k, v in exc.errors.items()})
    return ApiError("Internal error", "服务器内部错误", code="internal")
