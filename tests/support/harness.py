"""Helpers for the delivery tests: the test services in subprocesses, a relay thread,
and polling with a deadline (never a bare sleep as an assertion)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Callable

from nameko.standalone.rpc import ClusterRpcProxy

from shared.clock import today as china_today  # noqa: F401  (tests date as the services do)
from shared.relay import ConfirmingPublisher, Relay
from shared.stores import open_store
from tests.support.services import registry

LEDGER_SUBSCRIPTIONS = {"ledger": ("tsource",)}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, every: float = 0.2,
               what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        time.sleep(every)


class ServiceProcess:
    def __init__(self, target: str, env: dict, log_path: str):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.run", target],
                                     env={**env, "PYTHONPATH": REPO}, cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        if b"ready" not in line:
            raise RuntimeError(f"{target} did not start; see {log_path}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def kill(self):
        self.proc.kill()
        self.proc.wait()


class RelayThread:
    """The tsource relay, running in a real thread of the test process."""

    def __init__(self, env: dict):
        config = {"DATABASE_URL": env.get("DATABASE_URL"), "STATION_DATA_DIR": env["STATION_DATA_DIR"]}
        self.store = open_store("tsource", config, registry)
        self.relay = Relay(self.store, ConfirmingPublisher(env["AMQP_URI"], "tsource",
                                                           subscriptions=LEDGER_SUBSCRIPTIONS,
                                                           confirm_timeout=5),
                           "tsource", max_backoff_s=1.0)
        self.thread = None

    def start(self):
        self.thread = self.relay.start()
        return self

    def stop(self):
        self.relay.stop()
        if self.thread:
            self.thread.join(timeout=30)


def ledger_applied(amqp_uri: str) -> list[dict]:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
        return rpc.ledger.applied()


