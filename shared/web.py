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
import functools
from functools import partial
from typing import Any, Mapping

import marshmallow
import orjson
from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from shared import fencing, freshness, idempotency, inputs, logs
from shared.events import utcnow
from shared.messages import bilingual
from shared.errors import NotJson, TooLarge, ValidationFailed, to_api_error

MAX_BODY = 1_000_000
# A roster file uploaded to /api/v1/imports/… (the edge allows it under IMPORT_PREFIX)
IMPORT_MAX_BODY = MAX_BODY   # as the edge and the ingress allow (1m)
IMPORT_PREFIX = "/api/v1/imports/"
log = logs.get("web")


# Answers hold personal data: never cached, never sniffed as another type, never framed.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Content-Security-Policy": "frame-ancestors 'none'",
                    "Cache-Control": "no-store"}


def json_response(status: int, body) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), status=status,
                    mimetype="application/json", headers=SECURITY_HEADERS)


def is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/")
                                              and mimetype.endswith("+json"))


DISCARD_AT_MOST = 16 * MAX_BODY


def discard_body(request) -> None:
    """Read and drop what the client is still sending (up to DISCARD_AT_MOST) before a
    refusal: closing with it unread makes the kernel reset the connection, and a client
    still writing then meets a broken pipe instead of the 413 (eventlet's server does not
    drain a body on a connection it closes; CI on a loaded machine met it)."""
    left = min(request.content_length or 0, DISCARD_AT_MOST)
    stream = request.stream
    while left > 0 and (chunk := stream.read(min(65536, left))):
        left -= len(chunk)


def raw_body(request) -> bytes:
    """The request's body bytes (read once, cached), or a 413 in both languages."""
    if request.content_length and request.content_length > MAX_BODY:
        discard_body(request)
        raise TooLarge()
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise TooLarge()
    return raw


def body_of(request) -> dict:
    """The request's JSON object, or a 400/413/415 in both languages: a body sent as
    another type (text/plain, a form) is not read as JSON because it happens to parse."""
    raw = raw_body(request)
    if raw and not is_json(request.mimetype or ""):
        raise NotJson(fields={"Content-Type": [f"{request.mimetype or 'none'}: send "
                                               "application/json / 须为 application/json"]})
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ValidationFailed("Body is not valid JSON", "请求体不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("Body must be a JSON object", "请求体必须是 JSON 对象")
    return data


def load(schema: marshmallow.Schema, data: dict):
    """Validate at the edge: a 400 naming each bad field in English and Chinese; the
    rules every request obeys (shared.inputs: no 1.5 for a whole number, digits 0-9,
    no blank required text; no control characters, times within range) are checked on
    what was sent and on what the schema loaded."""
    sent = inputs.sent_problems(schema, data)  # what the schema would quietly take
    try:
        loaded = schema.load(data)
    except marshmallow.ValidationError as err:
        fields = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise ValidationFailed(fields={**bilingual(fields), **sent}) from None
    if sent:
        raise ValidationFailed(fields=sent)
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
        return as_response(result)

    def response_from_exception(self, exc):
        error = to_api_error(exc)
        if error.code == "internal":  # not mapped: ConcurrencyError and InvalidEvent are
            log.error("http.unexpected", error_type=type(exc).__name__, path=self.url)
        else:
            log.info("http.refused", status=error.status, code=error.code, method=self.method,
                     route=self.url)  # an expected answer: one line, no traceback (shared.logs)
        return error_response(exc)


def error_response(exc: Exception) -> Response:
    """The API's answer to an exception (an unexpected one is a 500 with no detail)."""
    error = to_api_error(exc)
    return json_response(500 if error.code == "internal" else error.status, error.body())


def as_response(result) -> Response:
    """A handler's result (a body, (status, body) or a Response) as the Response sent."""
    if isinstance(result, Response):
        return result
    status, body = result if isinstance(result, tuple) else (200, result)
    return json_response(status, body)


def api(method: str, url: str, **kwargs):
    """Register an HTTP entrypoint (ApiHandler); a POST also honours Idempotency-Key
    (shared.idempotency), except a public one (the log-in: no caller to scope a key by)."""
    from shared.openapi import idempotent as documented, is_public
    register = ApiHandler.decorator(method, url, **kwargs)
    auth = kwargs.get("auth")
    if not documented(method.upper(), auth if auth is not None else not is_public(url, method)):
        return register
    return lambda fn: register(idempotent(fn))


def idempotent(fn):
    """The handler, answering a repeat of a POST sent with an Idempotency-Key from the
    first answer (shared.idempotency); without the header, the handler alone."""
    @functools.wraps(fn)
    def answering(service, request, *args, **kwargs):
        raw = request.headers.get(idempotency.HEADER)
        store, gate = getattr(service, "store", None), getattr(service, "auth", None)
        if raw is None or not hasattr(store, "engine") or not hasattr(gate, "principal"):
            return fn(service, request, *args, **kwargs)
        key = idempotency.check_key(raw)
        who = gate.principal(request)                        # 401 before anything is kept
        keys = idempotency.keys_of(store.engine, getattr(gate, "config", None))
        claimed = keys.claim(who.username, key, idempotency.fingerprint(
            request.method, request.path, request.query_string, raw_body(request),
            keys.secret), utcnow())
        if isinstance(claimed, idempotency.Answer):
            return replayed(claimed)
        with fencing.holding(claimed):
            try:
                response = as_response(fn(service, request, *args, **kwargs))
            except Exception as exc:
                keys.refused(claimed, answer_of(error_response(exc)), utcnow())
                raise
        keep = keys.answer if response.status_code < 400 else keys.refused
        keep(claimed, answer_of(response), utcnow())
        return response
    return answering


def answer_of(response: Response) -> idempotency.Answer:
    return idempotency.Answer(response.status_code, response.content_type or "",
                              response.get_data())


def replayed(answer: idempotency.Answer) -> Response:
    """The first answer again, byte for byte, marked as a replay."""
    return Response(answer.body, status=answer.status, content_type=answer.content_type,
                    headers={**SECURITY_HEADERS, "Idempotent-Replayed": "true"})


# -- uploads and downloads of the imports (花名册导入) ------------------------------------

def uploaded_file(request, what_en: str = "sheet", what_zh: str = "表格文件",
                  also_en: str = "", also_zh: str = "") -> bytes:
    """The uploaded file's bytes, or 413 past IMPORT_MAX_BODY, 400 when there are none.
    `also_*`: another way in for larger files, named in the 413's message."""
    too_large = TooLarge(
        f"The file is larger than {IMPORT_MAX_BODY:,} bytes: split it into several files"
        + (f" and import each ({also_en})" if also_en else ""),
        f"文件超过 {IMPORT_MAX_BODY:,} 字节：请拆分为多个文件分别导入" + (f"（{also_zh}）" if also_zh else ""))
    if request.content_length and request.content_length > IMPORT_MAX_BODY:
        discard_body(request)
        raise too_large
    data = request.get_data(cache=False)
    if len(data) > IMPORT_MAX_BODY:
        raise too_large
    if not data:
        raise ValidationFailed(f"Send the {what_en} as the body: an XLSX or CSV file",
                               f"请求体应为{what_zh}（XLSX 或 CSV）",
                               fields={"file": ["Empty body / 请求体为空"]})
    return data


def xlsx_attachment(data: bytes, filename: str) -> Response:
    """A workbook to download, named in Chinese (RFC 5987) with an ASCII fallback."""
    from urllib.parse import quote

    from shared.exports import XLSX_TYPE
    return Response(data, status=200, content_type=XLSX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"import.xlsx\"; "
                               f"filename*=UTF-8''{quote(filename)}"})

