"""An activity (活动): its state is the fold of its events. Pure."""
from __future__ import annotations

import dataclasses

from shared.kit import fold as kit


@dataclasses.dataclass(frozen=True)
class Activity:
    activity_id: str | None = None
    station_id: str | None = None
    version: int = 0


EVOLVERS = {
    "ActivityPlanned": lambda a, p: dataclasses.replace(
        a, activity_id=p["activity_id"], station_id=p["station_id"]),
}


def evolve(activity: Activity, event) -> Activity:
    return kit.step(EVOLVERS, activity, event)


def fold(events, activity: Activity | None = None) -> Activity:
    return kit.fold(evolve, events, activity or Activity())
