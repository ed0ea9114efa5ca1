"""Who may be handed a station's work: a case, a follow-up, a transfer names a worker.

    staff.require_worker(users, "wang.fang", station_id, org)   # 400 if not of that station

A worker the identity store holds must be enabled and have scopes covering the station
(station, street or district, through the organisation tree); otherwise the command is
a 400 naming the field, and nothing is written. A name the identity store does not hold
is let through (services and tests name workers before accounts exist; nothing of the
station becomes visible to a name without an account).
"""
from __future__ import annotations

from shared.errors import ValidationFailed
from shared.security import scope
from shared.security.users import UserStore


def require_worker(users: UserStore, worker: str | None, station_id: str | None,
                   org: scope.OrgLookup, field: str = "worker") -> None:
    if not worker or not station_id:
        return
    user = users.get(worker)
    if user is None:
        return
    if user.disabled or not scope.can_see_station(user.principal(), station_id, org):
        raise ValidationFailed(
            f"{worker} does not work at station {station_id}",
            f"{worker} 不是社工站 {station_id} 的工作人员",
            fields={field: [f"Not a worker of this station / 不是本社工站的工作人员"]})
