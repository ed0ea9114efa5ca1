"""Counts at a date come from folding events and equal hand-counted fixtures.

The fixture (every event made by the aggregates' own decisions, recorded on 28 Nov):

activities (sessions in the station's time, +08:00)
  A1 st-1/c-1  2 Nov   r1 r2 r1(again) + 10, then r2(again) r3 + 0   → 2+10, +1  = 13
  A2 st-1/c-2  group:  5 Nov 00:30 (4 Nov in UTC) r1 + 5             → 6
                       12 Nov r1 r2 + 0                              → 2
  A3 st-2/c-9  10 Nov  x1 + 20                                       → 21
  A4 st-1/c-1  20 Nov  planned, nobody recorded, never held          → 0
organizations
  O1 st-1/c-1  incubated 1 Mar, filed 1 May, registered 1 Sep
               m1 party 1 Mar; m2 15 Mar, left 1 Oct; m3 party 1 Jun
  O2 st-1/c-2  incubated 1 Apr, dormant 1 Jul, dissolved 15 Oct
               m4 party 1 Apr; m5 2 Apr
  O3 st-2/c-9  incubated 1 Aug; m6 party 1 Aug
volunteers
  v1 st-1  2 Nov: 3 h logged by a worker (A1), 2.5 h self-reported (pending)
           20 Oct: 4 h self-reported, confirmed; 21 Oct: 1 h self-reported, rejected
  v2 st-1  5 Nov: 8 h logged by a worker (O1)
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.activities import activity as A
from services.activities import commands as c
from services.activities import counts as K
from services.activities import organization as O
from services.activities import rules
from services.activities import volunteer as V

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
CST = timezone(timedelta(hours=8))
KNOWN = rules.Known(residents={"r1": "st-1", "r2": "st-1", "r3": "st-1", "x1": "st-2"})


class Log:
    """An event log for one test: decide on the folded stream, append what comes out."""

    def __init__(self):
        self.events = []

    def do(self, module, stream_filter, command):
        stream = [e for e in self.events if stream_filter(e.payload)]
        self.events += module.decide(module.fold(stream), command, NOW, KNOWN)


def at(day, hour=10, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=CST)


def _activities(log: Log) -> None:
    def act(activity_id, command):
        log.do(A, lambda p: p.get("activity_id") == activity_id, command)

    def plan(activity_id, kind, station, community, when):
        act(activity_id, c.PlanActivity(activity_id, kind, station, community, "elderly",
                                        "活动", when, actor="wang"))

    def attend(activity_id, ids, headcount, session=None):
        act(activity_id, c.RecordAttendance(activity_id, session, tuple(ids), headcount, "w"))

    plan("A1", "activity", "st-1", "c-1", at(2))
    attend("A1", ["r1", "r2", "r1"], 10)
    attend("A1", ["r2", "r3"], 0)
    plan("A2", "group", "st-1", "c-2", at(5, 0, 30))
    act("A2", c.PlanSession("A2", "A2-2", at(12), None, None, "wang"))
    attend("A2", ["r1"], 5, "A2")
    attend("A2", ["r1", "r2"], 0, "A2-2")
    plan("A3", "activity", "st-2", "c-9", at(10))
    attend("A3", ["x1"], 20)
    plan("A4", "activity", "st-1", "c-1", at(20))


def _organizations(log: Log) -> None:
    def org(org_id, command):
        log.do(O, lambda p: p.get("organization_id") == org_id, command)

    def step(org_id, name, on):
        org(org_id, c.MoveOrganization(org_id, name, on, None, None, "wang"))

    def join(org_id, member_id, party, on, resident_id=None):
        org(org_id, c.JoinMember(org_id, member_id, "成员", party, resident_id, on, "wang"))

    org("O1", c.IncubateOrganization("O1", "st-1", "c-1", "舞蹈队", "dance", None,
                                     date(2026, 3, 1), "wang"))
    join("O1", "m1", True, date(2026, 3, 1))
    join("O1", "m2", False, date(2026, 3, 15))
    step("O1", "file", date(2026, 5, 1))
    join("O1", "m3", True, date(2026, 6, 1))
    step("O1", "register", date(2026, 9, 1))
    org("O1", c.LeaveMember("O1", "m2", date(2026, 10, 1), None, "wang"))
    org("O2", c.IncubateOrganization("O2", "st-1", "c-2", "书法社", "calligraphy", None,
                                     date(2026, 4, 1), "wang"))
    join("O2", "m4", True, date(2026, 4, 1))
    join("O2", "m5", False, date(2026, 4, 2))
    step("O2", "dormant", date(2026, 7, 1))
    step("O2", "dissolve", date(2026, 10, 15))
    org("O3", c.IncubateOrganization("O3", "st-2", "c-9", "互助会", "mutual_aid", None,
                                     date(2026, 8, 1), "wang"))
    join("O3", "m6", True, date(2026, 8, 1), resident_id="x1")


def _volunteers(log: Log) -> None:
    def vol(volunteer_id, command):
        log.do(V, lambda p: p.get("volunteer_id") == volunteer_id, command)

    def served(volunteer_id, log_id, day, hours, self_reported, activity=None, org=None):
        vol(volunteer_id, c.LogService(volunteer_id, log_id, day, Decimal(hours), activity,
                                       org, None, self_reported, "wang"))

    for volunteer_id in ("v1", "v2"):
        vol(volunteer_id, c.RegisterVolunteer(volunteer_id, "st-1", "c-1", "志愿者", None,
                                              None, None, date(2026, 1, 5), "wang"))
    served("v1", "l1", date(2026, 11, 2), "3", False, activity="A1")
    served("v1", "l2", date(2026, 11, 2), "2.5", True)
    served("v1", "l3", date(2026, 10, 20), "4", True)
    vol("v1", c.ConfirmService("v1", "l3", "wang"))
    served("v1", "l4", date(2026, 10, 21), "1", True)
    vol("v1", c.RejectService("v1", "l4", "重复", "wang"))
    served("v2", "l5", date(2026, 11, 5), "8", False, org="O1")


@pytest.fixture(scope="module")
def events():
    log = Log()
    _activities(log)
    _organizations(log)
    _volunteers(log)
    return log.events


def test_person_times_at_dates_equal_the_hand_count(events):
    def person_times(as_of):
        return {place: n.person_times for place, n in K.counts_as_of(events, as_of).items()
                if n.person_times}

    assert person_times(date(2026, 11, 1)) == {}
    assert person_times(date(2026, 11, 4)) == {("st-1", "c-1"): 13}
    assert person_times(date(2026, 11, 5)) == {("st-1", "c-1"): 13, ("st-1", "c-2"): 6}
    assert person_times(date(2026, 11, 10)) == {("st-1", "c-1"): 13, ("st-1", "c-2"): 6,
                                                ("st-2", "c-9"): 21}
    assert person_times(None) == {("st-1", "c-1"): 13, ("st-1", "c-2"): 8,
                                  ("st-2", "c-9"): 21}


def test_activities_and_sessions_count_only_held_ones(events):
    now = K.counts_as_of(events, date(2026, 11, 28))
    assert (now["st-1", "c-1"].activities, now["st-1", "c-1"].sessions) == (1, 1)
    assert (now["st-1", "c-2"].activities, now["st-1", "c-2"].sessions) == (1, 2)


def test_counts_roll_up_per_station_and_overall(events):
    per_station = K.roll_up(K.counts_as_of(events), key=lambda place: place[0])
    assert per_station["st-1"].person_times == 21 and per_station["st-2"].person_times == 21
    streets = {"st-1": "street-1"}  # st-2 lies in a street outside the caller's view
    street = K.roll_up(K.counts_as_of(events), key=lambda place: streets.get(place[0]))
    assert list(street) == ["street-1"] and street["street-1"].person_times == 21
    assert K.total(K.counts_as_of(events)).person_times == 42


@pytest.mark.parametrize("as_of, organizations, members, party", [
    (date(2026, 2, 28), 0, 0, 0),
    (date(2026, 6, 30), 2, 5, 3),
    (date(2026, 10, 1), 3, 5, 4),
    (date(2026, 11, 28), 2, 3, 3),
])
def test_organizations_members_and_party_members_at_dates(events, as_of, organizations,
                                                          members, party):
    counted = K.total(K.counts_as_of(events, as_of))
    assert (counted.organizations, counted.members, counted.party_members) == \
        (organizations, members, party)


def test_organizations_per_community_and_by_state(events):
    on_1_oct = K.counts_as_of(events, date(2026, 10, 1))
    assert (on_1_oct["st-1", "c-1"].members, on_1_oct["st-1", "c-1"].party_members) == (2, 2)
    assert (on_1_oct["st-1", "c-2"].organizations, on_1_oct["st-1", "c-2"].members) == (1, 2)
    assert K.organizations_by_state(events, date(2026, 10, 1)) == {
        "registered": 1, "dormant": 1, "incubating": 1}
    assert K.organizations_by_state(events, date(2026, 6, 30)) == {
        "filed": 1, "incubating": 1}


def test_only_confirmed_volunteer_hours_count(events):
    assert K.volunteer_hours(events) == {"v1": Decimal(7), "v2": Decimal(8)}
    assert K.volunteer_hours(events, by="month") == {"2026-10": Decimal(4),
                                                     "2026-11": Decimal(11)}
    assert K.volunteer_hours(events, by="activity") == {"A1": Decimal(3)}
    assert K.volunteer_hours(events, by="organization") == {"O1": Decimal(8)}
    assert K.volunteer_hours(events, as_of=date(2026, 10, 31)) == {"v1": Decimal(4)}


def test_the_counts_do_not_depend_on_how_streams_interleave(events):
    by_stream = sorted(events, key=lambda e: (e.payload.get("activity_id")
                                              or e.payload.get("organization_id")
                                              or e.payload.get("volunteer_id")))
    assert K.counts_as_of(by_stream, date(2026, 11, 10)) == \
        K.counts_as_of(events, date(2026, 11, 10))
