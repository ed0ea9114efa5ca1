"""`station projections rebuild --service reporting`: reporting's read models from zero.

Reporting's facts come from every other service, so its rebuild reads every source's
`read_all` (the stores directly: the services are stopped) besides its own events, with
a progress bar per source on stderr. The inbox checkpoints are set to what was folded,
so the services resume exactly after it.
"""
from __future__ import annotations

import sys
from typing import Mapping

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from shared import topology
from shared.eventstore import EventStore
from shared.stores import open_store
from station import catalog


def rebuild(store: EventStore, config: Mapping, quiet: bool = False) -> int:
    from services.reporting import projections
    sources = {name: open_store(name, config, catalog.registry(name), catalog.projections(name))
               for name in topology.SUBSCRIPTIONS["reporting"]}
    with Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
                  disable=quiet or not sys.stderr.isatty(), transient=False) as bar:
        tasks = {name: bar.add_task(name, total=None) for name in ("reporting", *sources)}

        def progress(name: str, done: int, total: int) -> None:
            bar.update(tasks[name], completed=done, total=total)
            if not sys.stderr.isatty() and not quiet:
                print(f"reporting rebuild: {name} {done}/{total}", file=sys.stderr)

        try:
            return projections.rebuild(store, sources, progress)
        finally:
            for source in sources.values():
                source.engine.dispose()
