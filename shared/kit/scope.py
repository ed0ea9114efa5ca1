"""Station-scoped lookup: kind → table → the same 404 as for something unknown.

Every request is about things of one station, and the caller's scopes must cover it
(shared.security.scope). A thing outside them is refused exactly as a missing one —
the same exception, hence the same 404 body — so a caller cannot learn that it exists:

    THINGS = Things({"case": (cases, "case_id", CaseNotFound), ...}, org=org_of_conn,
                    station_missing=StationNotFound, org_map=org_map_of_conn)
    station = THINGS.require(conn, who, "case", case_id)
    stations = THINGS.stations_in_scope(conn, who, query.get("station_id"))
"""
from __future__ import annotations

from typing import Callable, Mapping

import sqlalchemy as sa

from shared.security import scope
from shared.security.principal import Principal

MAX_ID = 100  # ids longer than any id a service stores cannot name anything


def plausible_id(value) -> bool:
    """Could this name a stored thing? (The database refuses NUL; long ids exist nowhere.)"""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and "\x00" not in value


class OrgTree:
    """The organisation tree a service keeps from the residents' events, in two tables
    of its own: station -> street (`stations`) and street -> district (`streets`)."""

    def __init__(self, stations: sa.Table, streets: sa.Table):
        self.stations, self.streets = stations, streets

    def _joined(self, *columns):
        S, T = self.stations, self.streets
        return sa.select(*columns).join(T, T.c.street_id == S.c.street_id)

    def place(self, conn: sa.Connection, station_id: str) -> tuple[str, str] | None:
        """(street_id, district_id) of one known station, or None."""
        S = self.stations
        row = conn.execute(self._joined(S.c.street_id, self.streets.c.district_id)
                           .where(S.c.station_id == station_id)).first()
        return tuple(row) if row else None

    def map(self, conn: sa.Connection) -> dict[str, tuple[str, str]]:
        """{station_id: (street_id, district_id)} for every station of a known street."""
        S = self.stations
        rows = conn.execute(self._joined(S.c.station_id, S.c.street_id,
                                         self.streets.c.district_id))
        return {station: (street, district) for station, street, district in rows}


def org_of(place: Callable[[sa.Connection, str], object]) -> Callable[[sa.Connection], scope.OrgLookup]:
    """The organisation lookup of a service's read model: `place(conn, station)` (its
    street and district), asked only when a street or district scope needs it."""
    return lambda conn: (lambda station_id: place(conn, station_id))


class Things:
    """The station of each kind of thing, from its read-model row, and its 404."""

    def __init__(self, things: Mapping[str, tuple[sa.Table, str, Callable[[str], Exception]]],
                 org: Callable[[sa.Connection], scope.OrgLookup],
                 well_formed: Callable[[object], bool] = plausible_id,
                 station_missing: Callable[[str | None], Exception] | None = None,
                 org_map: Callable[[sa.Connection], Mapping[str, tuple[str, str]]] | None = None):
        self.things, self.org, self.well_formed = dict(things), org, well_formed
        self.station_missing, self.org_map = station_missing, org_map

    def row(self, conn: sa.Connection, kind: str, thing_id: str, *columns: str):
        table, key, _ = self.things[kind]
        if not self.well_formed(thing_id):
            return None
        wanted = [table.c[c] for c in columns or ("station_id",)]
        return conn.execute(sa.select(*wanted).where(table.c[key] == thing_id)).first()

    def station_of(self, conn: sa.Connection, kind: str, thing_id: str) -> str | None:
        row = self.row(conn, kind, thing_id)
        return row[0] if row else None

    def can_see(self, conn: sa.Connection, who: Principal, station_id: str | None,
                org: scope.OrgLookup | None = None) -> bool:
        return scope.can_see_station(who, station_id, org or self.org(conn))

    def not_found(self, kind: str, thing_id: str) -> Exception:
        return self.things[kind][2](thing_id)

    def require_row(self, conn: sa.Connection, who: Principal, kind: str, thing_id: str,
                    *columns: str, org: scope.OrgLookup | None = None):
        """The thing's row (`columns`, then its station); its not-found exception if
        missing or out of scope. `org`: the organisation lookup, if the caller has it."""
        row = self.row(conn, kind, thing_id, *columns, "station_id")
        if row is None or not self.can_see(conn, who, row[-1], org):
            raise self.not_found(kind, thing_id)
        return row

    def require(self, conn: sa.Connection, who: Principal, kind: str, thing_id: str,
                org: scope.OrgLookup | None = None) -> str:
        """The thing's station; its not-found exception if missing or out of scope."""
        return self.require_row(conn, who, kind, thing_id, org=org)[-1]

    def require_station(self, conn: sa.Connection, who: Principal, station_id) -> str:
        """The station itself, if the caller's scopes cover it; else `station_missing`."""
        if not (self.well_formed(station_id) and self.can_see(conn, who, station_id)):
            raise self.station_missing(station_id)
        return station_id

    def stations_in_scope(self, conn: sa.Connection, who: Principal,
                          station_id: str | None = None) -> list[str]:
        """The stations a list may show: the one asked for (its 404 if out of scope),
        else every station the caller's scopes cover (street and district scopes through
        the organisation tree `org_map` gives: {station: (street, district)})."""
        if station_id is not None:
            return [self.require_station(conn, who, station_id)]
        known = self.org_map(conn)
        covered = {s for s in known if scope.can_see_station(who, s, known.get)}
        return sorted(who.stations | covered)
