"""A subscriber for the ops tests: `flaky` is the ledger under another name whose handler
fails for the event numbers listed in `$STATION_DATA_DIR/flaky-fail` (one per line), so
a test can park a message, fix the cause (empty the file) and replay it."""
from __future__ import annotations

import os
import pathlib

from shared.providers import InboxProvider
from tests.support.services import Ledger, apply_counted


def failing() -> set[int]:
    path = pathlib.Path(os.environ["STATION_DATA_DIR"]) / "flaky-fail"
    return {int(n) for n in path.read_text().split()} if path.exists() else set()


def apply_unless_failing(conn, event) -> None:
    if event.payload["n"] in failing():
        raise RuntimeError(f"flaky failure n={event.payload['n']}")
    apply_counted(conn, event)


class Flaky(Ledger):
    name = "flaky"
    inbox = InboxProvider(lambda _store: {"Counted": apply_unless_failing}, sources=("tsource",))
