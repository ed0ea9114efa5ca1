"""The HTTP edge of `station up` serves one OpenAPI document merged from every service's
own, and rendered docs that need nothing from the internet; while a service does not
answer the document is a 503 in the API's error shape, and once built it is kept."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from openapi_spec_validator import validate as validate_spec

from shared.openapi import handlers_of, http_methods, openapi_path
from station import catalog
from tests.conftest import free_port
from tests.support.harness import wait_until

pytestmark = pytest.mark.e2e


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()
    except OSError:
        return 0, "", b""


def healthy(port: int) -> bool:
    status, _, body = fetch(f"http://127.0.0.1:{port}/api/v1/health")
    return status == 200 and json.loads(body)["status"] == "ok"


def operations_in_code() -> set[tuple[str, str]]:
    """(path, method) of every @api entrypoint of every service, as the code has them now."""
    found = set()
    for name in catalog.SERVICES:
        for _, handler in handlers_of(catalog.service_class(name)):
            path = openapi_path(handler.url)[0]
            found |= {(path, method.lower()) for method in http_methods(handler.method)}
    return found


def test_station_up_serves_the_merged_document_and_the_rendered_docs(amqp_uri, tmp_path):
    port = free_port()
    env = {**os.environ, "AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "up", "--port", str(port),
                             "--data-dir", str(tmp_path / "data"), "--no-demo"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(port), timeout=120, what="all services healthy")

        status, content_type, body = fetch(f"{base}/api/v1/openapi.json")
        assert status == 200, body[:500]
        assert content_type.startswith("application/json")
        document = json.loads(body)
        validate_spec(document)
        documented = {(path, method) for path, item in document["paths"].items()
                      for method in item}
        assert operations_in_code() <= documented
        for name in catalog.SERVICES:
            assert (f"/api/v1/{name}/ping", "get") in documented
            assert (f"/api/v1/{name}/openapi.json", "get") in documented
        assert "Error" in document["components"]["schemas"]
        assert "bearerAuth" in document["components"]["securitySchemes"]
        assert fetch(f"{base}/api/v1/openapi.json")[2] == body   # kept, not rebuilt

        status, _, own = fetch(f"{base}/api/v1/residents/openapi.json")   # through the router
        assert status == 200
        assert set(json.loads(own)["paths"]) <= set(document["paths"])

        status, content_type, page = fetch(f"{base}/api/v1/docs")
        assert status == 200 and content_type.startswith("text/html")
        html = page.decode()
        assert "swagger-ui" in html and "/api/v1/openapi.json" in html
        assert "https://" not in html and "http://" not in html   # no CDN: works offline
        for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
            status, content_type, data = fetch(f"{base}/api/v1/docs/{asset}")
            assert status == 200 and kind in content_type and len(data) > 10_000
        status, content_type, data = fetch(f"{base}/api/v1/docs/no-such-file.js")
        assert status == 404 and json.loads(data)["error"]["code"] == "not_found"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


# The edge alone, in a clean interpreter of its own as `station up` runs it: in the test
# process nameko's imports may have swapped eventlet's green sockets into http.server.
EDGE = """
import http.server, json, sys, threading
from station.router import Router

class FakeService(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def do_GET(self):
        ok = self.path == "/api/v1/things/openapi.json"
        data = json.dumps(json.loads(sys.argv[3]) if ok else {}).encode()
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeService)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
ports = {"things": upstream.server_address[1]}
if sys.argv[2] != "-":                     # a service that never answers
    ports["residents"] = int(sys.argv[2])
Router("127.0.0.1", int(sys.argv[1]), {}, ports).start()
print("ready", flush=True)
sys.stdin.readline()                       # the test says when the service goes away
upstream.shutdown()
upstream.server_close()
print("upstream stopped", flush=True)
sys.stdin.readline()
"""
DOCUMENT = {"openapi": "3.0.3", "info": {"title": "things", "version": "1"},
            "paths": {"/api/v1/things/ping": {"get": {"responses": {
                "200": {"description": "OK"}}}}},
            "components": {"schemas": {"Error": {"type": "object"}}}}


def start_edge(down_port: str = "-"):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", EDGE, str(port), down_port,
                             json.dumps(DOCUMENT)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc, f"http://127.0.0.1:{port}"


def stop_edge(proc) -> None:
    proc.kill()
    proc.wait()


def test_the_document_is_a_503_in_the_error_shape_while_a_service_does_not_answer():
    proc, url = start_edge(down_port=str(free_port()))
    try:
        status, _, body = fetch(f"{url}/api/v1/openapi.json")
    finally:
        stop_edge(proc)
    assert status == 503
    error = json.loads(body)["error"]
    assert error["code"] == "unavailable" and "residents" in error["message"]
    assert set(error) == {"code", "message", "message_zh", "fields"}


def test_the_merged_document_is_kept_once_every_service_has_answered():
    proc, url = start_edge()
    try:
        first = fetch(f"{url}/api/v1/openapi.json")
        proc.stdin.write("\n")                                # the things service goes away
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "upstream stopped"
        second = fetch(f"{url}/api/v1/openapi.json")
    finally:
        stop_edge(proc)
    assert first[0] == 200 and second == first
    document = json.loads(first[2])
    assert document["info"]["title"] == "Station API / 社工站接口"
    assert list(document["paths"]) == ["/api/v1/things/ping"]


def test_the_docs_pages_and_initializer_are_ours_and_point_nowhere_outside():
    proc, url = start_edge()
    try:
        pages = {name: fetch(f"{url}/api/v1/docs/{name}")
                 for name in ("", "index.html", "swagger-initializer.js")}
        other = fetch(f"{url}/api/v1/docs/oauth2-redirect.html")
    finally:
        stop_edge(proc)
    for name, (status, _, body) in pages.items():
        assert status == 200, name
        assert b"http://" not in body and b"https://" not in body, name   # no petstore, no CDN
    assert b"/api/v1/openapi.json" in pages["swagger-initializer.js"][2]
    assert b"swagger-initializer.js" in pages["index.html"][2]
    assert other[0] == 404                   # only the bundle files the page needs are served
