"""Projects and the service areas a station adds (the N of 4+N). (That every event is
evolved and folded: tests/unit/test_kit_completeness.py, over every service.)"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.kit.errors import Duplicate, Invalid

from services.activities import commands as c
from services.activities import project, rules
from services.activities.events import registry

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)


def create(area="children", ends_on=None, known=rules.Known()):
    cmd = c.CreateProject("p-1", "st-1", "微心愿", area, "wang", date(2026, 1, 1), ends_on,
                          "wang")
    return project.decide_project(project.Project(), cmd, NOW, known)


def test_a_project_has_a_name_an_area_an_owner_and_a_period():
    (event,) = create(ends_on=date(2026, 12, 31))
    registry.validate(event.type, event.payload)
    assert event.payload["ends_on"] == "2026-12-31"
    assert project.fold_project([event]).name == "微心愿"


def test_a_project_ending_before_it_starts_or_in_an_unknown_area_is_refused():
    with pytest.raises(Invalid) as refused:
        create(ends_on=date(2025, 12, 31))
    assert "ends_on" in refused.value.fields
    with pytest.raises(Invalid):
        create(area="sports")


def test_a_station_adds_an_area_once_and_its_projects_may_use_it():
    add = c.AddServiceArea("st-1", "culture", "Culture", "文化", "head")
    events = project.decide_areas(project.StationAreas(), add, NOW)
    areas = project.fold_areas(events)
    assert areas.areas == {"assistance", "elderly", "children", "governance", "culture"}
    assert create("culture", known=rules.Known(areas=areas.areas))[0].payload["area"] == \
        "culture"
    with pytest.raises(Duplicate):
        project.decide_areas(areas, add, NOW)
    with pytest.raises(Duplicate):
        project.decide_areas(project.StationAreas(),
                             c.AddServiceArea("st-1", "elderly", "x", "x", "head"), NOW)

