"""Must show 9: `station up` starts all five services on one port, each answers ping
(over RPC and through the HTTP edge), and Ctrl-C stops everything cleanly."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared import deployment
from station.catalog import SERVICES
from tests.conftest import free_port
from tests.support.harness import wait_until

pytestmark = pytest.mark.e2e


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def health(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as r:
            return json.loads(r.read())
    except OSError:
        return None


def test_station_up_serves_every_service_and_stops_on_ctrl_c(amqp_uri, tmp_path):
    port = free_port()
    env = {**os.environ, "AMQP_URI": amqp_uri, "LOG_LEVEL": "INFO"}  # what a newcomer has
    env.pop("STATION_DEPLOYMENT", None)
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite files
    screen = open(tmp_path / "screen.txt", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "up", "--port", str(port),
                             "--data-dir", str(tmp_path / "data")], env=env,
                            stdout=subprocess.PIPE, stderr=screen, text=True)
    try:
        status = wait_until(lambda: (h := health(port)) and h["status"] == "ok" and h,
                            timeout=240, what="all services healthy")
        assert sorted(status["services"]) == sorted(SERVICES)
        name = deployment.derive(str(tmp_path / "data"), None)  # no STATION_DEPLOYMENT set
        rpc_config = deployment.rpc_config({"AMQP_URI": amqp_uri, "STATION_DEPLOYMENT": name})
        with ClusterRpcProxy(rpc_config, timeout=10) as rpc:
            for name in SERVICES:
                assert getattr(rpc, name).ping() == {"service": name, "status": "ok"}
        for name in SERVICES:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/{name}/ping") as r:
                assert json.loads(r.read())["service"] == name
        for name in SERVICES:
            assert (tmp_path / "data" / f"{name}.db").exists()
        tree = children_of(proc.pid)
        grandchildren = [g for c in tree for g in children_of(c)]   # the relays
        assert len(tree) == len(SERVICES) and len(grandchildren) == len(SERVICES)

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        output = proc.stdout.read()
        assert f"http://127.0.0.1:{port}/api/v1/" in output
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in tree + grandchildren) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in tree + grandchildren if _alive(p)]
        # Must show (issue 10, item 6): the screen has progress and the summary only; the
        # services' log lines are in data/logs/, without eventlet's or alembic's chatter.
        progress = (tmp_path / "screen.txt").read_text()
        assert "ready: activities, casework, reporting, residents, resources (5/5)" in progress
        for noise in ("EventletDeprecationWarning", "Context impl", "Traceback", '{"'):
            assert noise not in progress, progress[-2000:]
        logged = "".join((tmp_path / "data" / "logs" / f"{name}.log").read_text()
                         for name in SERVICES)
        assert '"service.started"' in logged
        assert "EventletDeprecationWarning" not in logged and "Context impl" not in logged
    finally:
        if proc.poll() is None:
            proc.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie has exited; only its parent's wait is missing
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_station_up_names_the_broker_uri_when_it_cannot_connect(tmp_path):
    env = {**os.environ, "AMQP_URI": "amqp://guest:secret@127.0.0.1:1/"}
    result = subprocess.run([sys.executable, "-m", "station.cli", "up", "--port", str(free_port()),
                             "--data-dir", str(tmp_path)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "amqp://guest:***@127.0.0.1:1/" in result.stderr
    assert "secret" not in result.stderr
