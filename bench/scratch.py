"""What the service benchmarks share: a free port, and a virtual host of their own on the
real broker (so a run leaves nothing in the vhost others use)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import urllib.parse
import uuid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vhost_uri(base: str) -> tuple[str, str | None]:
    """`base` with a fresh virtual host, and its name (None: no rabbitmqctl here)."""
    if not shutil.which("rabbitmqctl"):
        return base, None
    vhost = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*",
                    ".*"], check=True)
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/" + vhost)), vhost
