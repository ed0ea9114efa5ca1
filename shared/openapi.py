"""OpenAPI 3 documents built from the services' own `@api` entrypoints and marshmallow
schemas (apispec), and merged into the one document served at /api/v1/openapi.json.

    spec = spec_for(ResidentsService, "Residents / 居民")    # one service's document
    whole = merge([spec, other])                            # raises SpecConflict on a clash

What each endpoint says about itself is in `shared.web.ApiDoc` (the keywords of `@api`).
Every document shares one `Error` schema, the API's error shape, and one bearer scheme.
"""
from __future__ import annotations

import copy
import inspect
import json
import re
from typing import Any, Iterable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

OPENAPI_VERSION = "3.0.3"
BEARER = "bearerAuth"
ERROR = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "message_zh", "fields"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "message_zh": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": True,
                       "description": "per-field messages / 各字段的错误信息"},
        },
        "additionalProperties": True,  # e.g. current_version on a version conflict
    }},
}
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR}"}
DESCRIPTIONS = {
    200: "OK / 成功", 201: "Created / 已创建", 202: "Accepted / 已受理", 204: "No content / 无内容",
    400: "Invalid input / 输入有误", 401: "Missing or bad token / 未登录或令牌无效",
    403: "The role may not do this / 角色无权执行此操作",
    404: "Unknown, or outside the caller's scope / 未找到或不在权限范围内",
    409: "Conflict: duplicate, version or stock / 冲突（重复、版本或库存）",
    413: "Request body too large / 请求内容过大",
    415: "The body is not sent as application/json / 请求体须以 application/json 发送",
    422: "Idempotency-Key already used for another request / 幂等键已用于另一个请求",
}
# Every POST a caller makes with a token honours it (shared.idempotency).
IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200,
               "pattern": r"^[!-~]([ -~]*[!-~])?$"},
    "description": "Opaque, at most 200 visible ASCII characters, made by the client once per "
                   "request. A repeat with the same key and the same request gets the first "
                   "answer and writes nothing; the same key with another request is a 422; "
                   "while the first is in progress, 409. Kept at least 14 days, per user. / "
                   "客户端为每个请求生成一次的幂等键：同键同请求重发得到首次的应答且不重复写入；"
                   "同键不同请求返回 422；首次请求处理中返回 409。至少保留 14 天，按用户区分。",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WITH_BODY = {"POST", "PUT", "PATCH"}
PUBLIC_PATHS = ("/api/v1/auth/token",)
PUBLIC_SUFFIXES = ("/ping", "/openapi.json")
ANY_OBJECT = {"type": "object", "additionalProperties": True}

# werkzeug's rule syntax: <name>, <converter:name>, <converter(args):name>
RULE_VARIABLE = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\((?P<args>.*?)\))?:)?(?P<name>[a-zA-Z_]\w*)>")


class SpecConflict(ValueError):
    """Two documents define one component name, or one operation, differently."""


# -- one service ------------------------------------------------------------------------

def spec_for(service_cls, title: str, version: str = "1.0.0") -> dict:
    """The OpenAPI document of every `@api` entrypoint of `service_cls`."""
    service = getattr(service_cls, "name", service_cls.__name__)
    about = inspect.cleandoc(service_cls.__dict__.get("__doc__") or title)
    spec = APISpec(title=title, version=version, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()], info={"description": about})
    spec.components.schema(ERROR, copy.deepcopy(ERROR_SCHEMA))
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer",
                                             "bearerFormat": "JWT"})
    tags = []
    for fn, handler in handlers_of(service_cls):
        path, path_params = openapi_path(handler.url)
        for method in http_methods(handler.method):
            op = operation(service, fn, handler, method, path_params)
            spec.path(path=path, operations={method.lower(): op})
            tags += [t for t in op["tags"] if t not in tags]
    for tag in tags:
        spec.tag({"name": tag})
    # through JSON: defaults such as dates or decimals become what the wire carries
    return json.loads(json.dumps(spec.to_dict(), default=str))


def handlers_of(service_cls) -> list[tuple[Any, Any]]:
    """(method, ApiHandler) for each HTTP entrypoint of the class, in path order."""
    from shared.web import ApiHandler  # here: the edge merges documents without nameko
    found = []
    for _, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiHandler):
                found.append((member, entrypoint))
    return sorted(found, key=lambda pair: (pair[1].url, pair[1].method, pair[0].__name__))


def http_methods(method: str) -> list[str]:
    return [m.strip().upper() for m in method.split(",") if m.strip()]


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """werkzeug's `/residents/<resident_id>` as OpenAPI's `/residents/{resident_id}`,
    with one path parameter per variable."""
    params = []

    def to_template(match):
        params.append({"in": "path", "name": match["name"], "required": True,
                       "schema": converter_schema(match["converter"], match["args"])})
        return "{" + match["name"] + "}"
    return RULE_VARIABLE.sub(to_template, rule), params


def converter_schema(converter: str | None, args: str | None) -> dict:
    """What werkzeug's converter accepts, as a JSON schema (anything else is a 404)."""
    converter = converter or "default"
    signed = bool(args and re.search(r"signed\s*=\s*True", args))
    if converter == "int":
        return {"type": "integer"} if signed else {"type": "integer", "minimum": 0}
    if converter == "float":
        return {"type": "number"} if signed else {"type": "number", "minimum": 0}
    if converter == "uuid":
        return {"type": "string", "format": "uuid"}
    if converter == "any":
        return {"type": "string", "enum": re.findall(r"['\"]?([^,'\"\s]+)['\"]?", args or "")}
    if converter == "path":
        return {"type": "string", "minLength": 1}
    return {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}


def is_public(path: str, method: str) -> bool:
    return path in PUBLIC_PATHS or (method == "GET" and path.endswith(PUBLIC_SUFFIXES))


def idempotent(method: str, auth: bool) -> bool:
    """A POST with a caller honours Idempotency-Key (shared.web.api); the log-in does not."""
    return method == "POST" and auth


def operation(service: str, fn, handler, method: str, path_params: list[dict]) -> dict:
    doc = handler.doc
    docstring = inspect.getdoc(fn) or ""
    op: dict = {"operationId": f"{service}.{fn.__name__}",
                "summary": doc.summary or docstring.partition("\n")[0] or
                fn.__name__.replace("_", " "),
                "tags": list(doc.tags) or [service]}
    if doc.description or docstring:
        op["description"] = doc.description or docstring
    params = [dict(p) for p in path_params]
    if doc.query is not None:
        params.append({"in": "query", "schema": doc.query})
    auth = doc.auth if doc.auth is not None else not is_public(handler.url, method)
    if idempotent(method, auth):
        params.append(dict(IDEMPOTENCY_KEY))
    if params:
        op["parameters"] = params
    if doc.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": doc.body}}}
    op["security"] = [{BEARER: []}] if auth else []
    op["responses"] = responses(doc, method, bool(path_params), auth)
    return op


def responses(doc, method: str, has_path_params: bool, auth: bool) -> dict:
    """The declared responses, then the standard errors this kind of endpoint can give."""
    out = {str(status): response(int(status), value)
           for status, value in (doc.responses or {200: None}).items()}
    errors = []
    if doc.body is not None or doc.query is not None or method in WITH_BODY:
        errors.append(400)
    if auth:
        errors += [401, 403]
    if has_path_params:
        errors.append(404)
    if method in WRITES:
        errors.append(409)
    if doc.body is not None or method in WITH_BODY:
        errors += [413, 415]
    if idempotent(method, auth):
        errors.append(422)
    for status in errors:
        out.setdefault(str(status), response(status, None))
    return dict(sorted(out.items()))


def response(status: int, value) -> dict:
    description = DESCRIPTIONS.get(status, "Response / 响应")
    if isinstance(value, dict):
        return {"description": description, **value}
    if value is None:
        if status >= 400:
            return {"description": description,
                    "content": {"application/json": {"schema": dict(ERROR_REF)}}}
        if status == 204:
            return {"description": description}
        value = dict(ANY_OBJECT)
    return {"description": description, "content": {"application/json": {"schema": value}}}


# -- many services ------------------------------------------------------------------------

def merge(specs: Iterable[dict], title: str = "Station API / 社工站接口",
          version: str = "1.0.0", description: str | None = None) -> dict:
    """One document from several: their paths and components side by side.

    The same component may appear in several (the shared Error schema); a name defined
    differently, or one method of one path defined twice differently, is a SpecConflict.
    """
    merged: dict = {"openapi": OPENAPI_VERSION, "info": {"title": title, "version": version},
                    "paths": {}, "components": {}}
    if description:
        merged["info"]["description"] = description
    tags: dict[str, dict] = {}
    for spec in specs:
        merged["openapi"] = spec.get("openapi", merged["openapi"])
        for path, item in spec.get("paths", {}).items():
            target = merged["paths"].setdefault(path, {})
            for key, value in item.items():
                _put(target, key, value, f"path {path} {key}")
        for section, entries in spec.get("components", {}).items():
            target = merged["components"].setdefault(section, {})
            for name, value in entries.items():
                _put(target, name, value, f"component {section}/{name}")
        for tag in spec.get("tags", []):
            tags.setdefault(tag["name"], tag)
    if tags:
        merged["tags"] = list(tags.values())
    return merged


def _put(target: dict, key: str, value, what: str) -> None:
    if key in target and target[key] != value:
        raise SpecConflict(f"{what} is defined differently in two documents")
    target[key] = copy.deepcopy(value)
