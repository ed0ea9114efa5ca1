"""The HTTP edge (station.router) in a clean interpreter of its own, as `station up` runs
it: in the test process nameko's imports may have swapped eventlet's green sockets in.

    edge = EdgeProcess({"residents": port}, body_timeout=1)
    ... edge.url ... edge.raw(b"POST ... HTTP/1.1\\r\\n...") ...
    edge.stop()
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys

from station import catalog
from tests.conftest import free_port

SCRIPT = """
import json, sys
from station.router import Router
args = json.loads(sys.argv[1])
Router("127.0.0.1", args["port"], args["routes"], args["ports"],
       header_timeout=args["header_timeout"], body_timeout=args["body_timeout"]).start()
print("ready", flush=True)
sys.stdin.readline()
"""


class EdgeProcess:
    def __init__(self, ports: dict[str, int], routes: dict[str, str] | None = None,
                 header_timeout: float = 10.0, body_timeout: float = 15.0):
        self.port = free_port()
        args = {"port": self.port, "routes": routes or catalog.ROUTES, "ports": ports,
                "header_timeout": header_timeout, "body_timeout": body_timeout}
        self.proc = subprocess.Popen([sys.executable, "-c", SCRIPT, json.dumps(args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the edge did not start")
        self.url = f"http://127.0.0.1:{self.port}"

    def connect(self, data: bytes = b"") -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        if data:
            sock.sendall(data)
        return sock

    def raw(self, data: bytes, timeout: float = 30.0) -> bytes:
        """Send bytes, read until the edge closes the connection (or `timeout`)."""
        sock = self.connect(data)
        sock.settimeout(timeout)
        return read_all(sock)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def read_all(sock: socket.socket) -> bytes:
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        sock.close()
    return out


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of one raw HTTP/1.x answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body
