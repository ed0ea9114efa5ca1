"""The HTTP edge of `station up`: one port, routed by path prefix to each service's process.

In production an ingress does this job in front of one container per service
(`station serve SERVICE`); locally this proxy does the same, so the one-process and the
many-container layouts serve identical URLs. nameko's web server is per container: five
services with @http entrypoints in one runner would fight over one address, which is why
each service runs in its own process with its own port.

The edge runs on aiohttp's server (asyncio: one connection is a coroutine, so a client
that stalls costs a socket, never a thread another client waits for):

- headers must arrive within HEADER_TIMEOUT of the connection opening (or of the last
  answer on a kept-alive connection), else the connection is closed;
- a body larger than MAX_BODY is refused with 413 from `Content-Length` alone, before a
  byte of it is read; a malformed length (`-1`, `abc`) is a 400; both in the API's
  bilingual error shape;
- the whole body must arrive within BODY_TIMEOUT (408 otherwise);
- a service sees a request only once the edge holds its whole, checked body, so a slow
  client never ties up one of a service's (few) nameko workers.

Every answer carries `X-Content-Type-Options: nosniff` and refuses framing; API answers
also `Cache-Control: no-store` (they hold personal data).
"""
from __future__ import annotations

import asyncio
import json
import mimetypes
import threading

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

from station import edge_health
from station import catalog, dashboard

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "host", "content-length",
              "x-forwarded-for"}
SERVER = "station"   # the Server header: no product versions
OPENAPI = "/api/v1/openapi.json"
DOCS = "/api/v1/docs"
HEADER_TIMEOUT = 10.0      # seconds for a request's headers (and for an idle kept-alive link)
BODY_TIMEOUT = 15.0        # seconds for the whole body
UPSTREAM_TIMEOUT = 60.0    # seconds for a service to answer
MAX_BODY = 1_000_000       # bytes; the same limit as shared.web.MAX_BODY (a test holds them equal)
IMPORT_MAX_BODY = MAX_BODY   # a roster file under IMPORT_PREFIX: its own message (shared.web)
IMPORT_PREFIX = "/api/v1/imports/"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Content-Security-Policy": "frame-ancestors 'none'",
                    "Referrer-Policy": "no-referrer"}
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'")
API_DESCRIPTION = (
    "Every service's endpoints under /api/v1. Get a token with POST /api/v1/auth/token, then "
    "send `Authorization: Bearer <token>`. Errors share one shape: "
    '`{"error": {"code", "message", "message_zh", "fields"}}`.\n\n'
    "各服务接口均在 /api/v1 下。先调用 POST /api/v1/auth/token 获取令牌，之后在请求头中携带 "
    "`Authorization: Bearer <令牌>`。错误统一为上述格式。")
DOCS_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="UTF-8">
<title>Station API / 社工站接口</title>
<link rel="stylesheet" type="text/css" href="/api/v1/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/v1/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<noscript>The interactive docs need JavaScript; the document itself is at
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. / 交互式文档需要 JavaScript；
接口文档见 <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>。</noscript>
<div id="swagger-ui"></div>
<script src="/api/v1/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="/api/v1/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="/api/v1/docs/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"""
# Ours, in place of the bundle's (which loads the Petstore example from the internet).
DOCS_INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    validatorUrl: null,  /* no call to an outside validator: the page works offline */
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""
OWN_DOCS = {"": (DOCS_PAGE, "text/html; charset=utf-8"),
            "index.html": (DOCS_PAGE, "text/html; charset=utf-8"),
            "swagger-initializer.js": (DOCS_INITIALIZER, "application/javascript")}
BUNDLE_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                "favicon-16x16.png", "favicon-32x32.png")


def error(code: str, message: str, message_zh: str) -> dict:
    return {"error": {"code": code, "message": message, "message_zh": message_zh, "fields": {}}}


def unavailable(service: str) -> dict:
    return error("unavailable", f"{service} is not answering", f"{service} 服务暂不可用")


NOT_FOUND = error("not_found", "No such path", "路径不存在")
TOO_LARGE = error("too_large", f"Request body too large (at most {MAX_BODY} bytes)",
                  f"请求内容过大（不超过 {MAX_BODY} 字节）")
IMPORT_TOO_LARGE = error(
    "too_large", f"The file is larger than {IMPORT_MAX_BODY:,} bytes: split it into several "
    f"files and import each (or use `station import residents`)",
    f"文件超过 {IMPORT_MAX_BODY:,} 字节：请拆分为多个文件分别导入（或使用命令行 station import residents）")
# What the edge answers when a request cannot even be parsed, by status.
MALFORMED = {
    400: error("bad_request", "Malformed request (check the request line, the headers and "
               "Content-Length: a whole number of bytes)",
               "请求格式错误（请检查请求行、请求头以及 Content-Length：应为非负整数字节数）"),
    413: TOO_LARGE,
    431: error("headers_too_large", "Request headers too large", "请求头过大"),
}
INTERNAL = error("internal", "Internal error", "服务器内部错误")


def docs_asset(name: str) -> tuple[bytes, str] | None:
    """A page or file of the interactive docs: our own page and initializer, or a file of
    the installed Swagger UI bundle (never a CDN); None for anything else."""
    if name in OWN_DOCS:
        text, content_type = OWN_DOCS[name]
        return text.encode(), content_type
    if name not in BUNDLE_FILES:
        return None
    from swagger_ui_bundle import swagger_ui_path
    path = swagger_ui_path / name
    return path.read_bytes(), mimetypes.guess_type(name)[0] or "application/octet-stream"


def match(routes: dict[str, str], path: str) -> str | None:
    """The service owning `path`: a path named in catalog.PATH_ROUTES, else the longest
    prefix that matches a whole segment."""
    named = catalog.route(path)
    if named is not None:
        return named
    best = None
    for prefix, service in routes.items():
        if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, service)
    return best[1] if best else None


def reply(status: int, body, headers: dict | None = None) -> web.Response:
    """A JSON answer carrying the security headers."""
    response = web.Response(status=status, content_type="application/json",
                            body=json.dumps(body, ensure_ascii=False).encode())
    return secured(response, api=True, extra=headers)


def secured(response: web.StreamResponse, api: bool, extra: dict | None = None):
    for key, value in {**SECURITY_HEADERS, **(extra or {})}.items():
        response.headers.setdefault(key, value)
    # aiohttp would name itself and Python with their versions (a map for an attacker)
    response.headers["Server"] = SERVER
    if api:
        response.headers["Cache-Control"] = "no-store"
    return response


class EdgeProtocol(web.RequestHandler):
    """aiohttp's connection handler, answering what it cannot parse in the API's shape."""

    def handle_error(self, request, status=500, exc=None, message=None):
        if status >= 500:
            self.log_exception("edge: unexpected error", exc_info=exc)
        body = MALFORMED.get(status, INTERNAL if status >= 500 else MALFORMED[400])
        response = reply(status, body)
        response.force_close()
        return response


class Documents:
    """The merged OpenAPI document, fetched from each service once all have answered."""

    def __init__(self, ports: dict[str, int]):
        self.ports = ports
        self.lock = asyncio.Lock()
        self.cached: bytes | None = None

    async def get(self, session: ClientSession) -> tuple[int, bytes]:
        from shared.openapi import SpecConflict, merge
        async with self.lock:
            if self.cached is not None:
                return 200, self.cached
            specs = []
            for service, port in self.ports.items():
                spec = await self._fetch(session, service, port)
                if spec is None:
                    return 503, json.dumps(unavailable(service), ensure_ascii=False).encode()
                specs.append(spec)
            try:
                merged = merge(specs, description=API_DESCRIPTION)
            except SpecConflict as exc:
                return 500, json.dumps(error(
                    "internal", f"The services' documents clash: {exc}", "各服务的接口文档相互冲突"),
                    ensure_ascii=False).encode()
            self.cached = json.dumps(merged, ensure_ascii=False).encode()
            return 200, self.cached

    @staticmethod
    async def _fetch(session: ClientSession, service: str, port: int) -> dict | None:
        try:
            async with session.get(f"http://127.0.0.1:{port}/api/v1/{service}/openapi.json",
                                   timeout=ClientTimeout(total=30)) as response:
                body = await response.read()
            return json.loads(body) if response.status == 200 else None
        except (ClientError, asyncio.TimeoutError, ValueError):
            return None


def too_slow(seconds: float) -> dict:
    return error("timeout", f"The request body did not arrive within {seconds:g} s",
                 f"请求体未能在 {seconds:g} 秒内送达")


async def read_body(request: web.BaseRequest, timeout: float = BODY_TIMEOUT
                    ) -> bytes | web.Response:
    """The whole body, or the answer refusing it: 413 from Content-Length before reading
    (or as soon as a chunked body passes the limit), 408 if it does not arrive in time.
    A roster file (IMPORT_PREFIX) is refused with a message of its own."""
    limit, refusal = ((IMPORT_MAX_BODY, IMPORT_TOO_LARGE) if request.path.startswith(IMPORT_PREFIX)
                      else (MAX_BODY, TOO_LARGE))
    if request.content_length is not None and request.content_length > limit:
        return closing(reply(413, refusal))
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):
            while chunk := await request.content.read(65536):
                size += len(chunk)
                if size > limit:
                    return closing(reply(413, refusal))
                chunks.append(chunk)
    except TimeoutError:
        return closing(reply(408, too_slow(timeout)))
    return b"".join(chunks)


def closing(response: web.Response) -> web.Response:
    """An answer after which the connection is closed (the rest of the body is not read)."""
    response.force_close()
    return response


class Edge:
    """The request handler: health, docs, and the proxy to each service."""

    def __init__(self, routes: dict[str, str], ports: dict[str, int],
                 body_timeout: float = BODY_TIMEOUT):
        self.routes, self.ports, self.body_timeout = routes, ports, body_timeout
        self.documents = Documents(ports)
        self.session: ClientSession | None = None

    async def open(self) -> None:
        self.session = ClientSession(connector=TCPConnector(limit=200), auto_decompress=False,
                                     timeout=ClientTimeout(total=UPSTREAM_TIMEOUT))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path in ("/", "/api/v1", "/api/v1/health", "/api/v1/health/live"):
            return await self.health(live=path.endswith("/live"),
                                     authorization=request.headers.get("Authorization"))
        if request.method in ("GET", "HEAD") and (path == OPENAPI or path == DOCS
                                                  or path.startswith(DOCS + "/")):
            return await self.documentation(path)
        if request.method in ("GET", "HEAD") and dashboard.is_dashboard(path):
            return self.serve_dashboard(path)
        service = match(self.routes, request.raw_path)
        if service is None:
            return reply(404, NOT_FOUND)
        body = await read_body(request, self.body_timeout)
        if isinstance(body, web.Response):
            return body
        return await self.forward(request, service, body)

    async def forward(self, request: web.BaseRequest, service: str,
                      body: bytes) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = request.remote or ""   # the edge's word, not the client's
        url = f"http://127.0.0.1:{self.ports[service]}{request.raw_path}"
        try:
            async with self.session.request(request.method, url, data=body or None,
                                            headers=headers, allow_redirects=False) as upstream:
                data = await upstream.read()
                status, upstream_headers = upstream.status, upstream.headers
        except (ClientError, asyncio.TimeoutError):
            return reply(503, unavailable(service))
        response = web.Response(status=status, body=data)
        for key, value in upstream_headers.items():
            if key.lower() not in HOP_BY_HOP:
                response.headers.add(key, value)
        return secured(response, api=True)

    async def health(self, live: bool = False, authorization: str | None = None) -> web.Response:
        """Liveness (the edge answers) or readiness (every service's own report,
        station.edge_health), asked off the loop so a slow service never blocks it. The
        caller's token goes along: an ops-scoped one gets the services' details."""
        if live:
            return reply(*edge_health.liveness())
        loop = asyncio.get_running_loop()
        return reply(*await loop.run_in_executor(None, edge_health.readiness, self.ports,
                                                 authorization))

    @staticmethod
    def serve_dashboard(path: str) -> web.StreamResponse:
        """The dashboard's files (station/dashboard), under its own strict CSP."""
        if path == dashboard.PREFIX:
            return secured(web.Response(status=302, headers={"Location": dashboard.PREFIX + "/"}),
                           api=False)
        asset = dashboard.asset(path)
        if asset is None:
            return reply(404, NOT_FOUND)
        data, content_type = asset
        response = web.Response(status=200, body=data)
        response.headers["Content-Type"] = content_type
        response.headers["Cache-Control"] = "no-cache"
        return secured(response, api=False, extra={"Content-Security-Policy": dashboard.CSP})

    async def documentation(self, path: str) -> web.Response:
        if path == OPENAPI:
            status, data = await self.documents.get(self.session)
            return secured(web.Response(status=status, body=data,
                                        content_type="application/json"), api=True)
        asset = docs_asset(path[len(DOCS) + 1:] if path.startswith(DOCS + "/") else "")
        if asset is None:
            return reply(404, NOT_FOUND)
        data, content_type = asset
        response = web.Response(status=200, body=data)
        response.headers["Content-Type"] = content_type
        return secured(response, api=False, extra={"Content-Security-Policy": DOCS_CSP})


class Router:
    """The edge in a thread of its own (its own asyncio loop): start() returns once it
    listens; stop() closes every connection and the loop."""

    def __init__(self, host: str, port: int, routes: dict[str, str], ports: dict[str, int],
                 header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT):
        self.host, self.port, self.header_timeout = host, port, header_timeout
        self.edge = Edge(routes, ports, body_timeout)
        self.loop = asyncio.new_event_loop()
        self.thread: threading.Thread | None = None
        self._server = self._listener = None

    def start(self) -> threading.Thread:
        ready = threading.Event()
        failed: list[BaseException] = []

        def run():
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._listen())
            except BaseException as exc:   # e.g. the port is taken: start() raises it
                failed.append(exc)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="router", daemon=True)
        self.thread.start()
        ready.wait()
        if failed:
            raise failed[0]
        return self.thread

    async def _listen(self) -> None:
        await self.edge.open()
        self._server = web.Server(self.edge, handler_cancellation=True)
        self._listener = await self.loop.create_server(
            lambda: EdgeProtocol(self._server, loop=self.loop, keepalive_timeout=self.header_timeout,
                                 access_log=None, lingering_time=0),
            self.host, self.port, reuse_address=True)

    async def _close(self) -> None:
        self._listener.close()
        await self._server.shutdown(1)      # answers in flight get a second; then closed
        await self.edge.close()

    def stop(self) -> None:
        """Stop listening and close every connection; never raises, never hangs long
        (`station up` stops the services after it)."""
        if self.thread is None or not self.thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(timeout=10)
        except Exception:   # noqa: BLE001 - a stuck connection must not keep services up
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
