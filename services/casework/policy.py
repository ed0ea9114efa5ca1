"""Local policy, read from the data files beside this module (or the files that
CASEWORK_POLICY_FILE and CASEWORK_AGENCIES_FILE name): follow-up rhythm per card and
per station, referral agencies, case domains, campaign kinds, the stations' UTC offset.

Defaults follow local practice: Red — first contact within 24 hours, then at least
weekly; Blue — monthly; Green — quarterly. A station may override any card's rule:

    "stations": {"st-xihu": {"red": {"first_contact_hours": 12, "every_days": 7}}}
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import pathlib
from datetime import date, datetime, time, timedelta, timezone

from shared.clock import CHINA

HERE = pathlib.Path(__file__).parent


@dataclasses.dataclass(frozen=True)
class CardRule:
    first_contact_hours: float
    every_days: float

    @property
    def first_contact(self) -> timedelta:
        return timedelta(hours=self.first_contact_hours)

    @property
    def every(self) -> timedelta:
        return timedelta(days=self.every_days)


@dataclasses.dataclass(frozen=True)
class Agency:
    code: str
    name: str
    name_zh: str


@dataclasses.dataclass(frozen=True)
class Policy:
    rules: dict[str, CardRule]
    station_rules: dict[str, dict[str, CardRule]]
    agencies: tuple[Agency, ...]
    case_domains: tuple[str, ...]
    campaign_kinds: dict[str, str]
    referral_completion_days: int = 30
    utc_offset: timezone = CHINA

    def rule(self, station_id: str | None, card: str) -> CardRule:
        return self.station_rules.get(station_id or "", {}).get(card) or self.rules[card]

    @property
    def agency_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.agencies)

    def today(self, now: datetime) -> date:
        """The stations' calendar date at a moment."""
        return now.astimezone(self.utc_offset).date()

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.utc_offset)


def _rules(data: dict) -> dict[str, CardRule]:
    return {card: CardRule(float(r["first_contact_hours"]), float(r["every_days"]))
            for card, r in data.items()}


def _offset(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def from_data(policy: dict, agencies: list[dict]) -> Policy:
    followups = policy["followups"]
    return Policy(
        rules=_rules(followups["default"]),
        station_rules={s: _rules(r) for s, r in followups.get("stations", {}).items()},
        agencies=tuple(Agency(a["code"], a["name"], a["name_zh"]) for a in agencies),
        case_domains=tuple(policy["case_domains"]),
        campaign_kinds=dict(policy["campaign_kinds"]),
        referral_completion_days=int(policy.get("referral_completion_days", 30)),
        utc_offset=_offset(policy.get("utc_offset", "+08:00")))


@functools.lru_cache(maxsize=None)
def load(policy_file: str | None = None, agencies_file: str | None = None) -> Policy:
    policy_path = policy_file or os.environ.get("CASEWORK_POLICY_FILE") or HERE / "policy.json"
    agencies_path = (agencies_file or os.environ.get("CASEWORK_AGENCIES_FILE")
                     or HERE / "agencies.json")
    return from_data(json.loads(pathlib.Path(policy_path).read_text("utf-8")),
                     json.loads(pathlib.Path(agencies_path).read_text("utf-8")))
