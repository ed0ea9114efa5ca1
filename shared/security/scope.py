"""Station isolation: what a principal's scopes cover, and 404 for everything else.

A `station:S` scope covers station S; `street:T` covers every station of street T;
`district:D` covers every station of every street of district D. The org tree is
given as a lookup `org(station_id) -> (street_id, district_id)`, or None for a station
the service does not know (the service builds it from its org projection).

A record outside the caller's scope is reported exactly as a missing one (404 with the
same body), never as 403, so a caller cannot learn that it exists:

    resident = visible(projections.resident(conn, id), who, org, not_found=RESIDENT_NOT_FOUND)
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, TypeVar

from shared.errors import ApiError, NotFound
from shared.security.principal import Principal

OrgLookup = Callable[[str], "tuple[str, str] | None"]
R = TypeVar("R", bound=Mapping)


def org_from(stations: Mapping[str, tuple[str, str]]) -> OrgLookup:
    """An org lookup from a {station_id: (street_id, district_id)} mapping."""
    return stations.get


def can_see_station(principal: Principal, station_id: str | None, org: OrgLookup) -> bool:
    if not station_id:
        return False
    if station_id in principal.stations:
        return True
    if not (principal.streets or principal.districts):
        return False
    place = org(station_id)
    return place is not None and can_see_street(principal, *place)


def can_see_street(principal: Principal, street_id: str, district_id: str | None) -> bool:
    return street_id in principal.streets or can_see_district(principal, district_id)


def can_see_district(principal: Principal, district_id: str | None) -> bool:
    return district_id is not None and district_id in principal.districts


def visible_stations(principal: Principal, station_ids: Iterable[str],
                     org: OrgLookup) -> list[str]:
    """The given stations the principal may see, in the given order (for list queries)."""
    return [s for s in station_ids if can_see_station(principal, s, org)]


def require_station(principal: Principal, station_id: str | None, org: OrgLookup,
                    not_found: ApiError | None = None) -> None:
    """NotFound (404) unless the principal's scopes cover the station."""
    if not can_see_station(principal, station_id, org):
        raise not_found or NotFound()


def visible(record: R | None, principal: Principal, org: OrgLookup,
            not_found: ApiError | None = None, station_key: str = "station_id") -> R:
    """The record if it exists and its station is in scope; else the same 404 for both."""
    if record is None or not can_see_station(principal, record.get(station_key), org):
        raise not_found or NotFound()
    return record
