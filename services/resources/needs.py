"""The residents' needs (需求库) as resources knows them: learned from the residents'
NeedRecorded / NeedMet / NeedWithdrawn events, never from the residents' code.

A wish or a match names a need; the need must be one resources has heard of, of the
same resident, and still open.
"""
from __future__ import annotations

import dataclasses

from shared.kit.errors import IllegalTransition, Invalid, LearnedFromEvents, Missing


@dataclasses.dataclass(frozen=True)
class KnownNeed:
    need_id: str
    resident_id: str
    station_id: str
    community_id: str | None
    category: str
    status: str = "open"  # open | met | withdrawn


class NeedNotFound(Missing, LearnedFromEvents):
    def __init__(self, need_id: str | None):
        super().__init__(f"Need {need_id} not found", f"未找到需求 {need_id}")


class NeedOfAnotherResident(Invalid):
    def __init__(self):
        super().__init__("The need belongs to another resident", "该需求属于其他居民",
                         {"need_id": ["Not this resident's need / 不是该居民的需求"]})


class NeedNotOpen(IllegalTransition):
    def __init__(self, status: str):
        super().__init__(f"The need is already {status}", "该需求已关闭")


def check_open_need(need: KnownNeed | None, need_id: str,
                    resident_id: str | None = None) -> KnownNeed:
    if need is None:
        raise NeedNotFound(need_id)
    if resident_id is not None and need.resident_id != resident_id:
        raise NeedOfAnotherResident()
    if need.status != "open":
        raise NeedNotOpen(need.status)
    return need
