"""The organisation tree as reporting learns it from the residents' org events (facts).

district -> streets -> stations -> communities; a report's scope is the stations under
the unit it is for.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from services.reporting.facts import Fact

LEVELS = ("station", "street", "district")


@dataclasses.dataclass(frozen=True)
class Tree:
    station_street: dict[str, str]
    street_district: dict[str, str]
    names: dict[tuple[str, str], str]

    def stations_under(self, level: str, unit_id: str) -> frozenset[str]:
        """The stations a station, street or district report covers (empty if unknown)."""
        if level == "station":
            return frozenset({unit_id}) if unit_id in self.station_street else frozenset()
        if level == "street":
            return frozenset(s for s, street in self.station_street.items() if street == unit_id)
        if level == "district":
            return frozenset(s for s, street in self.station_street.items()
                             if self.street_district.get(street) == unit_id)
        raise ValueError(f"unknown level {level!r}")

    def street_of(self, station_id: str) -> str | None:
        return self.station_street.get(station_id)

    def district_of_street(self, street_id: str) -> str | None:
        return self.street_district.get(street_id)

    def name(self, level: str, unit_id: str) -> str | None:
        return self.names.get((level, unit_id))


def tree_of(facts: Iterable[Fact]) -> Tree:
    stations, streets, names = {}, {}, {}
    for fact in facts:
        if fact.kind == "station":
            stations[fact.subject] = fact.data.get("street_id")
        elif fact.kind == "street":
            streets[fact.subject] = fact.data.get("district_id")
        if fact.kind in ("station", "street", "district"):
            names[(fact.kind, fact.subject)] = fact.data.get("name")
    return Tree(stations, streets, names)
