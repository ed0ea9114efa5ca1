"""Read models of activities, in its own database beside its events.

The own tables are folds of the service's own events (APPLIERS), written in the
transaction that appends them and rebuildable from zero. The `known_*` tables are the
local picture of the residents service (ids, stations, communities, the organisation
tree: no personal data), kept from its events in the inbox transaction (RESIDENT_APPLIERS)
and rebuilt by feeding those events again. Times are canonical UTC text; hours are
kept in hundredths (centihours) so sums are exact.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from shared.events import Recorded, iso
from shared.kit.projections import Projection
from shared.kit.scope import OrgTree
from shared.security.erasure import KeyVault

from services.activities import privacy

metadata = sa.MetaData()


def _id(name: str, **kw) -> Column:
    return Column(name, String(100), **kw)


def _time(name: str, **kw) -> Column:
    return Column(name, String(32), **kw)


def _day(name: str, **kw) -> Column:
    return Column(name, String(10), **kw)


# -- what the residents' events tell ----------------------------------------------------

known_residents = Table(
    "known_residents", metadata,
    _id("resident_id", primary_key=True),
    _id("station_id", nullable=True, index=True),
    _id("community_id", nullable=True),
    Column("status", String(12), nullable=True),
)
known_stations = Table("known_stations", metadata, _id("station_id", primary_key=True),
                       _id("street_id", nullable=False))
known_streets = Table("known_streets", metadata, _id("street_id", primary_key=True),
                      _id("district_id", nullable=False))
known_communities = Table("known_communities", metadata,
                          _id("community_id", primary_key=True),
                          _id("station_id", nullable=False, index=True))
# Communities' names (CommunityAdded), so a sheet may name its 社区 (the roster imports).
# A table of its own (not a column of known_communities): created where it is missing,
# filled by the inbox from then on, and by a resync for communities added before.
known_community_names = Table("known_community_names", metadata,
                              _id("community_id", primary_key=True),
                              _id("station_id", nullable=False, index=True),
                              Column("name", Text, nullable=False))
FOREIGN_TABLES = (known_residents, known_stations, known_streets, known_communities,
                  known_community_names)

# -- the service's own ---------------------------------------------------------------

station_areas = Table(
    "station_areas", metadata,
    _id("station_id", primary_key=True), _id("area", primary_key=True),
    Column("name", Text, nullable=False), Column("name_zh", Text, nullable=False),
)

projects = Table(
    "projects", metadata,
    _id("project_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    Column("name", Text, nullable=False),
    _id("area", nullable=False),
    _id("owner", nullable=False),
    _day("starts_on", nullable=False),
    _day("ends_on", nullable=True),
)

activities = Table(
    "activities", metadata,
    _id("activity_id", primary_key=True),
    Column("kind", String(10), nullable=False),
    _id("station_id", nullable=False),
    _id("community_id", nullable=False),
    _id("area", nullable=False),
    Column("title", Text, nullable=False),
    _id("project_id", nullable=True, index=True),
    Column("project_name", Text, nullable=True),
    Column("venue", Text, nullable=True),
    Column("partners", Text, nullable=False, default=""),   # one per line
    Column("forces", String(200), nullable=False, default=""),  # comma-separated
    Column("state", String(10), nullable=False),
    _time("first_session_at", nullable=True),
    Column("sessions", Integer, nullable=False, default=0),
    Column("person_times", Integer, nullable=False, default=0),
    Column("feedback_count", Integer, nullable=False, default=0),
    Column("satisfaction_total", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False),
    Index("ix_activities_station_time", "station_id", "first_session_at"),
)

sessions = Table(
    "activity_sessions", metadata,
    _id("activity_id", primary_key=True), _id("session_id", primary_key=True),
    _id("station_id", nullable=False),
    _time("session_at", nullable=False),
    Column("venue", Text, nullable=True),
    Column("topic", Text, nullable=True),
    Column("held", Boolean, nullable=False, default=False),
    Column("residents", Integer, nullable=False, default=0),
    Column("headcount", Integer, nullable=False, default=0),
)

attendance = Table(
    "attendance", metadata,
    _id("activity_id", primary_key=True), _id("session_id", primary_key=True),
    _id("resident_id", primary_key=True),
    _id("station_id", nullable=False),
    _time("session_at", nullable=False),
    Index("ix_attendance_resident", "resident_id", "session_at"),
)

organizations = Table(
    "organizations", metadata,
    _id("organization_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    _id("community_id", nullable=False),
    Column("name", Text, nullable=False),
    _id("type", nullable=False),
    Column("leader", Text, nullable=True),
    Column("state", String(12), nullable=False),
    _day("incubated_on", nullable=False),
    _day("filed_on", nullable=True),
    _day("registered_on", nullable=True),
    _day("dormant_on", nullable=True),
    _day("dissolved_on", nullable=True),
    Column("members", Integer, nullable=False, default=0),
    Column("party_members", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False),
)

members = Table(
    "members", metadata,
    _id("member_id", primary_key=True),
    _id("organization_id", nullable=False, index=True),
    _id("station_id", nullable=False),
    Column("name", Text, nullable=False),
    Column("party_member", Boolean, nullable=False),
    _id("resident_id", nullable=True, index=True),
    _day("joined_on", nullable=False),
    _day("left_on", nullable=True),
)

volunteers = Table(
    "volunteers", metadata,
    _id("volunteer_id", primary_key=True),
    _id("station_id", nullable=False, index=True),
    _id("community_id", nullable=True),
    Column("name", Text, nullable=False),
    Column("phone", Text, nullable=True),
    _id("resident_id", nullable=True),
    _id("organization_id", nullable=True),
    _day("registered_on", nullable=False),
    Column("confirmed_centihours", Integer, nullable=False, default=0),
    Column("pending_centihours", Integer, nullable=False, default=0),
)

volunteer_logs = Table(
    "volunteer_logs", metadata,
    _id("log_id", primary_key=True),
    _id("volunteer_id", nullable=False, index=True),
    _id("station_id", nullable=False),
    _day("served_on", nullable=False),
    Column("centihours", Integer, nullable=False),
    _id("activity_id", nullable=True),
    _id("organization_id", nullable=True),
    Column("self_reported", Boolean, nullable=False),
    Column("status", String(10), nullable=False),  # pending | confirmed | rejected
    _id("logged_by", nullable=False),
    _id("settled_by", nullable=True),
)

OWN_TABLES = (station_areas, projects, activities, sessions, attendance, organizations,
              members, volunteers, volunteer_logs)


def canonical(text: str | None) -> str | None:
    return iso(datetime.fromisoformat(text)) if text else None


def centihours(hours: str) -> int:
    return int(Decimal(hours) * 100)


def hours_text(centi: int) -> str:
    return f"{Decimal(centi) / 100:.2f}"


def _insert(table: Table, **values):
    return lambda conn, e: conn.execute(table.insert().values(**values_of(e, values)))


def values_of(event: Recorded, spec: dict) -> dict:
    return {column: source(event.payload) if callable(source) else event.payload.get(source)
            for column, source in spec.items()}


def _update(table: Table, key: str, conn, e: Recorded, **values) -> None:
    conn.execute(table.update().where(table.c[key] == e.payload[key]).values(**values))


# -- activities -----------------------------------------------------------------------

def _activity(conn, e: Recorded, **values) -> None:
    _update(activities, "activity_id", conn, e, version=e.stream_version, **values)


def _planned(kind: str):
    def apply_(conn, e: Recorded) -> None:
        p = e.payload
        conn.execute(activities.insert().values(
            activity_id=p["activity_id"], kind=kind, station_id=p["station_id"],
            community_id=p["community_id"], area=p["area"], title=p["title"],
            project_id=p.get("project_id"), project_name=p.get("project_name"),
            venue=p.get("venue"), partners="\n".join(p.get("partners") or ()),
            forces=",".join(p.get("forces") or ()), state="planned",
            first_session_at=canonical(p.get("session_at")), sessions=0, person_times=0,
            feedback_count=0, satisfaction_total=0, version=e.stream_version))
        if kind == "activity":
            _session_planned(conn, e, session_id=p["activity_id"])
    return apply_


def _session_planned(conn, e: Recorded, session_id: str | None = None) -> None:
    p = e.payload
    conn.execute(sessions.insert().values(
        activity_id=p["activity_id"], session_id=session_id or p["session_id"],
        station_id=p["station_id"], session_at=canonical(p["session_at"]),
        venue=p.get("venue"), topic=p.get("topic"), held=False, residents=0, headcount=0))
    first = sa.func.coalesce(activities.c.first_session_at, canonical(p["session_at"]))
    earliest = sa.case((first < canonical(p["session_at"]), first),
                       else_=canonical(p["session_at"]))
    _activity(conn, e, sessions=activities.c.sessions + 1, first_session_at=earliest)


def _session(conn, e: Recorded, **values) -> None:
    p = e.payload
    conn.execute(sessions.update().where(sessions.c.activity_id == p["activity_id"])
                 .where(sessions.c.session_id == p["session_id"]).values(**values))


def _held(conn, e: Recorded) -> None:
    _session(conn, e, held=True)
    state = sa.case((activities.c.state == "planned", "held"), else_=activities.c.state)
    _activity(conn, e, state=state)


def _attended(conn, e: Recorded) -> None:
    p = e.payload
    ids = list(dict.fromkeys(p["resident_ids"]))
    for resident_id in ids:
        conn.execute(attendance.insert().values(
            activity_id=p["activity_id"], session_id=p["session_id"], resident_id=resident_id,
            station_id=p["station_id"], session_at=canonical(p["session_at"])))
    _session(conn, e, residents=sessions.c.residents + len(ids),
             headcount=sessions.c.headcount + p["headcount"])
    _activity(conn, e, person_times=activities.c.person_times + len(ids) + p["headcount"])


def _feedback(conn, e: Recorded) -> None:
    _activity(conn, e, feedback_count=activities.c.feedback_count + 1,
              satisfaction_total=activities.c.satisfaction_total + e.payload["satisfaction"])


# -- organizations --------------------------------------------------------------------

def _organization(conn, e: Recorded, **values) -> None:
    _update(organizations, "organization_id", conn, e, version=e.stream_version, **values)


def _incubated(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(organizations.insert().values(
        organization_id=p["organization_id"], station_id=p["station_id"],
        community_id=p["community_id"], name=p["name"], type=p["type"],
        leader=p.get("leader"), state="incubating", incubated_on=p["incubated_on"],
        members=0, party_members=0, version=e.stream_version))


def _stepped(state: str, column: str | None):
    def apply_(conn, e: Recorded) -> None:
        new_state = e.payload["state"] if state == "revived" else state
        dated = {column: e.payload["on"]} if column else {}
        _organization(conn, e, state=new_state, **dated)
    return apply_


def _member_joined(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(members.insert().values(
        member_id=p["member_id"], organization_id=p["organization_id"],
        station_id=p["station_id"], name=p["name"], party_member=p["party_member"],
        resident_id=p.get("resident_id"), joined_on=p["joined_on"]))
    _organization(conn, e, members=organizations.c.members + 1,
                  party_members=organizations.c.party_members + int(p["party_member"]))


def _member_left(conn, e: Recorded) -> None:
    p = e.payload
    party = conn.execute(sa.select(members.c.party_member)
                         .where(members.c.member_id == p["member_id"])).scalar()
    _update(members, "member_id", conn, e, left_on=p["left_on"])
    _organization(conn, e, members=organizations.c.members - 1,
                  party_members=organizations.c.party_members - int(bool(party)))


# -- volunteers -----------------------------------------------------------------------

def _logged(conn, e: Recorded) -> None:
    p = e.payload
    centi = centihours(p["hours"])
    conn.execute(volunteer_logs.insert().values(
        log_id=p["log_id"], volunteer_id=p["volunteer_id"], station_id=p["station_id"],
        served_on=p["served_on"], centihours=centi, activity_id=p.get("activity_id"),
        organization_id=p.get("organization_id"), self_reported=p["self_reported"],
        status="pending", logged_by=p["logged_by"]))
    _update(volunteers, "volunteer_id", conn, e,
            pending_centihours=volunteers.c.pending_centihours + centi)


def _settled(status: str, by: str):
    def apply_(conn, e: Recorded) -> None:
        p = e.payload
        centi = conn.execute(sa.select(volunteer_logs.c.centihours)
                             .where(volunteer_logs.c.log_id == p["log_id"])).scalar() or 0
        _update(volunteer_logs, "log_id", conn, e, status=status, settled_by=p[by])
        confirmed = volunteers.c.confirmed_centihours + (centi if status == "confirmed" else 0)
        _update(volunteers, "volunteer_id", conn, e, confirmed_centihours=confirmed,
                pending_centihours=volunteers.c.pending_centihours - centi)
    return apply_


APPLIERS: dict[str, Callable[[sa.Connection, Recorded], None]] = {
    "ServiceAreaAdded": _insert(station_areas, station_id="station_id", area="area",
                                name="name", name_zh="name_zh"),
    "ProjectCreated": _insert(projects, project_id="project_id", station_id="station_id",
                              name="name", area="area", owner="owner", starts_on="starts_on",
                              ends_on="ends_on"),
    "ActivityPlanned": _planned("activity"),
    "GroupCreated": _planned("group"),
    "GroupSessionPlanned": _session_planned,
    "ActivityHeld": _held,
    "ActivityCancelled": lambda conn, e: _activity(conn, e, state="cancelled"),
    "AttendanceRecorded": _attended,
    "FeedbackGiven": _feedback,
    "ActivityReviewed": lambda conn, e: _activity(conn, e, state="reviewed"),
    "OrganizationIncubated": _incubated,
    "OrganizationFiled": _stepped("filed", "filed_on"),
    "OrganizationRegistered": _stepped("registered", "registered_on"),
    "OrganizationDormant": _stepped("dormant", "dormant_on"),
    "OrganizationRevived": _stepped("revived", None),
    "OrganizationDissolved": _stepped("dissolved", "dissolved_on"),
    "MemberJoined": _member_joined,
    "MemberLeft": _member_left,
    "VolunteerRegistered": _insert(
        volunteers, volunteer_id="volunteer_id", station_id="station_id",
        community_id="community_id", name="name", phone="phone", resident_id="resident_id",
        organization_id="organization_id", registered_on="registered_on",
        confirmed_centihours=lambda p: 0, pending_centihours=lambda p: 0),
    "VolunteerServiceLogged": _logged,
    "VolunteerServiceConfirmed": _settled("confirmed", "confirmed_by"),
    "VolunteerServiceRejected": _settled("rejected", "rejected_by"),
}


# -- the residents' events ------------------------------------------------------------

def _upsert(conn, table: Table, key: str, values: dict) -> None:
    updated = conn.execute(table.update().where(table.c[key] == values[key])
                           .values(**values)).rowcount
    if not updated:
        conn.execute(table.insert().values(**values))


def apply_resident(conn: sa.Connection, event: Recorded) -> None:
    """Ids, station, community and status of a resident (ResidentRegistered, ResidentMoved,
    ResidentTransferred, ResidentStatusChanged: `station_id` is the station after)."""
    p = event.payload
    values = {k: p[k] for k in ("resident_id", "station_id", "community_id", "status")
              if p.get(k)}
    if "resident_id" in values and len(values) > 1:
        _upsert(conn, known_residents, "resident_id", values)


_tree = OrgTree(known_stations, known_streets)
org_place, org_map = _tree.place, _tree.map  # a station's (street, district); all of them

ORG_EVENTS = {"StationAdded": (known_stations, "station_id", "street_id"),
              "StreetAdded": (known_streets, "street_id", "district_id"),
              "CommunityAdded": (known_communities, "community_id", "station_id")}


def apply_org(conn: sa.Connection, event: Recorded) -> None:
    table, key, parent = ORG_EVENTS[event.type]
    p = event.payload
    if p.get(key) and p.get(parent):
        _upsert(conn, table, key, {key: p[key], parent: p[parent]})
        if event.type == "CommunityAdded" and p.get("name"):
            _upsert(conn, known_community_names, key,
                    {key: p[key], parent: p[parent], "name": p["name"]})


# What activities folds from the residents' events: emptied and folded again on a resync
# (shared.inbox_sync), with RESIDENT_APPLIERS (a resident's erasure is not made twice).
FROM_RESIDENTS = (known_residents, known_stations, known_streets, known_communities,
                  known_community_names)

RESIDENT_APPLIERS: dict[str, Callable[[sa.Connection, Recorded], None]] = {
    **{name: apply_org for name in ORG_EVENTS},
    **{name: apply_resident for name in ("ResidentRegistered", "ResidentMoved",
                                         "ResidentTransferred", "ResidentStatusChanged")},
}


# The service's own events folded into OWN_TABLES (rebuilt from them when VERSION
# changes); the known_* tables above are fed by the inbox from the residents' events.
VERSION = 1


def opened(store):
    """Stored events with the personal fields opened, as the appliers read them (the
    vault is made before any transaction: it may create its table)."""
    vault = KeyVault(store)
    return lambda conn, events: privacy.unseal(vault, events, conn)


projection = Projection("activities", metadata, APPLIERS, tables=OWN_TABLES, version=VERSION,
                        not_applying={"KeyDestroyed"}, open=opened)
apply, apply_all, rebuild = projection.apply, projection.apply_all, projection.rebuild
