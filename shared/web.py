"""HTTP at the edge of a service: a nameko `api` entrypoint that speaks the API's JSON.

    class Residents(EventSourcedService):
        @api("POST", "/api/v1/residents")
        def register(self, request):
            data = load(RegisterSchema(), request)    # 400 with field errors
            ...
            return 201, {"id": resident_id}

Handlers return a dict/list (200), or (status, body). Exceptions are mapped by
shared.errors.to_api_error; an unexpected one is a 500 with no detail leaked.

The optional keywords document the endpoint in the OpenAPI document (shared.openapi)
and change nothing at run time:

    @api("POST", "/api/v1/residents", body=RegisterIn, query=None,
         responses={201: IdOut, 409: None}, summary="Register a resident / 登记居民",
         tags=["residents"], auth=True)
"""
from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, Mapping

import marshmallow
import orjson
from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from shared import freshness, inputs, logs
from shared.messages import bilingual
from shared.errors import TooLarge, ValidationFailed, to_api_error

MAX_BODY = 1_000_000
log = logs.get("web")


# Answers hold personal data: never cached, never sniffed as another type, never framed.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Content-Security-Policy": "frame-ancestors 'none'",
                    "Cache-Control": "no-store"}


def json_response(status: int, body) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), status=status,
                    mimetype="application/json", headers=SECURITY_HEADERS)


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
    """Validate at the edge: a 400 naming each bad field in English and Chinese; the
    rules every request obeys (shared.inputs: no control characters, times within
    range) are checked on what the schema loaded."""
    try:
        loaded = schema.load(data)
    except marshmallow.ValidationError as err:
        fields = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed(fields=bilingual(fields)) from None
    bad = inputs.problems(loaded)
    if bad:
        raise ValidationFailed(fields=bad)
    return loaded


@dataclasses.dataclass(frozen=True, eq=False)
class ApiDoc:
    """What an endpoint tells the OpenAPI document; shared.openapi reads it.

    body:      marshmallow schema (class or instance) of the JSON request body
    query:     marshmallow schema of the query string (one parameter per field)
    responses: {status: schema | None | OpenAPI response dict}; None is the Error shape
               for a 4xx, no content for 204; default {200: any JSON object}
    summary:   one line, "English / 中文" (default: the docstring's first line)
    tags:      groups in the rendered docs (default: the service's name)
    auth:      True: needs a bearer token; False: public; None (default): public only
               for POST /api/v1/auth/token and the …/ping and …/openapi.json routes
    """
    body: Any = None
    query: Any = None
    responses: Mapping[int, Any] | None = None
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    auth: bool | None = None


class ApiHandler(HttpRequestHandler):
    def __init__(self, method, url, *, body=None, query=None, responses=None, summary=None,
                 description=None, tags=(), auth=None, **kwargs):
        self.doc = ApiDoc(body=body, query=query, responses=dict(responses or {}) or None,
                          summary=summary, description=description,
                          tags=(tags,) if isinstance(tags, str) else tuple(tags), auth=auth)
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        """nameko's, but a refusal resting on another service's events not yet consumed
        here is decided again, in a fresh worker, once they are (shared.freshness)."""
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            result = freshness.decide(freshness.of(self.container),
                                      lambda: self._worker_answer(args, kwargs, context_data))
            return self.response_from_result(result)
        except Exception as exc:
            return self.response_from_exception(exc)

    def _worker_answer(self, args, kwargs, context_data):
        """Run the handler in a worker; its result, or its exception raised here."""
        done = Event()
        self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                    handle_result=partial(self.handle_result, done))
        return done.wait()

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
        if error.code == "internal":  # not mapped: ConcurrencyError and InvalidEvent are
            log.error("http.unexpected", error_type=type(exc).__name__, path=self.url)
            return json_response(500, error.body())
        log.info("http.refused", status=error.status, code=error.code, method=self.method,
                 route=self.url)  # an expected answer: one line, no traceback (shared.logs)
        return json_response(error.status, error.body())


api = ApiHandler.decorator
