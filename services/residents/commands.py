"""Commands the residents service accepts (imperative names, fields only).

`actor` is the user name of the caller's verified bearer token; `role` the token's
role, where a rule depends on it. `expected_version`, when given, must equal the
stream's version or the command fails with a version conflict. Whether the caller may
send the command at all (permission, station scope) is decided at the edge first.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any, Mapping

command = dataclasses.dataclass(frozen=True, kw_only=True)


# -- organisation tree ------------------------------------------------------------------

@command
class AddDistrict:
    district_id: str
    name: str
    actor: str = "system"


@command
class AddStreet:
    street_id: str
    district_id: str
    name: str
    actor: str = "system"


@command
class AddStation:
    station_id: str
    street_id: str
    name: str
    actor: str = "system"


@command
class AddCommunity:
    community_id: str
    station_id: str
    name: str
    actor: str = "system"


@command
class SetReassessmentSchedule:
    station_id: str
    months: Mapping[str, int]  # {"red": 1, "blue": 3, "green": 12}
    actor: str = "system"


# -- residents -----------------------------------------------------------------------

@command
class RegisterResident:
    resident_id: str
    station_id: str
    community_id: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    phone: str | None = None
    address: str | None = None
    categories: tuple[str, ...] = ()
    household: Mapping[str, Any] | None = None
    # The keyed hash of the ID number (shared.security.lookup.keyed_hash), computed by the
    # edge with the lookup key: the claim that keeps ID numbers unique stores only this.
    id_digest: str = ""
    actor: str = "anonymous"


@command
class UpdateResident:
    resident_id: str
    changes: Mapping[str, Any]  # any of name, phone, address, categories, household
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class MoveResident:
    """To another community; the handler finds the community's station (a transfer if new)."""

    resident_id: str
    community_id: str
    station_id: str | None = None
    address: str | None = None
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class OfferTransfer:
    """The owning station offers the resident's record to another station's community."""

    resident_id: str
    transfer_id: str
    to_station_id: str
    to_community_id: str
    reason: str
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class AcceptTransfer:
    """The receiving station takes the record. `acceptor_stations`: the stations the
    caller's scope covers (the edge reads them from the verified token)."""

    resident_id: str
    transfer_id: str
    acceptor_stations: frozenset[str] = frozenset()
    actor: str = "anonymous"


@command
class DeclineTransfer:
    """The receiving station refuses the offer; the record stays where it is."""

    resident_id: str
    transfer_id: str
    reason: str
    acceptor_stations: frozenset[str] = frozenset()
    actor: str = "anonymous"


@command
class ChangeStatus:
    resident_id: str
    status: str
    effective_date: date
    reason: str | None = None
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class AssessRisk:
    resident_id: str
    assessment_id: str
    domain: str
    answers: Mapping[str, Any]
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class OverrideCard:
    resident_id: str
    card: str
    reason: str
    role: str | None = None
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class ConfirmDowngrade:
    resident_id: str
    note: str | None = None
    role: str | None = None
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class RejectDowngrade:
    resident_id: str
    reason: str
    role: str | None = None
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class EraseResident:
    """Destroy the resident's key: their personal fields read as erased from then on."""

    resident_id: str
    reason: str
    actor: str = "anonymous"


@command
class FlagMajorChange:
    """From casework's MajorChangeFlagged: a reassessment is due at once."""

    resident_id: str
    change: str
    flagged_at: datetime
    source_event_id: str
    visit_id: str | None = None
    actor: str = "casework"


# -- needs library -----------------------------------------------------------------------

@command
class RecordNeed:
    resident_id: str
    need_id: str
    category: str
    urgency: str
    description: str
    expected_version: int | None = None
    actor: str = "anonymous"


@command
class MeetNeed:
    resident_id: str
    need_id: str
    note: str | None = None
    actor: str = "anonymous"


@command
class WithdrawNeed:
    resident_id: str
    need_id: str
    reason: str
    actor: str = "anonymous"
