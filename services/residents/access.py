"""Who sees what in the residents service: the organisation tree as the scope checks of
shared.security.scope need it, the tree cut to a caller's scope, and the 404s that
answer for anything unknown or outside it (the same body both ways). Pure.
"""
from __future__ import annotations

import re

from shared.errors import NotFound
from shared.security import scope
from shared.security.principal import Principal

from services.residents.cards import Schedule
from services.residents.org import OrgTree

# What an id of ours can look like; anything else is unknown without asking the store.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


def well_formed(node_or_record_id: str | None) -> bool:
    return bool(node_or_record_id) and bool(_ID.match(node_or_record_id))


def org_lookup(tree: OrgTree) -> scope.OrgLookup:
    """station_id -> (street_id, district_id), for scope.can_see_station."""
    places = {}
    for station in tree.nodes["station"].values():
        street = tree.get("street", station.parent_id)
        places[station.id] = (station.parent_id, street.parent_id if street else None)
    return scope.org_from(places)


def stations_in_scope(tree: OrgTree, who: Principal) -> list[str]:
    lookup = org_lookup(tree)
    return sorted(s for s in tree.nodes["station"] if scope.can_see_station(who, s, lookup))


def can_see_station(tree: OrgTree, who: Principal, station_id: str | None) -> bool:
    return scope.can_see_station(who, station_id, org_lookup(tree))


def can_see_street(tree: OrgTree, who: Principal, street_id: str) -> bool:
    street = tree.get("street", street_id)
    return street is not None and scope.can_see_street(who, street.id, street.parent_id)


def can_see_district(tree: OrgTree, who: Principal, district_id: str) -> bool:
    return tree.get("district", district_id) is not None and scope.can_see_district(who, district_id)


def can_see_community(tree: OrgTree, who: Principal, community_id: str) -> bool:
    return can_see_station(tree, who, tree.station_of(community_id))


def tree_for(tree: OrgTree, who: Principal, default: Schedule) -> dict:
    """GET /org for this caller: the stations they see, with the streets and districts
    above them (a street or district scope shows all of it)."""
    districts = []
    for district in tree.describe(default)["districts"]:
        whole_district = district["id"] in who.districts
        streets = []
        for street in district["streets"]:
            whole_street = whole_district or street["id"] in who.streets
            stations = [s for s in street["stations"] if whole_street or s["id"] in who.stations]
            if whole_street or stations:
                streets.append({**street, "stations": stations})
        if whole_district or streets:
            districts.append({**district, "streets": streets})
    return {"districts": districts}


# -- the 404s: one body for unknown and for outside the caller's scope --------------------

def resident_not_found() -> NotFound:
    return NotFound("Unknown resident", "居民不存在", code="resident_not_found")


def need_not_found() -> NotFound:
    return NotFound("Unknown need", "需求不存在", code="need_not_found")


def transfer_not_found() -> NotFound:
    return NotFound("Unknown transfer", "转移记录不存在", code="transfer_not_found")


def node_not_found(kind: str) -> NotFound:
    labels = {"district": "区", "street": "街道", "station": "社工站", "community": "社区"}
    return NotFound(f"Unknown {kind}", f"{labels[kind]}不存在", code=f"{kind}_not_found")
