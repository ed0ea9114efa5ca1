"""Reads of the read models: worklists and list pages ({"items", "total", "page",
"page_size"}). Statuses that depend on the clock (overdue) take `now` or `today`.

Every list takes `stations`: the stations the caller may see (stations_in_scope);
rows of any other station are never read. None means every station (trusted callers:
RPC and tests).

Who sees what: every request is about things of one station, found in casework's own
read models (THINGS: kind -> table -> its 404, shared.kit.scope); a thing outside the
caller's scopes is refused exactly as a missing one."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

import sqlalchemy as sa

from shared.events import iso
from shared.kit.paging import Page, within
from shared.kit.paging import page_of as _page_of
from shared.kit.scope import Things, org_of
from shared.security.principal import Principal

from services.casework import campaign as campaign_rules
from services.casework import case as case_rules
from services.casework import privacy
from services.casework import projections as p
from services.casework.campaign import CampaignNotFound
from services.casework.case import CaseNotFound
from services.casework.followup import FollowUpNotFound
from services.casework.policy import Policy
from services.casework.projections import (approvals, campaigns, cases, followups,
                                           known_residents, referrals, visits)
from services.casework.referral import ReferralNotFound
from services.casework.visit import NotTheResidentsStation, ResidentUnknown, StationNotFound

F = followups


def page_of(conn, query, order_by, page: int, page_size: int, item=dict) -> dict:
    return _page_of(conn, query, order_by, Page(page, page_size), item)


def _where(query, column, value):
    return query.where(column == value) if value is not None else query


_within = within


# -- who sees what ------------------------------------------------------------------

org = org_of(p.org_place)   # station -> (street, district), when a scope needs it


THINGS = Things({
    "resident": (p.known_residents, "resident_id", ResidentUnknown),
    "case": (p.cases, "case_id", CaseNotFound),
    "referral": (p.referrals, "referral_id", ReferralNotFound),
    "followup": (p.followups, "followup_id", FollowUpNotFound),
    "campaign": (p.campaigns, "campaign_id", CampaignNotFound),
}, org=org, station_missing=StationNotFound, org_map=p.org_map)
require, require_station = THINGS.require, THINGS.require_station
stations_in_scope = THINGS.stations_in_scope


def resident_station(conn: sa.Connection, who: Principal, resident_id: str,
                     claimed: str | None = None) -> str:
    """The resident's station as the residents' events said it (ResidentUnknown if
    casework has not heard of them or they are out of scope); a `claimed` station that
    is not theirs is refused."""
    station = require(conn, who, "resident", resident_id)
    if claimed is not None and claimed != station:
        raise NotTheResidentsStation()
    return station


# -- follow-ups -----------------------------------------------------------------------

def followup_status(now_text: str):
    """due | overdue | done | cancelled, as SQL: overdue once flagged or past due."""
    return sa.case(
        (F.c.status == "done", "done"), (F.c.status == "cancelled", "cancelled"),
        (sa.or_(F.c.overdue.is_(True), F.c.due_at < now_text), "overdue"), else_="due")


def _followup_item(row: dict) -> dict:
    return {"id": row["followup_id"], "resident_id": row["resident_id"],
            "station_id": row["station_id"], "card": row["card"], "kind": row["kind"],
            "status": row["computed_status"], "window_start": row["window_start"],
            "due_at": row["due_at"], "worker": row["worker"], "done_at": row["done_at"],
            "visit_id": row["visit_id"], "done_by": row["done_by"], "late": row["late"]}


def _followups_query(now: datetime, station_id=None, worker=None, resident_id=None, card=None,
                     stations=None):
    status = followup_status(iso(now)).label("computed_status")
    query = _within(sa.select(F, status), F.c.station_id, stations)
    query = _where(_where(_where(query, F.c.station_id, station_id), F.c.resident_id,
                          resident_id), F.c.card, card)
    if worker is not None:
        query = query.where(sa.or_(F.c.worker == worker, F.c.done_by == worker))
    return query, status


def list_followups(conn, now: datetime, *, status=None, page=1, page_size=50, **filters):
    """The worklist: open follow-ups first by due time; `status` one of due, overdue,
    done, cancelled (default: all but cancelled)."""
    query, computed = _followups_query(now, **filters)
    query = (query.where(computed == status) if status
             else query.where(computed != "cancelled"))
    return page_of(conn, query, [F.c.due_at, F.c.followup_id], page, page_size,
                   _followup_item)


def followup_counts(conn, now: datetime, **filters) -> dict:
    query, computed = _followups_query(now, **filters)
    sub = query.subquery()
    rows = conn.execute(sa.select(sub.c.computed_status, sa.func.count())
                        .group_by(sub.c.computed_status))
    counts = {"due": 0, "overdue": 0, "done": 0}
    counts.update({status: n for status, n in rows if status in counts})
    return counts


def get_followup(conn, now: datetime, followup_id: str) -> dict | None:
    query, _ = _followups_query(now)  # the caller checked the follow-up's station
    row = conn.execute(query.where(F.c.followup_id == followup_id)).first()
    return _followup_item(dict(row._mapping)) if row else None


# -- cases and approvals --------------------------------------------------------------

def _case_item(row: dict) -> dict:
    return {"id": row["case_id"], **{k: row[k] for k in (
        "resident_id", "station_id", "domain", "worker", "state", "opened_at", "closed_at",
        "outcome", "minutes_spent", "pending_request_id", "version")}}


def list_cases(conn, *, stations=None, station_id=None, worker=None, state=None,
               resident_id=None, domain=None, page=1, page_size=50) -> dict:
    query = _within(sa.select(cases), cases.c.station_id, stations)
    for column, value in ((cases.c.station_id, station_id), (cases.c.worker, worker),
                          (cases.c.state, state), (cases.c.resident_id, resident_id),
                          (cases.c.domain, domain)):
        query = _where(query, column, value)
    return page_of(conn, query, [cases.c.opened_at.desc(), cases.c.case_id], page, page_size,
                   _case_item)


def list_approvals(conn, *, stations=None, station_id=None, status=None, case_id=None,
                   page=1, page_size=50) -> dict:
    query = _within(sa.select(approvals), approvals.c.station_id, stations)
    for column, value in ((approvals.c.station_id, station_id), (approvals.c.status, status),
                          (approvals.c.case_id, case_id)):
        query = _where(query, column, value)
    return page_of(conn, query, [approvals.c.requested_at, approvals.c.request_id], page,
                   page_size, lambda r: {"id": r.pop("request_id"), **r})


# -- visits and referrals -------------------------------------------------------------

def list_visits(conn, *, stations=None, resident_id=None, station_id=None, case_id=None,
                worker=None, method=None, campaign_id=None, page=1, page_size=50) -> dict:
    query = _within(sa.select(visits), visits.c.station_id, stations)
    for column, value in ((visits.c.resident_id, resident_id), (visits.c.station_id, station_id),
                          (visits.c.case_id, case_id), (visits.c.worker, worker),
                          (visits.c.method, method), (visits.c.campaign_id, campaign_id)):
        query = _where(query, column, value)
    return page_of(conn, query, [visits.c.visited_at.desc(), visits.c.visit_id], page,
                   page_size, lambda r: {"id": r.pop("visit_id"), **r})


def referral_overdue(today: date):
    t = today.isoformat()
    return sa.or_(sa.and_(referrals.c.status == "made", referrals.c.due_date < t),
                  sa.and_(referrals.c.status == "accepted",
                          referrals.c.completion_due_date < t))


def _referral_item(row: dict) -> dict:
    return {"id": row.pop("referral_id"), **row}


def list_referrals(conn, today: date, *, stations=None, station_id=None, status=None,
                   agency=None, case_id=None, overdue: bool | None = None, page=1,
                   page_size=50) -> dict:
    flag = referral_overdue(today)
    query = _within(sa.select(referrals, flag.label("overdue")), referrals.c.station_id,
                    stations)
    for column, value in ((referrals.c.station_id, station_id), (referrals.c.status, status),
                          (referrals.c.agency, agency), (referrals.c.case_id, case_id)):
        query = _where(query, column, value)
    if overdue is not None:
        query = query.where(flag if overdue else sa.not_(flag))
    return page_of(conn, query, [referrals.c.due_date, referrals.c.referral_id], page,
                   page_size, _referral_item)


def get_referral(conn, today: date, referral_id: str) -> dict | None:
    row = conn.execute(sa.select(referrals, referral_overdue(today).label("overdue"))
                       .where(referrals.c.referral_id == referral_id)).first()
    return _referral_item(dict(row._mapping)) if row else None


# -- campaigns ------------------------------------------------------------------------

def _campaign_item(row: dict) -> dict:
    return {"id": row["campaign_id"], "station_id": row["station_id"], "name": row["name"],
            "kind": row["kind"], "starts_on": row["starts_on"], "ends_on": row["ends_on"],
            "cards": row["cards"].split(",")}


def list_campaigns(conn, *, stations=None, station_id=None, page=1, page_size=50) -> dict:
    query = _where(_within(sa.select(campaigns), campaigns.c.station_id, stations),
                   campaigns.c.station_id, station_id)
    return page_of(conn, query, [campaigns.c.starts_on.desc(), campaigns.c.campaign_id], page,
                   page_size, _campaign_item)


def campaign_coverage(conn, policy: Policy, campaign_id: str) -> tuple[dict, list] | None:
    """The campaign and, for each resident who must be visited, the first visit in it."""
    row = conn.execute(sa.select(campaigns).where(campaigns.c.campaign_id == campaign_id)).first()
    if row is None:
        return None
    item = _campaign_item(dict(row._mapping))
    declared = campaign_rules.Campaign(
        item["id"], item["station_id"], starts_on=date.fromisoformat(item["starts_on"]),
        ends_on=date.fromisoformat(item["ends_on"]), cards=tuple(item["cards"]))
    start, end = campaign_rules.period(declared, policy)
    R = known_residents
    targets = conn.execute(sa.select(R.c.resident_id, R.c.card)
                           .where(R.c.station_id == declared.station_id)
                           .where(R.c.card.in_(declared.cards))
                           .where(sa.or_(R.c.status.is_(None), R.c.status == "active"))
                           .order_by(R.c.resident_id)).all()
    found = conn.execute(sa.select(visits.c.resident_id, visits.c.visit_id, visits.c.visited_at)
                         .where(visits.c.station_id == declared.station_id)
                         .where(visits.c.visited_at >= start).where(visits.c.visited_at < end)
                         .where(visits.c.resident_id.in_([t[0] for t in targets]))).all()
    rows = campaign_rules.coverage([tuple(t) for t in targets], [tuple(v) for v in found])
    return item, rows


# -- one case, folded from its stream (the source of truth) ---------------------------

def case_detail(store, case_id: str) -> dict | None:
    """The case as its events say, its text opened ("[erased]" once the resident is)."""
    events = privacy.unseal_stream(store, store.read_stream(f"case-{case_id}"))
    state = case_rules.fold(events)
    if state.state == case_rules.NEW:
        return None
    pending = state.pending
    services = [{k: e.payload.get(k) for k in ("record_id", "served_at", "minutes", "kind",
                                                "description", "worker")}
                for e in events if e.type == "ServiceRecorded"]
    return {"id": state.case_id, "resident_id": state.resident_id,
            "station_id": state.station_id, "domain": state.domain, "problem": state.problem,
            "worker": state.worker, "state": state.state, "opened_at": state.opened_at,
            "assessment": state.assessment, "needs": list(state.needs),
            "goals": list(state.goals), "outcome": state.outcome,
            "evaluation": state.evaluation, "closed_at": state.closed_at,
            "minutes_spent": state.minutes_spent, "reopened_count": state.reopened_count,
            "pending_approval": dataclasses.asdict(pending) if pending else None,
            "approvals": [dataclasses.asdict(a) for a in state.approvals],
            "services": services, "version": state.version}
