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
import threading

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}


def match(routes: dict[str, str], path: str) -> str | None:
    """The service owning `path`: the longest prefix that matches a whole segment."""
    best = None
    for prefix, service in routes.items():
        if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, service)
    return best[1] if best else None


def make_handler(routes: dict[str, str], ports: dict[str, int]):
    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):  # access logs would carry ids in paths; keep quiet
            pass

        def _forward(self):
            if self.path.split("?")[0] in ("/", "/api/v1", "/api/v1/health"):
                return self._health()
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
                return self._reply(503, {"error": {
                    "code": "unavailable", "message": f"{service} is not answering",
                    "message_zh": f"{service} 服务暂不可用", "fields": {}}})
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

        def _reply(self, status: int, body: dict):
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
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
