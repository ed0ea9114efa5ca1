"""The residents service's data files (config/*.json), read once on first use.

Vocabularies (target categories, need categories, urgencies, household relations),
the rubrics and the default reassessment rhythm live in files, not code, so a station
changes them without touching the domain logic. Per-station reassessment rhythms are
set in the organisation tree (ReassessmentScheduleSet).
"""
from __future__ import annotations

import dataclasses
import functools
import json
from importlib import resources
from typing import Any, Mapping

from services.residents.cards import Schedule
from services.residents.rubric import Rubric, rubrics_from


def read_json(name: str) -> dict:
    return json.loads(resources.files("services.residents").joinpath("config", name)
                      .read_text(encoding="utf-8"))


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Codes with English and Chinese labels; some categories are derived (min_age)."""

    entries: tuple[Mapping[str, Any], ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e["code"] for e in self.entries)

    def derived_min_age(self) -> dict[str, int]:
        return {e["code"]: int(e["derived"]["min_age"]) for e in self.entries
                if "min_age" in e.get("derived", {})}

    def describe(self) -> list[dict]:
        return [dict(e) for e in self.entries]


@dataclasses.dataclass(frozen=True)
class Settings:
    categories: Vocabulary
    need_categories: Vocabulary
    urgencies: Vocabulary
    relations: Vocabulary
    schedule: Schedule
    supervisor_roles: frozenset[str]
    rubrics: Mapping[str, Rubric]


def settings_from(data: Mapping[str, Any], rubrics: Mapping[str, Any]) -> Settings:
    return Settings(
        categories=Vocabulary(tuple(data["categories"])),
        need_categories=Vocabulary(tuple(data["need_categories"])),
        urgencies=Vocabulary(tuple(data["urgencies"])),
        relations=Vocabulary(tuple(data["relations"])),
        schedule=Schedule.from_mapping(data["reassessment_months"]),
        supervisor_roles=frozenset(data["supervisor_roles"]),
        rubrics=rubrics_from(rubrics),
    )


@functools.cache
def settings() -> Settings:
    return settings_from(read_json("settings.json"), read_json("rubrics.json"))


@functools.cache
def org_seed() -> dict:
    return read_json("org_seed.json")
