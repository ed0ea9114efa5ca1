"""A community social organization (社区社会组织) and its members: a pure state machine.

    incubating ──file (备案)──▶ filed ──register (登记)──▶ registered
        │                        │                           │
        └──────── dormant ◀──────┴───────────────────────────┘──▶ dissolved
                    │  └──revive──▶ (the state it had before)      ▲
                    └──────────────────────────────────────────────┘

Every step has a date, never in the future nor before the step before it. Members join
(with a party-member flag, 党员) and leave while the organization is not dissolved; a
resident is an active member once at most.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Callable

from shared.events import NewEvent
from shared.kit import fold as kit

from services.activities import commands as c
from services.activities import rules
from shared.kit.errors import Duplicate, IllegalTransition, Missing

NEW, INCUBATING, FILED, REGISTERED, DORMANT, DISSOLVED = (
    "new", "incubating", "filed", "registered", "dormant", "dissolved")
STATE_NAMES_ZH = {NEW: "未创建", INCUBATING: "培育中", FILED: "已备案", REGISTERED: "已登记",
                  DORMANT: "休眠", DISSOLVED: "已解散"}
LIVING = frozenset({INCUBATING, FILED, REGISTERED})
STEPS = {  # step -> (event, states it may start from, English, Chinese)
    "file": ("OrganizationFiled", frozenset({INCUBATING}), "file", "备案"),
    "register": ("OrganizationRegistered", frozenset({FILED}), "register", "登记"),
    "dormant": ("OrganizationDormant", LIVING, "mark dormant", "标记休眠"),
    "revive": ("OrganizationRevived", frozenset({DORMANT}), "revive", "恢复活动"),
    "dissolve": ("OrganizationDissolved", LIVING | {DORMANT}, "dissolve", "解散"),
}
MEMBER_STEPS = {"join": ("add a member to", "加入成员"), "leave": ("remove a member from", "成员退出")}


# -- exceptions and guards ------------------------------------------------------------

class OrganizationNotFound(Missing):
    def __init__(self, organization_id: str | None):
        super().__init__(f"Organization {organization_id} not found",
                         f"未找到社区社会组织 {organization_id}")


class MemberNotFound(Missing):
    def __init__(self, member_id: str):
        super().__init__(f"No active member {member_id}", f"未找到在册成员 {member_id}")


class OrganizationStepRefused(IllegalTransition):
    def __init__(self, en: str, zh: str, state: str):
        super().__init__(f"Cannot {en} an organization that is {state}",
                         f"组织当前状态为「{STATE_NAMES_ZH[state]}」，不能{zh}")


def check_exists(org: "Organization") -> None:
    if org.state == NEW:
        raise OrganizationNotFound(org.organization_id)


def check_step(org: "Organization", step: str) -> None:
    check_exists(org)
    _, allowed, en, zh = STEPS[step]
    if org.state not in allowed:
        raise OrganizationStepRefused(en, zh, org.state)


def check_members_open(org: "Organization", step: str) -> None:
    check_exists(org)
    if org.state == DISSOLVED:
        raise OrganizationStepRefused(*MEMBER_STEPS[step], org.state)


def check_new_member(org: "Organization", cmd: c.JoinMember) -> None:
    if cmd.member_id in org.members:
        raise Duplicate(f"Member {cmd.member_id} exists already", "成员已存在")
    if cmd.resident_id is not None and any(
            m.resident_id == cmd.resident_id and m.active for m in org.members.values()):
        raise Duplicate("The resident is a member already", "该居民已是本组织成员",
                        {"resident_id": ["Already a member / 已是成员"]})


def check_active_member(org: "Organization", member_id: str) -> "Member":
    member = org.members.get(member_id)
    if member is None or not member.active:
        raise MemberNotFound(member_id)
    return member


def check_day(day: date, earliest: date | None, now: datetime, field: str) -> None:
    rules.check_date_not_future(day, now, field, "date", "日期")
    if earliest is not None:
        rules.check_not_before(day, earliest, field, "日期")


# -- state ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Member:
    member_id: str
    resident_id: str | None
    party_member: bool
    joined_on: date
    left_on: date | None = None

    @property
    def active(self) -> bool:
        return self.left_on is None


@dataclasses.dataclass(frozen=True)
class Organization:
    organization_id: str | None = None
    station_id: str | None = None
    community_id: str | None = None
    type: str | None = None
    state: str = NEW
    before_dormant: str | None = None
    last_step_on: date | None = None
    members: dict[str, Member] = dataclasses.field(default_factory=dict)
    version: int = 0


# -- evolve ---------------------------------------------------------------------------

def _incubated(org: Organization, p: dict) -> Organization:
    return dataclasses.replace(
        org, organization_id=p["organization_id"], station_id=p["station_id"],
        community_id=p["community_id"], type=p["type"], state=INCUBATING,
        last_step_on=date.fromisoformat(p["incubated_on"]))


def _stepped(state: str) -> Callable[[Organization, dict], Organization]:
    def step(org: Organization, p: dict) -> Organization:
        new_state = p["state"] if state == "revived" else state
        before = org.state if state == DORMANT else None
        return dataclasses.replace(org, state=new_state, before_dormant=before,
                                   last_step_on=date.fromisoformat(p["on"]))
    return step


def _joined(org: Organization, p: dict) -> Organization:
    member = Member(p["member_id"], p.get("resident_id"), p["party_member"],
                    date.fromisoformat(p["joined_on"]))
    return dataclasses.replace(org, members={**org.members, member.member_id: member})


def _left(org: Organization, p: dict) -> Organization:
    member = dataclasses.replace(org.members[p["member_id"]],
                                 left_on=date.fromisoformat(p["left_on"]))
    return dataclasses.replace(org, members={**org.members, member.member_id: member})


EVOLVERS: dict[str, Callable[[Organization, dict], Organization]] = {
    "OrganizationIncubated": _incubated,
    "OrganizationFiled": _stepped(FILED),
    "OrganizationRegistered": _stepped(REGISTERED),
    "OrganizationDormant": _stepped(DORMANT),
    "OrganizationRevived": _stepped("revived"),
    "OrganizationDissolved": _stepped(DISSOLVED),
    "MemberJoined": _joined,
    "MemberLeft": _left,
}


def evolve(org: Organization, event) -> Organization:
    return kit.step(EVOLVERS, org, event)


def fold(events, org: Organization | None = None) -> Organization:
    return kit.fold(evolve, events, org or Organization())


# -- decide ---------------------------------------------------------------------------

def _event(org: Organization, type_: str, payload: dict, actor: str,
           now: datetime) -> NewEvent:
    payload = {"organization_id": org.organization_id, "station_id": org.station_id,
               **payload}
    return NewEvent(type_, payload, station_id=org.station_id, occurred_at=now, actor=actor)


def _incubate(org: Organization, cmd: c.IncubateOrganization, now: datetime,
              known: rules.Known) -> list[NewEvent]:
    if org.state != NEW:
        raise Duplicate(f"Organization {cmd.organization_id} exists already", "组织已存在")
    check_day(cmd.incubated_on, None, now, "incubated_on")
    new = Organization(organization_id=cmd.organization_id, station_id=cmd.station_id)
    return [_event(new, "OrganizationIncubated", {
        "community_id": cmd.community_id, "name": cmd.name, "type": cmd.type,
        "leader": cmd.leader, "incubated_on": cmd.incubated_on.isoformat(),
        "incubated_by": cmd.actor}, cmd.actor, now)]


def _move(org: Organization, cmd: c.MoveOrganization, now: datetime,
          known: rules.Known) -> list[NewEvent]:
    check_step(org, cmd.step)
    check_day(cmd.on, org.last_step_on, now, "on")
    payload = {"on": cmd.on.isoformat(), "by": cmd.actor, "note": cmd.note}
    if cmd.step == "file":
        payload["filing_no"] = cmd.number
    elif cmd.step == "register":
        payload["registration_no"] = cmd.number
    elif cmd.step == "revive":
        payload["state"] = org.before_dormant
    return [_event(org, STEPS[cmd.step][0], payload, cmd.actor, now)]


def _join(org: Organization, cmd: c.JoinMember, now: datetime,
          known: rules.Known) -> list[NewEvent]:
    check_members_open(org, "join")
    check_new_member(org, cmd)
    check_day(cmd.joined_on, None, now, "joined_on")
    if cmd.resident_id is not None:
        rules.check_residents_of_station([cmd.resident_id], org.station_id, known.residents,
                                         "resident_id")
    return [_event(org, "MemberJoined", {
        "member_id": cmd.member_id, "community_id": org.community_id, "name": cmd.name,
        "party_member": cmd.party_member, "resident_id": cmd.resident_id,
        "joined_on": cmd.joined_on.isoformat(), "recorded_by": cmd.actor}, cmd.actor, now)]


def _leave(org: Organization, cmd: c.LeaveMember, now: datetime,
           known: rules.Known) -> list[NewEvent]:
    check_members_open(org, "leave")
    member = check_active_member(org, cmd.member_id)
    check_day(cmd.left_on, member.joined_on, now, "left_on")
    return [_event(org, "MemberLeft", {
        "member_id": cmd.member_id, "left_on": cmd.left_on.isoformat(), "reason": cmd.reason,
        "recorded_by": cmd.actor}, cmd.actor, now)]


DECIDERS: dict[type, Callable[..., list[NewEvent]]] = {
    c.IncubateOrganization: _incubate,
    c.MoveOrganization: _move,
    c.JoinMember: _join,
    c.LeaveMember: _leave,
}


def decide(org: Organization, command, now: datetime,
           known: rules.Known = rules.Known()) -> list[NewEvent]:
    """The events a command produces on this organization, or a domain exception."""
    return DECIDERS[type(command)](org, command, now, known)
