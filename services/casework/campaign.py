"""Visiting campaigns: a period (Spring Festival, extreme heat or cold) in which every
resident holding one of the campaign's cards (Red and Blue by default) must be visited.
Declaring one is pure; so is computing its coverage from targets and visits."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from shared.events import NewEvent, iso
from shared.kit import fold as kit
from shared.kit.errors import Invalid, Missing

from services.casework import commands as c
from services.casework.policy import Policy


class CampaignNotFound(Missing):
    def __init__(self, campaign_id: str):
        super().__init__(f"Campaign {campaign_id} not found", f"未找到专项走访 {campaign_id}")


class PeriodReversed(Invalid):
    def __init__(self):
        super().__init__("The campaign ends before it starts", "结束日期早于开始日期",
                         {"ends_on": ["Before starts_on / 早于开始日期"]})


class UnknownCampaignKind(Invalid):
    def __init__(self, kinds):
        super().__init__("Unknown campaign kind", "未知的专项走访类型",
                         {"kind": [f"Must be one of: {', '.join(kinds)}. / "
                                   f"必须是以下之一：{'、'.join(kinds)}。"]})


@dataclasses.dataclass(frozen=True)
class Campaign:
    campaign_id: str | None = None
    station_id: str | None = None
    name: str | None = None
    kind: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    cards: tuple[str, ...] = ()
    version: int = 0


@dataclasses.dataclass(frozen=True)
class Coverage:
    resident_id: str
    card: str
    visit_id: str | None
    visited_at: str | None

    @property
    def visited(self) -> bool:
        return self.visit_id is not None


EVOLVERS = {
    "CampaignDeclared": lambda campaign, p: Campaign(
        p["campaign_id"], p["station_id"], p["name"], p["kind"],
        date.fromisoformat(p["starts_on"]), date.fromisoformat(p["ends_on"]), tuple(p["cards"])),
}


def evolve(campaign: Campaign, event) -> Campaign:
    return kit.step(EVOLVERS, campaign, event)


def fold(events) -> Campaign:
    return kit.fold(evolve, events, Campaign())


def declare(campaign: Campaign, cmd: c.DeclareCampaign, kinds, now: datetime) -> list[NewEvent]:
    if cmd.kind not in kinds:
        raise UnknownCampaignKind(tuple(kinds))
    if cmd.ends_on < cmd.starts_on:
        raise PeriodReversed()
    payload = {"campaign_id": cmd.campaign_id, "station_id": cmd.station_id, "name": cmd.name,
               "kind": cmd.kind, "starts_on": cmd.starts_on.isoformat(),
               "ends_on": cmd.ends_on.isoformat(), "cards": list(dict.fromkeys(cmd.cards)),
               "declared_by": cmd.actor}
    return [NewEvent("CampaignDeclared", payload, station_id=cmd.station_id, occurred_at=now,
                     actor=cmd.actor)]


def period(campaign: Campaign, policy: Policy) -> tuple[str, str]:
    """The campaign's [start, end) as canonical UTC text, in the stations' calendar."""
    start = policy.day_start(campaign.starts_on)
    end = policy.day_start(campaign.ends_on + timedelta(days=1))
    return iso(start), iso(end)


def coverage(targets: list[tuple[str, str]], visits: list[tuple[str, str, str]]) -> list[Coverage]:
    """Each target (resident_id, card) with its first visit in the period, if any.

    `visits` are (resident_id, visit_id, visited_at) already limited to the period.
    """
    first: dict[str, tuple[str, str]] = {}
    for resident_id, visit_id, visited_at in sorted(visits, key=lambda v: v[2]):
        first.setdefault(resident_id, (visit_id, visited_at))
    return [Coverage(rid, card, *first.get(rid, (None, None))) for rid, card in targets]
