"""Recording a visit (入户探访, phone, office, 探访慰问) and the major changes it flags. Pure.

A visit may belong to a case (which must be the resident's and still worked) and to
a campaign (of the resident's station). Each major change seen on the visit becomes a
MajorChangeFlagged event, which the residents service answers with a reassessment.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.events import NewEvent, iso
from shared.kit.errors import Invalid, LearnedFromEvents, Missing

from services.casework import case as case_rules
from services.casework import commands as c
from services.casework.campaign import Campaign, CampaignNotFound

# Clocks of phones and laptops drift; a visit "a little in the future" is not an error.
CLOCK_SKEW = timedelta(minutes=10)


class ResidentUnknown(Missing, LearnedFromEvents):
    """Casework has not heard of the resident (or may not say that it has)."""

    def __init__(self, resident_id: str):
        super().__init__(f"Resident {resident_id} not found", f"未找到居民 {resident_id}")


class StationNotFound(Missing, LearnedFromEvents):
    def __init__(self, station_id: str | None):
        super().__init__(f"Station {station_id} not found", f"未找到社工站 {station_id}")


class NotTheResidentsStation(Invalid, LearnedFromEvents):
    def __init__(self):
        super().__init__("The resident belongs to another station", "该居民不属于此社工站",
                         {"station_id": ["Not the resident's station / 不是该居民所属的社工站"]})


class VisitInFuture(Invalid):
    def __init__(self):
        super().__init__("A visit cannot be recorded ahead of time", "不能提前记录探访",
                         {"visited_at": ["Is in the future / 时间晚于当前时间"]})


class CaseOfAnotherResident(Invalid):
    def __init__(self):
        super().__init__("The case belongs to another resident", "该个案属于其他居民",
                         {"case_id": ["Not this resident's case / 不是该居民的个案"]})


class CampaignOfAnotherStation(Invalid):
    def __init__(self):
        super().__init__("The campaign belongs to another station", "该专项走访属于其他社工站",
                         {"campaign_id": ["Not this station's campaign / 不是本站的专项走访"]})


def check_not_in_future(visited_at: datetime, now: datetime) -> None:
    if visited_at > now + CLOCK_SKEW:
        raise VisitInFuture()


def check_case(case: case_rules.Case, resident_id: str) -> None:
    case_rules.check_allowed(case, "visit")
    if case.resident_id != resident_id:
        raise CaseOfAnotherResident()


def check_campaign(campaign: Campaign, campaign_id: str, station_id: str) -> None:
    if campaign.campaign_id is None:
        raise CampaignNotFound(campaign_id)
    if campaign.station_id != station_id:
        raise CampaignOfAnotherStation()


def station_of(cmd: c.RecordVisit, case: case_rules.Case | None,
               known_station: str | None) -> str:
    station = cmd.station_id or (case.station_id if case else None) or known_station
    if station is None:
        raise ResidentUnknown(cmd.resident_id)
    return station


def record(cmd: c.RecordVisit, case: case_rules.Case | None, campaign: Campaign | None,
           known_station: str | None, now: datetime) -> list[NewEvent]:
    """VisitRecorded, then one MajorChangeFlagged per distinct change."""
    check_not_in_future(cmd.visited_at, now)
    if cmd.case_id is not None:
        check_case(case, cmd.resident_id)
    station = station_of(cmd, case, known_station)
    if cmd.campaign_id is not None:
        check_campaign(campaign, cmd.campaign_id, station)
    changes = list(dict.fromkeys(cmd.major_changes))
    visit = {"visit_id": cmd.visit_id, "resident_id": cmd.resident_id, "case_id": cmd.case_id,
             "station_id": station, "method": cmd.method, "visited_at": iso(cmd.visited_at),
             "worker": cmd.worker, "findings": cmd.findings, "notes": cmd.notes,
             "campaign_id": cmd.campaign_id, "major_changes": changes}
    events = [NewEvent("VisitRecorded", visit, station_id=station, occurred_at=now,
                       actor=cmd.actor)]
    for change in changes:
        events.append(NewEvent("MajorChangeFlagged", {
            "resident_id": cmd.resident_id, "station_id": station, "change": change,
            "visit_id": cmd.visit_id, "flagged_at": iso(now)},
            station_id=station, occurred_at=now, actor=cmd.actor))
    return events
