"""Station-scoped lookup: kind → table → the same 404 as for something unknown.

Every request is about things of one station, and the caller's scopes must cover it
(shared.security.scope). A thing outside them is refused exactly as a missing one —
the same exception, hence the same 404 body — so a caller cannot learn that it exists:

    THINGS = Things({"case": (cases, "case_id", CaseNotFound), ...}, org=org_of_conn)
    station = THINGS.require(conn, who, "case", case_id)
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


class Things:
    """The station of each kind of thing, from its read-model row, and its 404."""

    def __init__(self, things: Mapping[str, tuple[sa.Table, str, Callable[[str], Exception]]],
                 org: Callable[[sa.Connection], scope.OrgLookup],
                 well_formed: Callable[[object], bool] = plausible_id):
        self.things, self.org, self.well_formed = dict(things), org, well_formed

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
