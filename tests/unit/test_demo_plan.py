"""The demo's history as planned (pure, no I/O): reproducible from its seed, every step
naming only answers that come before it, and sized at scale 1.0 near the source report."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from station.demo import district
from station.demo.plan import Ref, Step, plan

TODAY = date(2026, 11, 30)
RUBRICS = {domain: {**rubric, "domain": domain} for domain, rubric in json.loads(
    (Path(__file__).parents[2] / "services/residents/config/rubrics.json").read_text()).items()
    if not domain.startswith("_")}
XIHULU = district.XIHULU.id


@pytest.fixture(scope="module")
def full() -> list[Step]:
    return plan(7, 1.0, TODAY, RUBRICS)


def _of(steps, station, kind):
    """Steps of one station whose key is `<station>:<kind>:<n>` (not a sub-step)."""
    return [s for s in steps if s.lane == station and s.key.split(":")[1] == kind
            and len(s.key.split(":")) == 3]


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert plan(7, 0.1, TODAY, RUBRICS) == plan(7, 0.1, TODAY, RUBRICS)
    assert plan(7, 0.1, TODAY, RUBRICS) != plan(8, 0.1, TODAY, RUBRICS)


def test_keys_are_unique_and_every_ref_names_an_earlier_step_of_its_lane(full):
    seen: dict[str, str] = {}
    for step in full:
        assert step.key not in seen, step.key
        for ref in step.refs():
            assert isinstance(ref, Ref)
            assert ref.key in seen, f"{step.key} names {ref.key} before it is answered"
            assert seen[ref.key] in (step.lane, "district"), (step.key, ref.key)
        seen[step.key] = step.lane
    assert {s.lane for s in full} == {"district", *(s.id for s in district.STATIONS)}
    assert full[0].lane == "district"       # the tree first: the stations' steps need it


def test_resolving_fills_path_and_body_from_the_answers():
    step = Step("k", "x", "p", "u", "POST", "/api/v1/cases/{}/approvals/{}/approve",
                {"ids": [Ref("a")], "nested": {"r": Ref("b", "request_id")}, "n": 3},
                (Ref("a"), Ref("b", "request_id")))
    path, body = step.resolved({"a": {"id": "A1"}, "b": {"id": "B1", "request_id": "R9"}})
    assert path == "/api/v1/cases/A1/approvals/R9/approve"
    assert body == {"ids": ["A1"], "nested": {"r": "R9"}, "n": 3}


def test_at_full_scale_xihu_road_is_near_the_reports_figures(full):
    cases = _of(full, XIHULU, "case")
    visits = _of(full, XIHULU, "visit") + [s for s in full if s.lane == XIHULU and
                                           s.key.split(":")[1] == "consolation"]
    activities = _of(full, XIHULU, "activity")
    sessions = [s for s in full if s.lane == XIHULU and s.key.endswith(":attendance")]
    person_times = sum(len(set(map(str, s.body["resident_ids"]))) + s.body["headcount"]
                       for s in sessions)
    members = _of(full, XIHULU, "member")
    donations = _of(full, XIHULU, "donation")
    assert len(cases) == 9
    assert len(visits) >= 350
    assert len(activities) + sum(1 for s in full if s.lane == XIHULU and
                                 s.key.split(":")[1] == "group" and
                                 s.key.endswith(":attendance")) >= 100
    assert abs(person_times - 15_700) < 0.1 * 15_700, person_times
    assert len(_of(full, XIHULU, "org")) == 16
    assert len(members) == 429
    assert sum(1 for m in members if m.body["party_member"]) == 77
    assert sum(Decimal(s.body["value"]) for s in donations) == Decimal("155000.00")
    assert len(_of(full, XIHULU, "meeting")) == 16


def test_every_step_is_dated_within_the_demos_year(full):
    first = date(2025, 12, 1)
    for step in full:
        for field in ("visited_at", "held_at", "session_at", "donated_on", "joined_on", "on",
                      "incubated_on", "served_on", "held_on", "proposed_on"):
            value = step.body.get(field) if isinstance(step.body, dict) else None
            if isinstance(value, str):
                assert first <= date.fromisoformat(value[:10]) <= TODAY, (step.key, value)


def test_each_community_gets_residents_of_its_character(full):
    registered = [s.body for s in full if s.lane == XIHULU and s.key.split(":")[1] == "resident"]
    low_income = Counter(b["community_id"] for b in registered if "low_income" in b["categories"])
    alone = Counter(b["community_id"] for b in registered if "living_alone" in b["categories"])
    # 梭石巷 and 官井路: many 低保 households; the old town's Xihulu: elderly living alone
    assert low_income["suoshixiang"] > low_income["xihulu"]
    assert low_income["guanjinglu"] > low_income["xihulu"]
    assert alone["xihulu"] > alone["suoshixiang"]
    assert len({b["id_number"] for b in registered}) == len(registered)


def test_a_small_scale_still_shows_every_kind_of_work():
    small = plan(7, 0.05, TODAY, RUBRICS)
    kinds = {s.key.split(":")[1] for s in small if s.lane == XIHULU}
    assert {"resident", "visit", "consolation", "case", "activity", "group", "org", "member",
            "volunteer", "partner", "donation", "wish", "street-meeting", "meeting",
            "report", "supervision", "suggestion"} <= kinds
    assert len(small) < len(plan(7, 1.0, TODAY, RUBRICS)) / 8
