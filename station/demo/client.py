"""A small JSON client for the station's own HTTP edge, as the demo's accounts use it."""
from __future__ import annotations

import http.client
import json


class Interrupted(Exception):
    """Ctrl-C while the demo is being loaded: `station up` stops at once, not after it."""


class ApiError(RuntimeError):
    """An answer of 400 or more: its status and body, named in the message."""

    def __init__(self, method: str, path: str, status: int, body):
        super().__init__(f"{method} {path} -> {status}: {body}")
        self.status, self.body = status, body


class Api:
    """A tiny JSON client for the station's own HTTP edge (one kept-alive connection).

    `stopping` (a threading.Event): once set, every further call raises Interrupted, so
    loading (and its waits for events to arrive) ends at the next request; a request
    already sent is answered first, so what it did is known."""

    def __init__(self, port: int, token: str | None = None, stopping=None):
        self.port, self.token, self.stopping = port, token, stopping
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None, reason: str | None = None):
        if self.stopping is not None and self.stopping.is_set():
            raise Interrupted()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if reason:
            headers["X-Access-Reason"] = reason
        payload = json.dumps(body) if body is not None else None
        status, data = self._send(method, path, payload, headers)
        if status >= 400:
            raise ApiError(method, path, status, data)
        return data

    def _send(self, method, path, payload, headers):
        """One request on the kept-alive connection; a connection the edge closed while
        idle is opened again once (the request was not read, so it is not a repeat)."""
        for attempt in (1, 2):
            reused = self._conn is not None
            if not reused:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self._conn.request(method, path, body=payload, headers=headers)
                response = self._conn.getresponse()
                return response.status, json.loads(response.read() or b"null")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._conn.close()
                self._conn = None
                if attempt == 2 or not reused:
                    raise
        raise AssertionError("unreachable")

    def as_user(self, username: str, password: str) -> "Api":
        token = self.call("POST", "/api/v1/auth/token",
                          {"username": username, "password": password})["access_token"]
        return Api(self.port, token, self.stopping)
