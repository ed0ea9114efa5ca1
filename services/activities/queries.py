"""Reads of activities: list pages and single views from the read models, and the
counts at a date folded from the events themselves (services.activities.counts).

Lists take `stations` (the caller's, from the edge) and never show another station's
rows; phones are masked by the edge. Pure SQL reads: nothing here writes.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Collection

import sqlalchemy as sa

from shared.kit.errors import Invalid, LearnedFromEvents, Missing
from shared.kit.paging import Page, page_of, within
from shared.kit.scope import Things, org_of, plausible_id
from shared.security.principal import Principal

from services.activities import counts as K
from services.activities import projections as p
from services.activities.activity import ActivityNotFound
from services.activities.events import STANDARD_AREAS
from services.activities.organization import OrganizationNotFound
from services.activities.volunteer import VolunteerNotFound

STANDARD_AREA_NAMES = {"assistance": ("Social assistance", "社会救助"),
                       "elderly": ("Elderly care", "养老服务"),
                       "children": ("Children", "儿童关爱"),
                       "governance": ("Community governance", "社区治理")}
COUNTED = frozenset({"ActivityPlanned", "GroupCreated", "ActivityHeld", "AttendanceRecorded",
                     "OrganizationIncubated", "OrganizationFiled", "OrganizationRegistered",
                     "OrganizationDormant", "OrganizationRevived", "OrganizationDissolved",
                     "MemberJoined", "MemberLeft"})
HOURS = frozenset({"VolunteerServiceConfirmed"})


def _page(filters: dict) -> Page:
    return Page(filters.pop("page", 1), filters.pop("page_size", 50))


def _where(query, table: sa.Table, filters: dict):
    for column, value in filters.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    return query


def _listing(conn, table: sa.Table, stations: Collection[str] | None, filters: dict,
             order_by: tuple, item) -> dict:
    """A page of the table's rows of these stations matching the filters (column=value)."""
    page = _page(filters)
    query = _where(within(sa.select(table), table.c.station_id, stations), table, filters)
    return page_of(conn, query, order_by, page, item)


def _one(conn, table: sa.Table, key: str, value: str, item) -> dict | None:
    row = conn.execute(sa.select(table).where(table.c[key] == value)).first()
    return item(dict(row._mapping)) if row else None


# -- areas and projects ---------------------------------------------------------------

def areas_of(conn, station_id: str) -> frozenset[str]:
    added = conn.execute(sa.select(p.station_areas.c.area)
                         .where(p.station_areas.c.station_id == station_id)).scalars()
    return frozenset(STANDARD_AREAS) | frozenset(added)


def list_areas(conn, station_id: str) -> dict:
    items = [{"area": a, "name": en, "name_zh": zh, "standard": True}
             for a, (en, zh) in STANDARD_AREA_NAMES.items()]
    rows = conn.execute(sa.select(p.station_areas).where(p.station_areas.c.station_id ==
                                                         station_id)
                        .order_by(p.station_areas.c.area))
    items += [{"area": r.area, "name": r.name, "name_zh": r.name_zh, "standard": False}
              for r in rows]
    return {"items": items}


def _project(row: dict) -> dict:
    return {"id": row["project_id"], **{k: row[k] for k in (
        "station_id", "name", "area", "owner", "starts_on", "ends_on")}}


def list_projects(conn, stations: Collection[str] | None, **filters) -> dict:
    T = p.projects
    return _listing(conn, T, stations, filters, (T.c.starts_on.desc(), T.c.project_id),
                    _project)


def get_project(conn, project_id: str) -> dict | None:
    return _one(conn, p.projects, "project_id", project_id, _project)


def projects_of(conn, station_id: str) -> dict[str, str]:
    rows = conn.execute(sa.select(p.projects.c.project_id)
                        .where(p.projects.c.station_id == station_id)).scalars()
    return {project_id: station_id for project_id in rows}


def project_named(conn, station_id: str, name: str) -> str | None:
    return conn.execute(sa.select(p.projects.c.project_id)
                        .where(p.projects.c.station_id == station_id)
                        .where(p.projects.c.name == name).limit(1)).scalar()


# -- activities -----------------------------------------------------------------------

def _activity(row: dict) -> dict:
    feedback = row["feedback_count"]
    average = f"{Decimal(row['satisfaction_total']) / feedback:.2f}" if feedback else None
    return {"id": row["activity_id"], **{k: row[k] for k in (
        "kind", "station_id", "community_id", "area", "title", "project_id", "project_name",
        "venue", "state", "sessions", "person_times", "feedback_count", "version")},
        "partners": row["partners"].split("\n") if row["partners"] else [],
        "forces": row["forces"].split(",") if row["forces"] else [],
        "held_at": row["first_session_at"], "satisfaction": average}


def _session(row) -> dict:
    return {"session_id": row.session_id, "session_at": row.session_at, "venue": row.venue,
            "topic": row.topic, "held": row.held, "residents": row.residents,
            "headcount": row.headcount, "person_times": row.residents + row.headcount}


def list_activities(conn, stations: Collection[str] | None, **filters) -> dict:
    T = p.activities
    return _listing(conn, T, stations, filters, (T.c.first_session_at.desc(),
                                                 T.c.activity_id), _activity)


def get_activity(conn, activity_id: str) -> dict | None:
    row = conn.execute(sa.select(p.activities)
                       .where(p.activities.c.activity_id == activity_id)).first()
    if row is None:
        return None
    rows = conn.execute(sa.select(p.sessions).where(p.sessions.c.activity_id == activity_id)
                        .order_by(p.sessions.c.session_at, p.sessions.c.session_id))
    return {**_activity(dict(row._mapping)), "session_list": [_session(r) for r in rows]}


def session_view(conn, activity_id: str, session_id: str) -> dict:
    row = conn.execute(sa.select(p.sessions).where(p.sessions.c.activity_id == activity_id)
                       .where(p.sessions.c.session_id == session_id)).first()
    return _session(row)


def attended_by(conn, stations: Collection[str] | None, resident_id: str, **filters) -> dict:
    """The sessions a resident attended (their history in activities), newest first."""
    page = _page(filters)
    A, T = p.attendance, p.activities
    query = within(sa.select(A.c.activity_id, A.c.session_id, A.c.station_id, A.c.session_at,
                             T.c.title, T.c.area)
                   .join(T, T.c.activity_id == A.c.activity_id)
                   .where(A.c.resident_id == resident_id), A.c.station_id, stations)
    return page_of(conn, query, (A.c.session_at.desc(), A.c.activity_id), page)


# -- organizations and members --------------------------------------------------------

def _organization(row: dict) -> dict:
    return {"id": row["organization_id"], **{k: row[k] for k in (
        "station_id", "community_id", "name", "type", "leader", "state", "incubated_on",
        "filed_on", "registered_on", "dormant_on", "dissolved_on", "members",
        "party_members", "version")}}


def list_organizations(conn, stations: Collection[str] | None, **filters) -> dict:
    T = p.organizations
    return _listing(conn, T, stations, filters, (T.c.incubated_on.desc(),
                                                 T.c.organization_id), _organization)


def get_organization(conn, organization_id: str) -> dict | None:
    return _one(conn, p.organizations, "organization_id", organization_id, _organization)


def _member(row: dict) -> dict:
    return {"id": row["member_id"], **{k: row[k] for k in (
        "organization_id", "name", "party_member", "resident_id", "joined_on", "left_on")}}


def list_members(conn, organization_id: str, active: bool | None = None, **filters) -> dict:
    page = _page(filters)
    M = p.members
    query = sa.select(M).where(M.c.organization_id == organization_id)
    if active is not None:
        query = query.where(M.c.left_on.is_(None) if active else M.c.left_on.isnot(None))
    return page_of(conn, query, (M.c.joined_on, M.c.member_id), page, _member)


# -- volunteers -----------------------------------------------------------------------

def _volunteer(row: dict) -> dict:
    return {"id": row["volunteer_id"], **{k: row[k] for k in (
        "station_id", "community_id", "name", "phone", "resident_id", "organization_id",
        "registered_on")},
        "confirmed_hours": p.hours_text(row["confirmed_centihours"]),
        "pending_hours": p.hours_text(row["pending_centihours"])}


def list_volunteers(conn, stations: Collection[str] | None, **filters) -> dict:
    T = p.volunteers
    return _listing(conn, T, stations, filters, (T.c.registered_on.desc(),
                                                 T.c.volunteer_id), _volunteer)


def get_volunteer(conn, volunteer_id: str) -> dict | None:
    return _one(conn, p.volunteers, "volunteer_id", volunteer_id, _volunteer)


def _log(row: dict) -> dict:
    return {"id": row["log_id"], **{k: row[k] for k in (
        "volunteer_id", "served_on", "activity_id", "organization_id", "self_reported",
        "status")}, "hours": p.hours_text(row["centihours"])}


def list_logs(conn, volunteer_id: str, **filters) -> dict:
    page = _page(filters)
    L = p.volunteer_logs
    query = _where(sa.select(L).where(L.c.volunteer_id == volunteer_id), L, filters)
    return page_of(conn, query, (L.c.served_on.desc(), L.c.log_id), page, _log)


# -- counts at a date, folded from the events -----------------------------------------

def _events(store, types: frozenset[str], stations: Collection[str] | None) -> list:
    """The service's events of these types, of these stations (None: all), every one
    committed before the request among them (read your writes).

    `read_all` numbers new events only if no other sequencer is at work; on PostgreSQL,
    while the relay numbers, an event committed a moment ago has no position yet and a
    plain `read_all` would leave it out (hours just logged answered as none). The
    committed head waits for that sequencer and numbers them first."""
    wanted, after, found = None if stations is None else set(stations), 0, []
    head = store.committed_head()
    while after < head and (batch := store.read_all(after, 5000)):
        found += [e for e in batch if e.type in types
                  and (wanted is None or e.payload.get("station_id") in wanted)]
        after = batch[-1].position
    return found


def counts(store, stations: Collection[str] | None, as_of: date | None,
           community_id: str | None = None) -> dict:
    """Activities, sessions, person-times, organizations, members and party members at
    the end of day `as_of`, folded from the events (hand-checkable: counts.py)."""
    events = _events(store, COUNTED, stations)
    per_place = {place: n for place, n in K.counts_as_of(events, as_of).items()
                 if community_id is None or place[1] == community_id}
    by_state = K.organizations_by_state(
        [e for e in events if community_id is None
         or e.payload.get("community_id") in (None, community_id)], as_of)
    return {"as_of": as_of.isoformat() if as_of else None, **K.total(per_place).to_dict(),
            "organizations_by_state": by_state,
            "by_community": [{"station_id": s, "community_id": c, **n.to_dict()}
                             for (s, c), n in sorted(per_place.items())]}


def hours(store, stations: Collection[str] | None, as_of: date | None, by: str,
          community_id: str | None = None) -> dict:
    """Confirmed volunteer hours per volunteer, organization, activity or month; with
    `community_id`, of the volunteers registered in that community only."""
    events = _events(store, HOURS, stations)
    if community_id is not None:
        with store.engine.connect() as conn:
            of_community = volunteers_of_community(conn, community_id)
        events = [e for e in events if e.payload["volunteer_id"] in of_community]
    summed = K.volunteer_hours(events, by=by, as_of=as_of)
    items = [{"key": str(k), "hours": f"{v:.2f}"} for k, v in sorted(summed.items(),
                                                                      key=lambda kv: str(kv[0]))]
    return {"as_of": as_of.isoformat() if as_of else None, "by": by, "items": items,
            "total": f"{sum(summed.values(), Decimal(0)):.2f}"}


# -- who sees what --------------------------------------------------------------------

class StationNotFound(Missing, LearnedFromEvents):
    def __init__(self, station_id: str | None):
        super().__init__(f"Station {station_id} not found", f"未找到社工站 {station_id}")


class ResidentNotFound(Missing, LearnedFromEvents):
    def __init__(self, resident_id: str | None):
        super().__init__(f"Resident {resident_id} not found", f"未找到居民 {resident_id}")


class ProjectNotFound(Missing):
    def __init__(self, project_id: str | None):
        super().__init__(f"Project {project_id} not found", f"未找到项目 {project_id}")


class CommunityNotOfStation(Invalid, LearnedFromEvents):
    def __init__(self, community_id: str):
        super().__init__(f"Community {community_id} is not a community of this station",
                         f"社区 {community_id} 不属于本社工站",
                         {"community_id": ["Not of this station / 不属于本站"]})


class OfAnotherStation(Invalid):
    def __init__(self, field: str, thing_id: str):
        super().__init__(f"{thing_id} belongs to another station", f"{thing_id} 属于其他社工站",
                         {field: ["Of another station / 属于其他社工站"]})


org = org_of(p.org_place)   # station -> (street, district), when a scope needs it


THINGS = Things({
    "resident": (p.known_residents, "resident_id", ResidentNotFound),
    "project": (p.projects, "project_id", ProjectNotFound),
    "activity": (p.activities, "activity_id", ActivityNotFound),
    "organization": (p.organizations, "organization_id", OrganizationNotFound),
    "volunteer": (p.volunteers, "volunteer_id", VolunteerNotFound),
}, org=org, station_missing=StationNotFound, org_map=p.org_map)
require, require_station = THINGS.require, THINGS.require_station
stations_in_scope = THINGS.stations_in_scope


def volunteers_of_community(conn: sa.Connection, community_id: str) -> set[str]:
    V = p.volunteers
    return set(conn.execute(sa.select(V.c.volunteer_id).where(V.c.community_id == community_id))
               .scalars())


def require_community_in(conn: sa.Connection, stations: Collection[str] | None,
                         community_id: str | None) -> None:
    """A filter naming a community: one of these stations' (None: any known one), else
    400 naming the field (an unknown community is not silently every community)."""
    if community_id is None:
        return
    C = p.known_communities
    found = conn.execute(sa.select(C.c.station_id).where(C.c.community_id == community_id)
                         ).scalar() if plausible_id(community_id) else None
    if found is None or (stations is not None and found not in stations):
        raise CommunityNotOfStation(community_id)


def require_community(conn: sa.Connection, station_id: str, community_id: str | None) -> None:
    """A community of the station, as the residents' events named it."""
    C = p.known_communities
    found = conn.execute(sa.select(C.c.station_id).where(C.c.community_id == community_id)
                         ).scalar() if plausible_id(community_id) else None
    if community_id is not None and found != station_id:
        raise CommunityNotOfStation(community_id)


def require_same_station(conn, who: Principal, kind: str, thing_id: str | None,
                         station_id: str, field: str) -> None:
    """A thing a body refers to: in the caller's scope (else its 404) and of the station
    the command is about (else 400)."""
    if thing_id is not None and require(conn, who, kind, thing_id) != station_id:
        raise OfAnotherStation(field, thing_id)
