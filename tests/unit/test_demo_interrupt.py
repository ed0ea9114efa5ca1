"""Ctrl-C during `station up`'s demo seeding: the seeding client stops at its next request,
also inside its waits for events to arrive (which alone could hold the stop for 30 s)."""
from __future__ import annotations

import threading
import time
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


def test_a_wait_for_a_known_resident_ends_at_the_next_request_after_ctrl_c(not_yet_known):
    port, stopping, seen = not_yet_known
    api = demo.Api(port, token="t", stopping=stopping)
    started = time.monotonic()
    with pytest.raises(demo.Interrupted):
        api.call_when_known("POST", "/api/v1/visits", {"resident_id": "r"}, wait_s=30)
    assert time.monotonic() - started < 10       # not the 30 s wait
    assert len(seen) == 3                        # no request after Ctrl-C


def test_without_ctrl_c_the_wait_goes_on_until_its_deadline(not_yet_known):
    port, _, seen = not_yet_known
    api = demo.Api(port, token="t")               # no `stopping`: as before
    with pytest.raises(RuntimeError, match="404"):
        api.call_when_known("POST", "/api/v1/visits", {"resident_id": "r"}, wait_s=1.0)
    assert len(seen) > 3
