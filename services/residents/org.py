"""The organisation tree (district → street → station → community): one stream, `org`. Pure.

Seed data (config/org_seed.json) and commands add nodes; nothing is ever renamed or
removed here, so every id an event has used stays resolvable.
"""
from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any, Callable, Mapping

from shared.events import NewEvent
from shared.kit import fold as kit
from shared.kit.errors import Conflicting, Invalid

from services.residents import commands as c
from services.residents.cards import CARDS, Schedule

STREAM = "org"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SEED_NAMESPACE = uuid.UUID("6f7c3f0e-3f5e-4d2b-9a59-2f3d9d1c6a10")

# kind -> (event type, id field, parent kind, parent field)
KINDS = {
    "district": ("DistrictAdded", "district_id", None, None),
    "street": ("StreetAdded", "street_id", "district", "district_id"),
    "station": ("StationAdded", "station_id", "street", "street_id"),
    "community": ("CommunityAdded", "community_id", "station", "station_id"),
}
CHILD = {"district": ("street", "streets"), "street": ("station", "stations"),
         "station": ("community", "communities")}
LABELS_ZH = {"district": "区", "street": "街道", "station": "社工站", "community": "社区"}


class UnknownParent(Invalid):
    code = "unknown_parent"


class IdTaken(Conflicting):
    code = "id_taken"


class NameTaken(Conflicting):
    code = "name_taken"


@dataclasses.dataclass(frozen=True)
class Node:
    id: str
    name: str
    parent_id: str | None


@dataclasses.dataclass(frozen=True)
class OrgTree:
    version: int = 0
    nodes: Mapping[str, Mapping[str, Node]] = dataclasses.field(
        default_factory=lambda: {kind: {} for kind in KINDS})
    schedules: Mapping[str, Mapping[str, int]] = dataclasses.field(default_factory=dict)

    def get(self, kind: str, node_id: str) -> Node | None:
        return self.nodes[kind].get(node_id)

    def children(self, kind: str, parent_id: str) -> list[Node]:
        return [n for n in self.nodes[kind].values() if n.parent_id == parent_id]

    def station_of(self, community_id: str) -> str | None:
        node = self.get("community", community_id)
        return node.parent_id if node else None

    def schedule_for(self, station_id: str, default: Schedule) -> Schedule:
        months = self.schedules.get(station_id)
        return dataclasses.replace(default, **months) if months else default

    def describe(self, default: Schedule = Schedule()) -> dict:
        """The shape of GET /api/v1/org (stations show their reassessment rhythm)."""
        return {"districts": self._level("district", None, default)}

    def _level(self, kind: str, parent_id: str | None, default: Schedule) -> list[dict]:
        child = CHILD.get(kind)
        out = []
        for node in self.children(kind, parent_id):
            item = {"id": node.id, "name": node.name}
            if kind == "station":
                item["reassessment_months"] = dataclasses.asdict(
                    self.schedule_for(node.id, default))
            if child:
                item[child[1]] = self._level(child[0], node.id, default)
            out.append(item)
        return out


# -- evolve -------------------------------------------------------------------------

def _node_added(kind: str) -> Callable[[OrgTree, Mapping], OrgTree]:
    _, id_field, _, parent_field = KINDS[kind]

    def add(state: OrgTree, payload: Mapping) -> OrgTree:
        node = Node(payload[id_field], payload["name"],
                    payload[parent_field] if parent_field else None)
        return dataclasses.replace(state, nodes={**state.nodes,
                                                 kind: {**state.nodes[kind], node.id: node}})
    return add


def _schedule_set(state: OrgTree, payload: Mapping) -> OrgTree:
    months = {card: payload[f"{card}_months"] for card in CARDS}
    return dataclasses.replace(state, schedules={**state.schedules, payload["station_id"]: months})


EVOLVERS = {**{event_type: _node_added(kind) for kind, (event_type, *_) in KINDS.items()},
            "ReassessmentScheduleSet": _schedule_set}


def evolve(state: OrgTree, event) -> OrgTree:
    return kit.step(EVOLVERS, state, event)


def fold(events, state: OrgTree | None = None) -> OrgTree:
    return kit.fold(evolve, events, state or OrgTree())


# -- decide -------------------------------------------------------------------------

def decide(state: OrgTree, command) -> list[NewEvent]:
    if isinstance(command, c.SetReassessmentSchedule):
        return _set_schedule(state, command)
    kind = {c.AddDistrict: "district", c.AddStreet: "street", c.AddStation: "station",
            c.AddCommunity: "community"}[type(command)]
    return [_add(state, kind, command)]


def _add(state: OrgTree, kind: str, command) -> NewEvent:
    event_type, id_field, parent_kind, parent_field = KINDS[kind]
    node_id = getattr(command, id_field)
    parent_id = getattr(command, parent_field) if parent_field else None
    check_id_is_well_formed(id_field, node_id)
    check_id_is_free(state, kind, node_id)
    if parent_kind:
        check_parent_exists(state, parent_kind, parent_field, parent_id)
    name = command.name.strip()
    check_name_is_free(state, kind, parent_id, name)
    payload = {id_field: node_id, "name": name, **({parent_field: parent_id} if parent_field else {})}
    return NewEvent(event_type, payload, station_id=_station_of(kind, payload),
                    actor=command.actor)


def _set_schedule(state: OrgTree, command: c.SetReassessmentSchedule) -> list[NewEvent]:
    check_parent_exists(state, "station", "station_id", command.station_id)
    check_months(command.months)
    payload = {"station_id": command.station_id,
               **{f"{card}_months": int(command.months[card]) for card in CARDS}}
    return [NewEvent("ReassessmentScheduleSet", payload, station_id=command.station_id,
                     actor=command.actor)]


def _station_of(kind: str, payload: Mapping[str, Any]) -> str | None:
    # Districts and streets sit above any station: their events carry none.
    return payload.get("station_id") if kind in ("station", "community") else None


# -- guards ---------------------------------------------------------------------------

def check_id_is_well_formed(field: str, node_id: str) -> None:
    if not ID_PATTERN.match(node_id or ""):
        raise Invalid("Bad id", "编号格式不正确", fields={field: [
            "Lower-case letters, digits, '-' or '_', at most 63 / 仅限小写字母、数字、'-' 或 '_'，最多 63 个字符"]})


def check_id_is_free(state: OrgTree, kind: str, node_id: str) -> None:
    if state.get(kind, node_id) is not None:
        raise IdTaken(f"A {kind} with id {node_id} exists", f"编号为 {node_id} 的{LABELS_ZH[kind]}已存在",
                      existing_id=node_id)


def check_parent_exists(state: OrgTree, kind: str, field: str, node_id: str) -> None:
    if state.get(kind, node_id) is None:
        raise UnknownParent(f"Unknown {kind}", f"{LABELS_ZH[kind]}不存在",
                            fields={field: [f"Unknown {kind} / 未知的{LABELS_ZH[kind]}"]})


def check_months(months: Mapping[str, int]) -> None:
    bad = {card: ["A whole number of months, 1 to 36 / 应为 1 至 36 的整数月数"]
           for card in CARDS if not isinstance(months.get(card), int) or not 1 <= months[card] <= 36}
    if bad:
        raise Invalid("Bad reassessment schedule", "复评周期有误", fields=bad)


def check_name_is_free(state: OrgTree, kind: str, parent_id: str | None, name: str) -> None:
    clash = next((n for n in state.nodes[kind].values()
                  if n.parent_id == parent_id and n.name == name), None)
    if clash is not None:
        raise NameTaken(f"A {kind} of this name exists under the same parent",
                        f"同级已有同名{LABELS_ZH[kind]}",
                        existing_id=clash.id)


# -- seed -----------------------------------------------------------------------------

def seed_events(seed: Mapping[str, Any]) -> list[NewEvent]:
    """The seed file as events with fixed ids (uuid5 of kind and node id), parents first."""
    events: list[NewEvent] = []

    def add(kind: str, node: Mapping[str, Any], parent_id: str | None) -> None:
        event_type, id_field, _, parent_field = KINDS[kind]
        payload = {id_field: node["id"], "name": node["name"],
                   **({parent_field: parent_id} if parent_field else {})}
        events.append(NewEvent(event_type, payload, actor="seed",
                               event_id=str(uuid.uuid5(SEED_NAMESPACE, f"{kind}:{node['id']}")),
                               station_id=_station_of(kind, payload)))
        child = CHILD.get(kind)
        if child:
            for sub in node.get(child[1], []):
                add(child[0], sub, node["id"])

    for district in seed.get("districts", []):
        add("district", district, None)
    return events


def missing_seed_events(seed_list: list[NewEvent], stored_ids: set[str]) -> list[NewEvent]:
    return [e for e in seed_list if e.event_id not in stored_ids]
