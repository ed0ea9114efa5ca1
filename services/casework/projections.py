"""Read models of casework, in its own database beside its events.

Every table except `known_residents` is a fold of casework's own events (`apply`),
written in the transaction that appends them and rebuildable with `rebuild(store)`.
`known_residents` is the local picture of the residents service (ids, station, card:
no personal data), kept from its events by `apply_resident` in the inbox transaction;
`known_stations` and `known_streets` are its organisation tree (station -> street ->
district, `apply_org`), which the scope checks of street and district users need. Both
are rebuilt by feeding the residents' events again (`rebuild_residents`).
Times are canonical UTC text (shared.events.iso), so they compare as text.
The appliers read events with their text opened (services.casework.privacy); the only
text a row keeps, approval comments, reads "[erased]" after the resident's erasure.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from shared.events import Recorded, iso
from shared.kit.projections import Projection
from shared.kit.scope import OrgTree
from shared.security.erasure import ERASED, KEY_DESTROYED

from services.casework import case as case_rules
from services.casework import privacy

metadata = sa.MetaData()


def _time(name: str, **kw) -> Column:
    return Column(name, String(32), **kw)


known_residents = Table(
    "known_residents", metadata,
    Column("resident_id", String(100), primary_key=True),
    Column("station_id", String(100), nullable=True),
    Column("community_id", String(100), nullable=True),
    Column("card", String(8), nullable=True),
    _time("card_since", nullable=True),
    Column("status", String(12), nullable=True),  # active | moved_out | deceased
    Index("ix_known_residents_station_card", "station_id", "card"),
)

known_stations = Table(
    "known_stations", metadata,
    Column("station_id", String(100), primary_key=True),
    Column("street_id", String(100), nullable=False),
)

known_streets = Table(
    "known_streets", metadata,
    Column("street_id", String(100), primary_key=True),
    Column("district_id", String(100), nullable=False),
)

cases = Table(
    "cases", metadata,
    Column("case_id", String(100), primary_key=True),
    Column("resident_id", String(100), nullable=False, index=True),
    Column("station_id", String(100), nullable=False, index=True),
    Column("domain", String(100), nullable=False),
    Column("worker", String(100), nullable=False, index=True),
    Column("state", String(20), nullable=False),
    _time("opened_at", nullable=False),
    _time("closed_at", nullable=True),
    Column("outcome", String(20), nullable=True),
    Column("minutes_spent", Integer, nullable=False, default=0),
    Column("pending_request_id", String(100), nullable=True),
    Column("version", Integer, nullable=False),
)

approvals = Table(
    "case_approvals", metadata,
    Column("request_id", String(100), primary_key=True),
    Column("case_id", String(100), nullable=False, index=True),
    Column("station_id", String(100), nullable=True, index=True),
    Column("subject", String(10), nullable=False),
    Column("requested_by", String(100), nullable=False),
    _time("requested_at", nullable=False),
    Column("status", String(10), nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("comments", Text, nullable=True),
)

service_records = Table(
    "service_records", metadata,
    Column("record_id", String(100), primary_key=True),
    Column("case_id", String(100), nullable=False, index=True),
    Column("station_id", String(100), nullable=True),
    Column("worker", String(100), nullable=False),
    _time("served_at", nullable=False),
    Column("minutes", Integer, nullable=False),
)

visits = Table(
    "visits", metadata,
    Column("visit_id", String(100), primary_key=True),
    Column("resident_id", String(100), nullable=False, index=True),
    Column("case_id", String(100), nullable=True, index=True),
    Column("station_id", String(100), nullable=False),
    Column("method", String(20), nullable=False),
    _time("visited_at", nullable=False),
    Column("worker", String(100), nullable=False),
    Column("campaign_id", String(100), nullable=True),
    Index("ix_visits_station_time", "station_id", "visited_at"),
)

referrals = Table(
    "referrals", metadata,
    Column("referral_id", String(100), primary_key=True),
    Column("case_id", String(100), nullable=False, index=True),
    Column("resident_id", String(100), nullable=False),
    Column("station_id", String(100), nullable=False, index=True),
    Column("agency", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("made_on", String(10), nullable=False),
    Column("due_date", String(10), nullable=False),
    Column("completion_due_date", String(10), nullable=True),
    Column("referred_by", String(100), nullable=False),
)

followups = Table(
    "followups", metadata,
    Column("followup_id", String(100), primary_key=True),
    Column("resident_id", String(100), nullable=False, index=True),
    Column("station_id", String(100), nullable=False),
    Column("card", String(8), nullable=False),
    Column("kind", String(20), nullable=False),
    _time("window_start", nullable=False),
    _time("due_at", nullable=False),
    Column("worker", String(100), nullable=True, index=True),
    Column("status", String(10), nullable=False),  # pending | done | cancelled
    Column("overdue", Boolean, nullable=False, default=False),
    _time("done_at", nullable=True),
    Column("visit_id", String(100), nullable=True),
    Column("done_by", String(100), nullable=True),
    Column("late", Boolean, nullable=True),
    Index("ix_followups_station_status_due", "station_id", "status", "due_at"),
)

campaigns = Table(
    "campaigns", metadata,
    Column("campaign_id", String(100), primary_key=True),
    Column("station_id", String(100), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("starts_on", String(10), nullable=False),
    Column("ends_on", String(10), nullable=False),
    Column("cards", String(40), nullable=False),  # comma-separated
)

OWN_TABLES = (cases, approvals, service_records, visits, referrals, followups, campaigns)


def canonical(text: str | None) -> str | None:
    return iso(datetime.fromisoformat(text)) if text else None


# -- cases ----------------------------------------------------------------------------

def _case(conn, e: Recorded, **values) -> None:
    conn.execute(cases.update().where(cases.c.case_id == e.payload["case_id"])
                 .values(version=e.stream_version, **values))


def _case_opened(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(cases.insert().values(
        case_id=p["case_id"], resident_id=p["resident_id"], station_id=p["station_id"],
        domain=p["domain"], worker=p["worker"], state=case_rules.OPEN,
        opened_at=canonical(p["opened_at"]), minutes_spent=0, version=e.stream_version))


def _approval_requested(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(approvals.insert().values(
        request_id=p["request_id"], case_id=p["case_id"], station_id=e.station_id,
        subject=p["subject"], requested_by=p["requested_by"],
        requested_at=canonical(p["requested_at"]), status="pending"))
    state = case_rules.PLAN_PENDING if p["subject"] == "plan" else case_rules.CLOSURE_PENDING
    _case(conn, e, state=state, pending_request_id=p["request_id"])


def _decided(conn, e: Recorded, status: str, by: str, **case_values) -> None:
    p = e.payload
    conn.execute(approvals.update().where(approvals.c.request_id == p["request_id"])
                 .values(status=status, decided_by=by, comments=p.get("comments")))
    _case(conn, e, pending_request_id=None, **case_values)


def _approval_granted(conn, e: Recorded) -> None:
    extra = {"state": case_rules.IN_SERVICE} if e.payload["subject"] == "plan" else {}
    _decided(conn, e, "approved", e.payload["approved_by"], **extra)


def _approval_sent_back(conn, e: Recorded) -> None:
    state = case_rules.PLANNED if e.payload["subject"] == "plan" else case_rules.IN_SERVICE
    _decided(conn, e, "sent_back", e.payload["reviewed_by"], state=state)


def _service_recorded(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(service_records.insert().values(
        record_id=p["record_id"], case_id=p["case_id"], station_id=e.station_id,
        worker=p["worker"], served_at=canonical(p["served_at"]), minutes=p["minutes"]))
    _case(conn, e, minutes_spent=cases.c.minutes_spent + p["minutes"])


# -- referrals, visits, follow-ups, campaigns -----------------------------------------

def _referral_made(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(referrals.insert().values(
        referral_id=p["referral_id"], case_id=p["case_id"], resident_id=p["resident_id"],
        station_id=p["station_id"], agency=p["agency"], status="made", made_on=p["made_on"],
        due_date=p["due_date"], referred_by=p["referred_by"]))


def _referral(status: str):
    def apply_(conn, e: Recorded) -> None:
        values = {"status": status}
        if "completion_due_date" in e.payload:
            values["completion_due_date"] = e.payload["completion_due_date"]
        conn.execute(referrals.update()
                     .where(referrals.c.referral_id == e.payload["referral_id"]).values(**values))
    return apply_


def _visit_recorded(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(visits.insert().values(
        visit_id=p["visit_id"], resident_id=p["resident_id"], case_id=p.get("case_id"),
        station_id=p["station_id"], method=p["method"], visited_at=canonical(p["visited_at"]),
        worker=p["worker"], campaign_id=p.get("campaign_id")))


def _followup_scheduled(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(followups.insert().values(
        followup_id=p["followup_id"], resident_id=p["resident_id"], station_id=p["station_id"],
        card=p["card"], kind=p["kind"], window_start=canonical(p["window_start"]),
        due_at=canonical(p["due_at"]), worker=p.get("worker"), status="pending",
        overdue=False))


def _followup(conn, e: Recorded, **values) -> None:
    conn.execute(followups.update()
                 .where(followups.c.followup_id == e.payload["followup_id"]).values(**values))


def _campaign_declared(conn, e: Recorded) -> None:
    p = e.payload
    conn.execute(campaigns.insert().values(
        campaign_id=p["campaign_id"], station_id=p["station_id"], name=p["name"],
        kind=p["kind"], starts_on=p["starts_on"], ends_on=p["ends_on"],
        cards=",".join(p["cards"])))


def _key_destroyed(conn, e: Recorded) -> None:
    """The resident erased: what the rows kept of text about them reads "[erased]", as
    folding their (sealed) events again gives."""
    of_resident = sa.select(cases.c.case_id).where(
        cases.c.resident_id == e.payload["resident_id"]).scalar_subquery()
    conn.execute(approvals.update().where(approvals.c.case_id.in_(of_resident))
                 .where(approvals.c.comments.is_not(None)).values(comments=ERASED))


APPLIERS: dict[str, Callable[[sa.Connection, Recorded], None]] = {
    "CaseOpened": _case_opened,
    "CaseAssessed": lambda conn, e: _case(conn, e, state=case_rules.ASSESSED),
    "ServicePlanDrafted": lambda conn, e: _case(conn, e, state=case_rules.PLANNED),
    "ApprovalRequested": _approval_requested,
    "ApprovalGranted": _approval_granted,
    "ApprovalSentBack": _approval_sent_back,
    "ServiceRecorded": _service_recorded,
    "CaseClosed": lambda conn, e: _case(conn, e, state=case_rules.CLOSED,
                                        outcome=e.payload["outcome"],
                                        closed_at=canonical(e.payload["closed_at"])),
    "CaseReopened": lambda conn, e: _case(conn, e, state=case_rules.OPEN, outcome=None,
                                          closed_at=None),
    "CaseTransferred": lambda conn, e: _case(conn, e, worker=e.payload["to_worker"]),
    "ReferralMade": _referral_made,
    "ReferralAccepted": _referral("accepted"),
    "ReferralDeclined": _referral("declined"),
    "ReferralCompleted": _referral("completed"),
    "VisitRecorded": _visit_recorded,
    "FollowUpScheduled": _followup_scheduled,
    "FollowUpAssigned": lambda conn, e: _followup(conn, e, worker=e.payload["worker"]),
    "FollowUpOverdue": lambda conn, e: _followup(conn, e, overdue=True),
    "FollowUpDone": lambda conn, e: _followup(
        conn, e, status="done", done_at=canonical(e.payload["done_at"]),
        visit_id=e.payload["visit_id"], done_by=e.payload["worker"], late=e.payload["late"]),
    "FollowUpCancelled": lambda conn, e: _followup(conn, e, status="cancelled"),
    "CampaignDeclared": _campaign_declared,
    KEY_DESTROYED: _key_destroyed,
}


# Casework's own events folded into OWN_TABLES (rebuilt from them when VERSION changes);
# the residents' tables above are fed by the inbox (see rebuild_residents).
# The events' text is sealed; the appliers read it opened (privacy.opener).
VERSION = 1
projection = Projection("casework", metadata, APPLIERS, tables=OWN_TABLES, version=VERSION,
                        not_applying={"MajorChangeFlagged",   # the visit's row holds it
                                      "OpenCaseClaimed"},     # read from its stream
                        open=privacy.opener)
apply, apply_all, rebuild = projection.apply, projection.apply_all, projection.rebuild


# -- the residents' events ------------------------------------------------------------

CARD_EVENTS = {"CardAssigned": "card", "CardUpgraded": "to_card", "CardDowngraded": "to_card"}


def card_of(event: Recorded) -> str | None:
    """The resident's card after a residents' event, if the event sets one."""
    field = CARD_EVENTS.get(event.type)
    return event.payload.get(field) if field else None


def apply_resident(conn: sa.Connection, event: Recorded) -> None:
    """Keep ids, station, community, status and card of a resident from the residents'
    events (ResidentRegistered, ResidentMoved, ResidentTransferred, ResidentStatusChanged,
    CardAssigned, CardUpgraded, CardDowngraded: `station_id` is always the station after)."""
    p = event.payload
    resident_id = p.get("resident_id")
    if not resident_id:
        return
    values = {k: p[k] for k in ("station_id", "community_id", "status") if p.get(k)}
    if event.type in CARD_EVENTS:
        values.update(card=card_of(event), card_since=canonical(event.occurred_at))
    if not values:
        return
    updated = conn.execute(known_residents.update()
                           .where(known_residents.c.resident_id == resident_id)
                           .values(**values)).rowcount
    if not updated:
        conn.execute(known_residents.insert().values(resident_id=resident_id, **values))


_tree = OrgTree(known_stations, known_streets)
org_place, org_map = _tree.place, _tree.map  # a station's (street, district); all of them

ORG_EVENTS = {"StationAdded": (known_stations, "station_id", "street_id"),
              "StreetAdded": (known_streets, "street_id", "district_id")}


def apply_org(conn: sa.Connection, event: Recorded) -> None:
    """Keep station -> street and street -> district from StationAdded and StreetAdded."""
    table, key, parent = ORG_EVENTS[event.type]
    p = event.payload
    if not (p.get(key) and p.get(parent)):
        return
    updated = conn.execute(table.update().where(table.c[key] == p[key])
                           .values({parent: p[parent]})).rowcount
    if not updated:
        conn.execute(table.insert().values({key: p[key], parent: p[parent]}))


# What casework folds from the residents' events (a resync empties and folds them again,
# shared.inbox_sync), and the read-model part of its residents' handlers: the follow-ups
# those handlers scheduled are casework's own events, never made twice.
FROM_RESIDENTS = (known_residents, known_stations, known_streets)
RESIDENTS_REFOLD = {**{name: apply_org for name in ORG_EVENTS},
                    **{name: apply_resident for name in (
                        "ResidentRegistered", "ResidentMoved", "ResidentTransferred",
                        "ResidentStatusChanged", *CARD_EVENTS)}}


def rebuild_residents(engine: sa.Engine, envelopes: Iterable[dict]) -> None:
    """Rebuild `known_residents` and the organisation tree from the residents' events
    (read over RPC by the caller)."""
    with engine.begin() as conn:
        for table in (known_residents, known_stations, known_streets):
            conn.execute(table.delete())
        for envelope in envelopes:
            event = Recorded.from_dict(envelope)
            (apply_org if event.type in ORG_EVENTS else apply_resident)(conn, event)
