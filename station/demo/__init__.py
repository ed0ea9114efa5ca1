"""The demo district for `station up`: Xihu Road station and two more, a year of work.

Its history is generated (station.demo.plan, from a seed) and sent through the public
HTTP API with the demo accounts (station.demo.loader), never written into stores, so
every figure the end screen prints (station.demo.endscreen) is the reporting service's
fold of the events those calls recorded. The people are invented: names from fixed
lists, ID numbers with a valid GB 11643 check digit in Nanming's area code.

    district.py   the stations, communities and their character; the report's figures
    plan.py       the year as API calls (pure: seed, scale, day -> steps)
    loader.py     sends the steps, resumably, with a progress bar
    endscreen.py  the computed figures beside the report's, where to look, who to be
"""
from __future__ import annotations

import sys
from typing import Callable

from station.demo.accounts import create_users
from station.demo.client import Api, ApiError, Interrupted
from station.demo.people import answers_for, id_number

STATION = "xihulu-station"
DEFAULT_SEED = 7

__all__ = ["Api", "ApiError", "Interrupted", "answers_for", "create_users", "id_number",
           "load", "STATION"]


def load(port: int, logins: dict[str, str], data_dir: str, seed: int = DEFAULT_SEED,
         scale: float = 1.0, stopping=None, say: Callable[[str], None] | None = None) -> str | None:
    """Load (or resume) the demo and return its end screen; None if nothing was loaded
    because the data directory holds other data. Interrupted on Ctrl-C."""
    from station.demo import endscreen
    from station.demo.loader import Loader, local_today
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    loader = Loader(port, logins, data_dir, stopping, say)
    params = loader.run(seed, scale, local_today())
    if params is None or not params.complete:
        return None
    say("  waiting for the reporting service to fold every event / 等待报表服务汇总 …")
    figures = endscreen.settle(port, loader.api("demo-head"), loader.api("demo-district"),
                               params.day, stopping)
    return endscreen.render(figures, port, logins, params.seconds)
