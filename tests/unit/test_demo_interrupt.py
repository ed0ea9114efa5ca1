"""Ctrl-C during `station up`'s demo seeding: the seeding client stops at its next request;
and it sends each request once (no retries of its own: issue 20, item 1)."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from station import demo


@pytest.fixture
def not_yet_known():
    """An edge that answers every request 404 (casework has not learnt of the resident)
    and sets `stopping` (Ctrl-C) at the third request."""
    stopping, seen = threading.Event(), []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            if len(seen) == 3:
                stopping.set()
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"code": "not_found"}}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], stopping, seen
    server.shutdown()


def test_after_ctrl_c_the_client_sends_no_further_request(not_yet_known):
    port, stopping, seen = not_yet_known
    api = demo.Api(port, token="t", stopping=stopping)
    for _ in range(3):                           # answered (404), Ctrl-C at the third
        with pytest.raises(demo.ApiError, match="404"):
            api.call("POST", "/api/v1/visits", {"resident_id": "r"})
    with pytest.raises(demo.Interrupted):
        api.call("POST", "/api/v1/visits", {"resident_id": "r"})
    assert len(seen) == 3                        # no request after Ctrl-C


def test_a_refusal_is_not_sent_again(not_yet_known):
    """The services wait for the residents' events themselves (shared.freshness): the
    client sends a step once, and a 404 is the step's answer."""
    port, _, seen = not_yet_known
    api = demo.Api(port, token="t")
    with pytest.raises(demo.ApiError, match="404"):
        api.call("POST", "/api/v1/visits", {"resident_id": "r"})
    assert len(seen) == 1
