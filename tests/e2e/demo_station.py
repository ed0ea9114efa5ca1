"""`station up` with a demo, as the browser tests start it: on a scratch RabbitMQ virtual
host and PostgreSQL database of its own, development keys, stopped with Ctrl-C after."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import free_port
from tests.support.slots import station_slot


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
    """Yields the running DemoStation once the demo is loaded (its end screen printed);
    at most two at once across the test workers (tests.support.slots)."""
    with station_slot(tmp_path_factory):
        with _demo_station(tmp_path_factory, name, scale) as up:
            yield up


def until_ready(proc: subprocess.Popen, stderr: Path, within_s: float = 420) -> str:
    """What `station up` printed up to its "Ctrl-C" line. If it ends, or has not printed
    it after `within_s` (an idle machine needs about 110 s), a failure quoting the end of
    its log, not a silent wait until the test's time-out. A thread reads the pipe: the
    services `station up` started hold it open even after it has exited."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)],
                     daemon=True).start()
    printed, end = [], time.monotonic() + within_s
    while (left := end - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=min(left, 5))
        except queue.Empty:
            if proc.poll() is None:
                continue
            line = None
        if line is None:
            break
        printed.append(line)
        if line.startswith("Ctrl-C"):
            return "".join(printed)
    tail = stderr.read_text(errors="replace")[-3000:] if stderr.exists() else ""
    raise AssertionError(f"station up (exit {proc.poll()}) printed no end screen in "
                         f"{within_s:.0f} s:\n{''.join(printed)[-2000:]}\n"
                         f"--- its log ---\n{tail}")


@contextlib.contextmanager
def _demo_station(tmp_path_factory, name: str, scale: str):
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
        output = until_ready(proc, data.parent / "stderr.log")
        logins = json.loads((data / "demo-logins.json").read_text())
        yield DemoStation(port, data, logins, output)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drop()
