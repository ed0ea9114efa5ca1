"""`station up` with a demo, as the browser tests start it: on a scratch RabbitMQ virtual
host and PostgreSQL database of its own, development keys, stopped with Ctrl-C after."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port


@dataclasses.dataclass
class DemoStation:
    port: int
    data: Path
    logins: dict
    output: str   # what `station up` printed, up to its "Ctrl-C" line

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dashboard/"


@contextlib.contextmanager
def demo_station(tmp_path_factory, name: str, scale: str = "0.05"):
    """Yields the running DemoStation once the demo is loaded (its end screen printed)."""
    from tests.e2e.test_dashboard_browser import _scratch_broker_and_database
    amqp, database, drop = _scratch_broker_and_database()
    port, data = free_port(), tmp_path_factory.mktemp(name) / "data"
    env = {**os.environ, "AMQP_URI": amqp, "DATABASE_URL": database, "LOG_LEVEL": "WARNING"}
    for key in ("STATION_JWT_KEYS", "STATION_LOOKUP_KEY"):
        env.pop(key, None)
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "up", "--port", str(port),
                             "--data-dir", str(data), "--demo-scale", scale], env=env,
                            stdout=subprocess.PIPE,
                            stderr=open(data.parent / "stderr.log", "w"), text=True)
    try:
        output = []
        for line in proc.stdout:
            output.append(line)
            if line.startswith("Ctrl-C"):
                break
        logins = json.loads((data / "demo-logins.json").read_text())
        yield DemoStation(port, data, logins, "".join(output))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drop()
