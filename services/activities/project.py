"""Projects (项目, such as 公益集市 or 微心愿) and the service areas a station adds to the
standard four (the N of "4+N"). Pure decisions; each project is its own stream, each
station's added areas one stream."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from shared.events import NewEvent
from shared.kit import fold as kit

from services.activities import commands as c
from services.activities import rules
from shared.kit.errors import Duplicate
from services.activities.events import STANDARD_AREAS


@dataclasses.dataclass(frozen=True)
class Project:
    project_id: str | None = None
    station_id: str | None = None
    name: str | None = None
    area: str | None = None
    version: int = 0


@dataclasses.dataclass(frozen=True)
class StationAreas:
    """The areas one station may use: the standard four and those it added."""
    station_id: str | None = None
    added: tuple[str, ...] = ()
    version: int = 0

    @property
    def areas(self) -> frozenset[str]:
        return frozenset(STANDARD_AREAS) | frozenset(self.added)


PROJECT_EVOLVERS = {
    "ProjectCreated": lambda s, p: Project(p["project_id"], p["station_id"], p["name"],
                                           p["area"]),
}
AREA_EVOLVERS = {
    "ServiceAreaAdded": lambda s, p: dataclasses.replace(s, station_id=p["station_id"],
                                                         added=s.added + (p["area"],)),
}
EVOLVERS = {**PROJECT_EVOLVERS, **AREA_EVOLVERS}


def fold_project(events, project: Project | None = None) -> Project:
    return kit.fold(lambda s, e: kit.step(PROJECT_EVOLVERS, s, e), events,
                    project or Project())


def fold_areas(events, areas: StationAreas | None = None) -> StationAreas:
    return kit.fold(lambda s, e: kit.step(AREA_EVOLVERS, s, e), events,
                    areas or StationAreas())


def decide_project(project: Project, cmd: c.CreateProject, now: datetime,
                   known: rules.Known) -> list[NewEvent]:
    if project.project_id is not None:
        raise Duplicate(f"Project {cmd.project_id} exists already", "项目已存在")
    rules.check_area(cmd.area, known)
    if cmd.ends_on is not None:
        rules.check_not_before(cmd.ends_on, cmd.starts_on, "ends_on", "结束日期")
    payload = {"project_id": cmd.project_id, "station_id": cmd.station_id, "name": cmd.name,
               "area": cmd.area, "owner": cmd.owner, "starts_on": cmd.starts_on.isoformat(),
               "ends_on": cmd.ends_on.isoformat() if cmd.ends_on else None,
               "created_by": cmd.actor}
    return [NewEvent("ProjectCreated", payload, station_id=cmd.station_id, occurred_at=now,
                     actor=cmd.actor)]


def decide_areas(areas: StationAreas, cmd: c.AddServiceArea, now: datetime,
                 known: rules.Known | None = None) -> list[NewEvent]:
    if cmd.area in areas.areas:
        raise Duplicate(f"Service area {cmd.area} exists already",
                        f"服务领域 {cmd.area} 已存在", {"area": ["Exists already / 已存在"]})
    payload = {"station_id": cmd.station_id, "area": cmd.area, "name": cmd.name,
               "name_zh": cmd.name_zh, "added_by": cmd.actor}
    return [NewEvent("ServiceAreaAdded", payload, station_id=cmd.station_id,
                     occurred_at=now, actor=cmd.actor)]
