"""At most two whole demo stations at once across the test workers.

A `station up` with the demo is eleven processes (five services, their relays, the
edge) loading a few hundred requests; four of them at once on a two-core machine, as
the parallel run used to start them, each took more than the five minutes a test may
take (CI on 2026-12-03: `test_demo_station` timed out in its fixture). A worker that
would start a third waits here for a slot: slower alone, never all of them too slow.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

SLOTS = 2


def _shared_dir(tmp_path_factory) -> Path:
    """The run's temporary directory, the same for every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def station_slot(tmp_path_factory, slots: int = SLOTS):
    """Held while a whole station runs; released when it has stopped (or on error)."""
    root = _shared_dir(tmp_path_factory)
    while True:
        for i in range(slots):
            handle = open(root / f"station-slot-{i}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield i
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        time.sleep(0.5)
