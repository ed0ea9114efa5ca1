"""The partner (资源方) aggregate: who gives, what kind of giver, where it sits. Pure.

A partner belongs to one station (the station that linked it) and, if it is rooted in
one, to a community; government partners name their department (民政, 妇联, 团委, 计生).
The partner's type and community are copied into each of its donations, so totals by
partner type and community fold from the donations alone.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from shared.events import NewEvent
from shared.kit import fold as kit
from shared.kit.errors import Duplicate, Invalid, Missing

from services.resources import commands as c


class PartnerNotFound(Missing):
    def __init__(self, partner_id: str | None):
        super().__init__(f"Partner {partner_id} not found", f"未找到资源方 {partner_id}")


class PartnerOfAnotherStation(Invalid):
    def __init__(self):
        super().__init__("The partner belongs to another station", "该资源方属于其他社工站",
                         {"partner_id": ["Not this station's partner / 不是本站的资源方"]})


class DepartmentOnlyForGovernment(Invalid):
    def __init__(self):
        super().__init__("Only a government partner names a department",
                         "只有政府部门类资源方才填写部门",
                         {"department": ["Only for type government / 仅限政府部门"]})


@dataclasses.dataclass(frozen=True)
class Partner:
    partner_id: str | None = None
    station_id: str | None = None
    name: str | None = None
    type: str | None = None
    department: str | None = None
    community_id: str | None = None
    hub: str | None = None
    categories: tuple[str, ...] = ()
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.partner_id is not None


def check_exists(partner: Partner, partner_id: str | None = None) -> None:
    if not partner.exists:
        raise PartnerNotFound(partner_id or partner.partner_id)


def check_at_station(partner: Partner, station_id: str) -> None:
    if partner.station_id != station_id:
        raise PartnerOfAnotherStation()


def register(state: Partner, cmd: c.RegisterPartner, now: datetime) -> list[NewEvent]:
    if state.exists:
        raise Duplicate(f"Partner {cmd.partner_id} exists", f"资源方 {cmd.partner_id} 已存在")
    if cmd.department is not None and cmd.type != "government":
        raise DepartmentOnlyForGovernment()
    payload = {"partner_id": cmd.partner_id, "station_id": cmd.station_id,
               "name": cmd.name.strip(), "type": cmd.type, "department": cmd.department,
               "community_id": cmd.community_id, "hub": cmd.hub, "contact": cmd.contact,
               "categories": list(dict.fromkeys(cmd.categories)), "registered_by": cmd.actor}
    return [NewEvent("PartnerRegistered", payload, station_id=cmd.station_id,
                     occurred_at=now, actor=cmd.actor)]


def _registered(_: Partner, p: dict) -> Partner:
    return Partner(p["partner_id"], p["station_id"], p["name"], p["type"], p.get("department"),
                   p.get("community_id"), p.get("hub"), tuple(p.get("categories") or ()))


EVOLVERS = {"PartnerRegistered": _registered}


def evolve(state: Partner, event) -> Partner:
    """After one event (a Recorded or a NewEvent); unknown types only count."""
    return kit.step(EVOLVERS, state, event)


def fold(events, state: Partner | None = None) -> Partner:
    return kit.fold(evolve, events, state or Partner())
