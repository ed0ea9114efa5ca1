"""The relay as a supervised child of its service's process (`station serve`).

The relay is its own process (unpatched by eventlet, see station.cli). If it dies, for
whatever reason, it is started again after a pause that doubles up to 30 s (back to 1 s
once it has run for a minute): events committed meanwhile wait in the store, the relay's
checkpoint says where to go on, so nothing is lost. Each exit is logged as an error with
its exit code, and the state (running, restarts) is shown on the service's health.
"""
from __future__ import annotations

import subprocess
import time

from shared import health, logs

log = logs.get("station")


class RelaySupervisor:
    def __init__(self, argv: list[str], sleep=time.sleep, max_pause_s: float = 30.0):
        self.argv, self.sleep, self.max_pause_s = argv, sleep, max_pause_s
        self.proc: subprocess.Popen | None = None
        self.stopping = False

    def run(self) -> None:
        """Start the relay, and start it again whenever it exits, until stop()."""
        pause = 1.0
        while not self.stopping:
            started = time.monotonic()
            self.proc = subprocess.Popen(self.argv)
            health.relay_process.update(supervised=True, running=True, pid=self.proc.pid)
            code = self.proc.wait()
            health.relay_process.update(running=False, last_exit=code)
            if self.stopping:
                return
            if time.monotonic() - started > 60:
                pause = 1.0
            health.relay_process["restarts"] += 1
            log.error("relay.exited", exit_code=code, restart_in_s=pause,
                      restarts=health.relay_process["restarts"])
            self.sleep(pause)
            pause = min(pause * 2, self.max_pause_s)

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
