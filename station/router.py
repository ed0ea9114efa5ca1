"""The HTTP edge of `station up`: one port, routed by path prefix to each service's process.

In production an ingress does this job in front of one container per service
(`station serve SERVICE`); locally this small proxy does the same, so the one-process
and the many-container layouts serve identical URLs. nameko's web server is per
container: five services with @http entrypoints in one runner would fight over one
address, which is why each service runs in its own process with its own port.
"""
from __future__ import annotations

import http.client
import http.server
import json
import mimetypes
import threading

from station import catalog

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}
OPENAPI = "/api/v1/openapi.json"
DOCS = "/api/v1/docs"
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
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    validatorUrl: null,  /* no call to an outside validator: the page works offline */
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
</script>
</body>
</html>
"""


def unavailable(service: str) -> dict:
    return {"error": {"code": "unavailable", "message": f"{service} is not answering",
                      "message_zh": f"{service} 服务暂不可用", "fields": {}}}


def docs_asset(name: str) -> tuple[bytes, str] | None:
    """A file of the Swagger UI bundle (served from the installed package, never a CDN)."""
    from swagger_ui_bundle import swagger_ui_path
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = swagger_ui_path / name
    if not path.is_file():
        return None
    return path.read_bytes(), mimetypes.guess_type(name)[0] or "application/octet-stream"


class Documents:
    """The merged OpenAPI document, fetched from each service once all have answered."""

    def __init__(self, ports: dict[str, int]):
        self.ports = ports
        self.lock = threading.Lock()
        self.cached: bytes | None = None

    def get(self) -> tuple[int, bytes]:
        from shared.openapi import SpecConflict, merge
        with self.lock:
            if self.cached is not None:
                return 200, self.cached
            specs = []
            for service, port in self.ports.items():
                spec = self._fetch(service, port)
                if spec is None:
                    return 503, json.dumps(unavailable(service), ensure_ascii=False).encode()
                specs.append(spec)
            try:
                merged = merge(specs, description=API_DESCRIPTION)
            except SpecConflict as exc:
                return 500, json.dumps({"error": {
                    "code": "internal", "message": f"The services' documents clash: {exc}",
                    "message_zh": "各服务的接口文档相互冲突", "fields": {}}},
                    ensure_ascii=False).encode()
            self.cached = json.dumps(merged, ensure_ascii=False).encode()
            return 200, self.cached

    @staticmethod
    def _fetch(service: str, port: int) -> dict | None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", f"/api/v1/{service}/openapi.json")
                response = conn.getresponse()
                body = response.read()
            finally:
                conn.close()
            return json.loads(body) if response.status == 200 else None
        except (OSError, ValueError):
            return None


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


def make_handler(routes: dict[str, str], ports: dict[str, int]):
    documents = Documents(ports)

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):  # access logs would carry ids in paths; keep quiet
            pass

        def _forward(self):
            path = self.path.split("?")[0]
            if path in ("/", "/api/v1", "/api/v1/health"):
                return self._health()
            if self.command == "GET" and (path in (OPENAPI, DOCS, DOCS + "/")
                                          or path.startswith(DOCS + "/")):
                return self._documentation(path)
            service = match(routes, self.path)
            if service is None:
                return self._reply(404, {"error": {"code": "not_found", "message": "No such path",
                                                   "message_zh": "路径不存在", "fields": {}}})
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn = http.client.HTTPConnection("127.0.0.1", ports[service], timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                upstream = conn.getresponse()
                data = upstream.read()
            except OSError:
                return self._reply(503, unavailable(service))
            finally:
                conn.close()
            self.send_response(upstream.status)
            for key, value in upstream.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _health(self):
            status = {}
            for service, port in ports.items():
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", f"/api/v1/{service}/ping")
                    status[service] = "ok" if conn.getresponse().status == 200 else "failing"
                    conn.close()
                except OSError:
                    status[service] = "down"
            ok = all(v == "ok" for v in status.values())
            self._reply(200 if ok else 503, {"status": "ok" if ok else "degraded",
                                             "services": status})

        def _documentation(self, path: str):
            if path == OPENAPI:
                status, data = documents.get()
                return self._send(status, data, "application/json")
            if path in (DOCS, DOCS + "/"):
                return self._send(200, DOCS_PAGE.encode(), "text/html; charset=utf-8")
            asset = docs_asset(path[len(DOCS) + 1:])
            if asset is None:
                return self._reply(404, {"error": {"code": "not_found", "message": "No such path",
                                                   "message_zh": "路径不存在", "fields": {}}})
            return self._send(200, *asset)

        def _reply(self, status: int, body: dict):
            self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

        def _send(self, status: int, data: bytes, content_type: str):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    return Proxy


class Router:
    def __init__(self, host: str, port: int, routes: dict[str, str], ports: dict[str, int]):
        self.server = http.server.ThreadingHTTPServer((host, port), make_handler(routes, ports))
        self.server.daemon_threads = True

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.server.serve_forever, name="router", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
