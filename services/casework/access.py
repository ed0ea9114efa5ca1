"""Who sees what in casework: every request is about things of one station, and the
caller's scopes must cover that station (shared.security.scope).

The station of each thing comes from casework's own read models, in the database the
command then writes to: a resident's from `known_residents` (kept from the residents'
events), a case's, referral's, follow-up's or campaign's from its own row. A thing out
of scope is refused exactly as a missing one — the same domain exception, hence the
same 404 body — so a caller cannot learn that it exists:

    with engine.connect() as conn:
        station = access.require(conn, who, "case", case_id)      # CaseNotFound if not
        stations = access.stations_in_scope(conn, who, query.get("station_id"))
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from shared.security import scope
from shared.security.principal import Principal

from services.casework import projections as p
from services.casework.campaign import CampaignNotFound
from services.casework.case import CaseNotFound
from services.casework.errors import DomainError, InvalidCommand, Unknown
from services.casework.followup import FollowUpNotFound
from services.casework.referral import ReferralNotFound
from services.casework.visit import ResidentUnknown

MAX_ID = 100  # ids longer than any id casework stores cannot name anything


class StationNotFound(Unknown):
    def __init__(self, station_id: str | None):
        super().__init__(f"Station {station_id} not found", f"未找到社工站 {station_id}")


class NotTheResidentsStation(InvalidCommand):
    def __init__(self):
        super().__init__("The resident belongs to another station", "该居民不属于此社工站",
                         {"station_id": ["Not the resident's station / 不是该居民所属的社工站"]})


# kind -> (table, its key column, the exception for a missing one)
THINGS: dict[str, tuple[sa.Table, str, Callable[[str], DomainError]]] = {
    "resident": (p.known_residents, "resident_id", ResidentUnknown),
    "case": (p.cases, "case_id", CaseNotFound),
    "referral": (p.referrals, "referral_id", ReferralNotFound),
    "followup": (p.followups, "followup_id", FollowUpNotFound),
    "campaign": (p.campaigns, "campaign_id", CampaignNotFound),
}


def plausible_id(value) -> bool:
    """Could this name a stored thing? (The database refuses NUL; long ids exist nowhere.)"""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and "\x00" not in value


def org(conn: sa.Connection) -> scope.OrgLookup:
    """station -> (street, district), asked of the organisation tree only when a street
    or district scope needs it."""
    return lambda station_id: p.org_place(conn, station_id)


def station_of(conn: sa.Connection, kind: str, thing_id: str) -> str | None:
    table, key, _ = THINGS[kind]
    if not plausible_id(thing_id):
        return None
    return conn.execute(sa.select(table.c.station_id).where(table.c[key] == thing_id)).scalar()


def require(conn: sa.Connection, who: Principal, kind: str, thing_id: str) -> str:
    """The station of the thing; its not-found exception if it is missing or out of scope."""
    station = station_of(conn, kind, thing_id)
    if not scope.can_see_station(who, station, org(conn)):
        raise THINGS[kind][2](thing_id)
    return station


def require_station(conn: sa.Connection, who: Principal, station_id: str | None) -> str:
    """The station itself, if the caller's scopes cover it; else StationNotFound."""
    if not (plausible_id(station_id) and scope.can_see_station(who, station_id, org(conn))):
        raise StationNotFound(station_id)
    return station_id


def resident_station(conn: sa.Connection, who: Principal, resident_id: str,
                     claimed: str | None = None) -> str:
    """The resident's station as the residents' events said it (ResidentUnknown if
    casework has not heard of them or they are out of scope); a `claimed` station that
    is not theirs is refused."""
    station = require(conn, who, "resident", resident_id)
    if claimed is not None and claimed != station:
        raise NotTheResidentsStation()
    return station


def stations_in_scope(conn: sa.Connection, who: Principal,
                      station_id: str | None = None) -> list[str]:
    """The stations a list may show: the one asked for (StationNotFound if out of scope),
    else every station the caller's scopes cover (street and district scopes through
    the organisation tree)."""
    if station_id is not None:
        return [require_station(conn, who, station_id)]
    known = p.org_map(conn)
    covered = {s for s in known if scope.can_see_station(who, s, known.get)}
    return sorted(who.stations | covered)
