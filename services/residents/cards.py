"""The three cards (三卡) and the reassessment rhythm that follows them. Pure.

Red (红卡) higher risk, timely intervention; Blue (蓝卡) medium risk, continued attention;
Green (绿卡) general risk, stable. A resident's overall card is the highest of their
domain cards.
"""
from __future__ import annotations

import calendar
import dataclasses
from datetime import date
from typing import Iterable, Mapping

from shared.clock import china_date

CARDS = ("green", "blue", "red")  # ascending risk
LABELS_ZH = {"green": "绿卡", "blue": "蓝卡", "red": "红卡"}


def rank(card: str | None) -> int:
    """-1 for no card, then green < blue < red."""
    return -1 if card is None else CARDS.index(card)


def highest(cards: Iterable[str | None]) -> str | None:
    ranked = [c for c in cards if c is not None]
    return max(ranked, key=rank) if ranked else None


def is_upgrade(from_card: str | None, to_card: str) -> bool:
    return rank(to_card) > rank(from_card)


def needs_confirmation(from_card: str | None, to_card: str) -> bool:
    """A downgrade from Red is held until a supervisor (not its author) confirms it."""
    return from_card == "red" and rank(to_card) < rank(from_card)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Months between reassessments, by card (defaults: Red monthly, Blue quarterly, Green yearly)."""

    red: int = 1
    blue: int = 3
    green: int = 12

    @classmethod
    def from_mapping(cls, months: Mapping[str, int]) -> "Schedule":
        return cls(**{c: int(months[c]) for c in CARDS if c in months})

    def months(self, card: str | None) -> int:
        return getattr(self, card or "red")

    def next_due(self, card: str | None, after: date) -> date:
        """The reassessment date for `card` counted from `after` (no card: as for Red)."""
        return add_months(after, self.months(card))


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day when needed."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Stations work on China time: due dates, ages and effective dates are dates there.
local_date = china_date


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
