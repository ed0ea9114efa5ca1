"""Guards every aggregate of the service shares: the station's clock and calendar, and
which residents a station may name. Pure: `now` and the known residents are passed in."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping

from shared.clock import CHINA
from shared.kit.errors import Invalid, LearnedFromEvents
from services.activities.events import STANDARD_AREAS

# Clocks of phones and laptops drift; a session "a little in the future" is not an error.
CLOCK_SKEW = timedelta(minutes=10)
# Stations keep China Standard Time: "today" and a session's date are read there.
STATION_TZ = CHINA


def local_date(moment: datetime | str) -> date:
    """The station's calendar date of a moment (a datetime or stored ISO text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(STATION_TZ).date()


def today(now: datetime) -> date:
    return local_date(now)


class InFuture(Invalid):
    def __init__(self, field: str, what: str, what_zh: str):
        super().__init__(f"The {what} is in the future: it cannot be recorded yet",
                         f"{what_zh}尚未到来，不能提前记录",
                         {field: ["Is in the future / 晚于当前时间"]})


class ResidentsNotOfStation(Invalid, LearnedFromEvents):
    """Missing and another station's residents get one answer: nothing is revealed."""

    def __init__(self, field: str, resident_ids: list[str]):
        listed = ", ".join(resident_ids)
        super().__init__(f"Resident(s) not registered at this station: {listed}",
                         f"以下居民未在本站登记：{listed}",
                         {field: [f"Missing at this station / 本站无此居民: {r}"
                                  for r in resident_ids]})


def check_moment_not_future(moment: datetime, now: datetime, field: str, what: str,
                            what_zh: str) -> None:
    if moment > now + CLOCK_SKEW:
        raise InFuture(field, what, what_zh)


def check_date_not_future(day: date, now: datetime, field: str, what: str,
                          what_zh: str) -> None:
    if day > today(now):
        raise InFuture(field, what, what_zh)


def check_residents_of_station(resident_ids: Iterable[str], station_id: str,
                               residents: Mapping[str, str | None], field: str) -> None:
    """`residents` maps each resident the service knows to their station."""
    strangers = [r for r in resident_ids if residents.get(r) != station_id]
    if strangers:
        raise ResidentsNotOfStation(field, strangers)


def check_not_before(day: date, earliest: date, field: str, what_zh: str) -> None:
    if day < earliest:
        raise Invalid(f"{field} {day} is before {earliest}",
                             f"{what_zh}（{day}）早于 {earliest}",
                             {field: [f"Before {earliest} / 早于 {earliest}"]})


@dataclasses.dataclass(frozen=True)
class Known:
    """What the service knows beyond one aggregate, looked up by the handler and passed
    in: residents (id -> station, from the residents' events), the station's service
    areas, and projects (id -> station)."""
    residents: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    areas: frozenset[str] = frozenset(STANDARD_AREAS)
    projects: Mapping[str, str] = dataclasses.field(default_factory=dict)


class UnknownArea(Invalid):
    def __init__(self, area: str, areas: Iterable[str]):
        names = ", ".join(sorted(areas))
        super().__init__(f"Missing service area {area}", f"未知的服务领域 {area}",
                         {"area": [f"Must be one of: {names} / 必须是以下之一：{names}"]})


def check_area(area: str, known: Known) -> None:
    if area not in known.areas:
        raise UnknownArea(area, known.areas)
