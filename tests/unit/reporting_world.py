"""A small world of two stations told as other services' events, hand-counted.

Street T1 (district D1) has stations A (communities A1, A2) and B (community B1). The
week under test is 2026-W47: Monday 2026-11-16 to Sunday 2026-11-22. The tallies the
tests expect are written beside the events that make them.
"""
from __future__ import annotations

import itertools
import uuid

from shared.events import Recorded

_ids = itertools.count(1)


class Log:
    """Events per source, numbered densely as a store would."""

    def __init__(self):
        self.by_source: dict[str, list[Recorded]] = {}

    def add(self, source: str, type_: str, on: str, recorded: str | None = None,
            **payload) -> Recorded:
        events = self.by_source.setdefault(source, [])
        at = on if "T" in on else f"{on}T10:00:00+08:00"
        event = Recorded(
            event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"world-{next(_ids)}")),
            stream_id=f"{type_}-{payload.get('resident_id', '')}", stream_version=1,
            position=len(events) + 1, type=type_, schema_version=1,
            station_id=payload.get("station_id"), occurred_at=at,
            recorded_at=recorded or at, actor="w", correlation_id=None, causation_id=None,
            payload=payload, prev_hash="", hash="")
        events.append(event)
        return event


def residents(log: Log) -> None:
    R = "residents"
    log.add(R, "DistrictAdded", "2026-11-01", district_id="D1", name="南明区")
    log.add(R, "StreetAdded", "2026-11-01", street_id="T1", district_id="D1", name="西湖路街道")
    log.add(R, "StationAdded", "2026-11-01", station_id="A", street_id="T1", name="A站")
    log.add(R, "StationAdded", "2026-11-01", station_id="B", street_id="T1", name="B站")
    for c, s in (("A1", "A"), ("A2", "A"), ("B1", "B")):
        log.add(R, "CommunityAdded", "2026-11-01", community_id=c, station_id=s, name=c)
    people = (("r1", "A", "A1", ["living_alone", "advanced_age"], "2026-11-02", "red"),
              ("r2", "A", "A2", ["low_income"], "2026-11-03", "blue"),
              ("r3", "A", "A1", ["empty_nest"], "2026-11-04", "green"),
              ("r4", "B", "B1", ["disabled"], "2026-11-05", "red"),
              ("r5", "A", "A2", ["left_behind_child"], "2026-11-18", "green"))
    for rid, station, community, categories, day, card in people:
        log.add(R, "ResidentRegistered", day, resident_id=rid, station_id=station,
                community_id=community, categories=categories, gender="female",
                name={"enc": "x"}, id_number={"enc": "x"}, birth_date={"enc": "x"})
        log.add(R, "CardAssigned", day, resident_id=rid, station_id=station, card=card,
                domain_cards={}, reason="assessed")
    log.add(R, "CardUpgraded", "2026-11-17", resident_id="r2", station_id="A",
            from_card="blue", to_card="red", domain_cards={}, reason="reassessed")
    log.add(R, "ResidentStatusChanged", "2026-11-20", resident_id="r3", station_id="A",
            from_status="active", status="deceased", effective_date="2026-11-20")
    log.add(R, "NeedRecorded", "2026-11-06", need_id="n1", resident_id="r1", station_id="A",
            community_id="A1", category="meals", urgency="high", description={"enc": "x"})
    log.add(R, "NeedRecorded", "2026-11-06", need_id="n2", resident_id="r4", station_id="B",
            community_id="B1", category="meals", urgency="low", description={"enc": "x"})
    log.add(R, "NeedMet", "2026-11-19", need_id="n1", resident_id="r1", station_id="A")


def casework(log: Log) -> None:
    C = "casework"
    log.add(C, "CaseOpened", "2026-11-10", case_id="c1", resident_id="r1", station_id="A",
            domain="elderly", problem="p", worker="w", opened_at="2026-11-10T09:00:00+08:00")
    log.add(C, "VisitRecorded", "2026-11-12", visit_id="v1", resident_id="r1", case_id="c1",
            station_id="A", method="home", visited_at="2026-11-12T09:00:00+08:00", worker="w")
    log.add(C, "ReferralMade", "2026-11-13", referral_id="ref1", case_id="c1", resident_id="r1",
            station_id="A", agency="hospital", reason="r", made_on="2026-11-13",
            due_date="2026-11-30", referred_by="w")
    log.add(C, "ReferralAccepted", "2026-11-15", referral_id="ref1", case_id="c1",
            agency="hospital", completion_due_date="2026-12-30", recorded_by="w")
    log.add(C, "CaseOpened", "2026-11-11", case_id="c2", resident_id="r4", station_id="B",
            domain="elderly", problem="p", worker="w", opened_at="2026-11-11T09:00:00+08:00")
    for vid, rid, st, method, day in (("v2", "r2", "A", "consolation", "2026-11-17"),
                                      ("v3", "r4", "B", "home", "2026-11-17"),
                                      ("v4", "r1", "A", "phone", "2026-11-19")):
        log.add(C, "VisitRecorded", day, visit_id=vid, resident_id=rid, station_id=st,
                method=method, visited_at=f"{day}T15:00:00+08:00", worker="w")
    log.add(C, "CaseClosed", "2026-11-20", case_id="c2", resident_id="r4", outcome="goals_met",
            approved_by="s", closed_at="2026-11-20T11:00:00+08:00")
    log.add(C, "CaseOpened", "2026-11-18", case_id="c3", resident_id="r2", station_id="A",
            domain="assistance", problem="p", worker="w",
            opened_at="2026-11-18T09:00:00+08:00")
    for fid, rid, st, due, day in (("f1", "r1", "A", "2026-11-09", "2026-11-02"),
                                   ("f2", "r2", "A", "2026-11-20", "2026-11-17"),
                                   ("f3", "r4", "B", "2026-11-12", "2026-11-05"),
                                   ("f4", "r5", "A", "2026-12-18", "2026-11-18")):
        log.add(C, "FollowUpScheduled", day, followup_id=fid, resident_id=rid, station_id=st,
                card="red", kind="regular", window_start=f"{day}T00:00:00+08:00",
                due_at=f"{due}T23:59:59+08:00")
    log.add(C, "FollowUpDone", "2026-11-08", followup_id="f1", resident_id="r1",
            station_id="A", card="red", visit_id="v0", done_at="2026-11-08T10:00:00+08:00",
            worker="w", late=False)
    log.add(C, "FollowUpDone", "2026-11-17", followup_id="f3", resident_id="r4",
            station_id="B", card="red", visit_id="v3", done_at="2026-11-17T15:00:00+08:00",
            worker="w", late=True)


def _session(log: Log, activity: str, station: str, community: str, area: str, day: str,
             *attendance):
    X, at = "activities", f"{day}T09:00:00+08:00"
    log.add(X, "ActivityPlanned", "2026-11-01", activity_id=activity, station_id=station,
            community_id=community, area=area, title="t", planned_by="w", session_at=at)
    log.add(X, "ActivityHeld", day, activity_id=activity, session_id=activity,
            station_id=station, session_at=at)
    for residents_, headcount in attendance:
        log.add(X, "AttendanceRecorded", day, activity_id=activity, session_id=activity,
                station_id=station, community_id=community, area=area, session_at=at,
                resident_ids=residents_, headcount=headcount, recorded_by="w")


def activities(log: Log) -> None:
    X = "activities"
    # r1 again in a second record: counts once -> 2 + 10 = 12
    _session(log, "act1", "A", "A1", "elderly", "2026-11-18", (["r1", "r3"], 10), (["r1"], 0))
    _session(log, "act2", "B", "B1", "children", "2026-11-19", (["r4"], 5))          # 6
    _session(log, "act3", "A", "A2", "governance", "2026-11-10", ([], 20))           # 20, W46
    log.add(X, "ActivityPlanned", "2026-11-01", activity_id="act4", station_id="A",
            community_id="A1", area="elderly", title="t", planned_by="w",
            session_at="2026-11-21T09:00:00+08:00")
    log.add(X, "ActivityCancelled", "2026-11-20", activity_id="act4", station_id="A",
            reason="rain", cancelled_by="w")                                        # never held
    for org, station, community in (("o1", "A", "A1"), ("o2", "B", "B1")):
        log.add(X, "OrganizationIncubated", "2026-11-01", organization_id=org, station_id=station,
                community_id=community, type="dance", name="n", incubated_on="2026-11-01",
                incubated_by="w")
    for mid, org, st, party, day in (("m1", "o1", "A", True, "2026-11-02"),
                                     ("m2", "o1", "A", False, "2026-11-03"),
                                     ("m3", "o1", "A", True, "2026-11-04"),
                                     ("m4", "o2", "B", True, "2026-11-04")):
        log.add(X, "MemberJoined", day, member_id=mid, organization_id=org, station_id=st,
                community_id="A1" if st == "A" else "B1", name="n", party_member=party,
                joined_on=day, recorded_by="w")
    log.add(X, "MemberLeft", "2026-11-19", member_id="m3", organization_id="o1",
            station_id="A", left_on="2026-11-19", recorded_by="w")
    log.add(X, "VolunteerRegistered", "2026-11-02", volunteer_id="vol1", station_id="A",
            name="n", registered_on="2026-11-02", registered_by="w")
    for log_id, hours, day in (("log1", "2.50", "2026-11-18"), ("log2", "3.00", "2026-11-19")):
        log.add(X, "VolunteerServiceLogged", day, log_id=log_id, volunteer_id="vol1",
                station_id="A", served_on=day, hours=hours, self_reported=True, logged_by="v")
    log.add(X, "VolunteerServiceConfirmed", "2026-11-19", log_id="log1", volunteer_id="vol1",
            station_id="A", served_on="2026-11-18", hours="2.50", confirmed_by="w")
    # log2 is never confirmed: its hours never count


def resources(log: Log) -> None:
    S = "resources"
    for did, st, kind, value, day in (("d1", "A", "cash", "0.10", "2026-11-17"),
                                      ("d2", "A", "in_kind", "0.20", "2026-11-18"),
                                      ("d3", "A", "cash", "1250.50", "2026-11-03"),
                                      ("d4", "B", "cash", "100.00", "2026-11-18")):
        log.add(S, "ResourceDonated", day, donation_id=did, holding_id="h", station_id=st,
                partner_id="p1", partner_type="business", kind=kind, value=value,
                donated_on=day, recorded_by="w")
    log.add(S, "ResourceAllocated", "2026-11-19", allocation_id="al1", holding_id="h",
            station_id="A", kind="cash", value="0.10", target_type="resident", target_id="r1",
            allocated_on="2026-11-19", allocated_by="w")
    wish = {"wish_id": "w1", "station_id": "A", "resident_id": "r1"}
    log.add(S, "WishPosted", "2026-11-16", **wish, title="t", expires_on="2026-12-31",
            posted_by="w")
    log.add(S, "WishClaimed", "2026-11-17", **wish, partner_id="p1", claimed_by="w")
    log.add(S, "WishDelivered", "2026-11-19", **wish, partner_id="p1",
            delivered_on="2026-11-19", delivered_by="w")
    log.add(S, "WishPosted", "2026-11-18", wish_id="w2", station_id="A", resident_id="r5",
            title="t", expires_on="2026-12-31", posted_by="w")


def world() -> Log:
    log = Log()
    for part in (residents, casework, activities, resources):
        part(log)
    return log
