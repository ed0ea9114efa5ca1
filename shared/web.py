"""HTTP at the edge of a service: a nameko `api` entrypoint that speaks the API's JSON.

    class Residents(EventSourcedService):
        @api("POST", "/api/v1/residents")
        def register(self, request):
            data = load(RegisterSchema(), request)    # 400 with field errors
            ...
            return 201, {"id": resident_id}

Handlers return a dict/list (200), or (status, body). Exceptions are mapped by
shared.errors.to_api_error; an unexpected one is a 500 with no detail leaked.
"""
from __future__ import annotations

import marshmallow
import orjson
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from shared import logs
from shared.errors import ApiError, TooLarge, ValidationFailed, to_api_error

MAX_BODY = 1_000_000
log = logs.get("web")


def json_response(status: int, body) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), status=status,
                    mimetype="application/json")


def body_of(request) -> dict:
    """The request's JSON object, or a 400/413 in both languages."""
    if request.content_length and request.content_length > MAX_BODY:
        raise TooLarge()
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise TooLarge()
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ValidationFailed("Body is not valid JSON", "请求体不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("Body must be a JSON object", "请求体必须是 JSON 对象")
    return data


def load(schema: marshmallow.Schema, data: dict):
    """Validate at the edge: marshmallow errors become a 400 naming each field."""
    try:
        return schema.load(data)
    except marshmallow.ValidationError as err:
        fields = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed(fields=fields) from None


class ApiHandler(HttpRequestHandler):
    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            status, body = result
        else:
            status, body = 200, result
        return json_response(status, body)

    def response_from_exception(self, exc):
        error = to_api_error(exc)
        if not isinstance(exc, ApiError):
            log.error("http.unexpected", error_type=type(exc).__name__, path=self.url)
            return json_response(500, error.body())
        return json_response(error.status, error.body())


api = ApiHandler.decorator
