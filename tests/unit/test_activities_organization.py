"""Community social organizations: the incubating → filed → registered life with
dormancy and dissolution, dated steps, and members joining and leaving."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from services.activities import commands as c
from services.activities import organization as O
from services.activities import privacy, rules
from shared.security.erasure import new_key
from shared.kit.errors import Duplicate, IllegalTransition, Invalid, Missing
from services.activities.events import registry

KEY = new_key()  # payloads are validated as stored: personal fields sealed

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
KNOWN = rules.Known(residents={"r1": "st-1", "x1": "st-2"})


def run(history, command, now=NOW):
    events = O.decide(O.fold(history), command, now, KNOWN)
    for event in events:
        registry.validate(event.type, privacy.sealed_payload(event.type, event.payload, KEY))
    return events


def incubated(on=date(2026, 3, 1)):
    return run([], c.IncubateOrganization("o-1", "st-1", "c-1", "夕阳红舞蹈队", "dance",
                                          "李阿姨", on, "wang"))


def move(history, step, on, number=None):
    return history + run(history, c.MoveOrganization("o-1", step, on, None, number, "wang"))


def join(history, member_id, party=False, resident_id=None, on=date(2026, 4, 1)):
    return history + run(history, c.JoinMember("o-1", member_id, "成员", party, resident_id,
                                               on, "wang"))


def test_an_organization_is_filed_then_registered_with_dates():
    history = move(move(incubated(), "file", date(2026, 5, 1), "BA-7"), "register",
                   date(2026, 9, 1), "DJ-3")
    assert [e.type for e in history] == ["OrganizationIncubated", "OrganizationFiled",
                                         "OrganizationRegistered"]
    assert history[1].payload["filing_no"] == "BA-7" and history[2].payload["on"] == "2026-09-01"
    assert O.fold(history).state == O.REGISTERED


def test_registering_before_filing_is_refused():
    with pytest.raises(IllegalTransition) as refused:
        move(incubated(), "register", date(2026, 5, 1))
    assert "培育中" in refused.value.message_zh


def test_a_dormant_organization_revives_to_the_state_it_had():
    history = move(move(incubated(), "file", date(2026, 5, 1)), "dormant", date(2026, 6, 1))
    history = move(history, "revive", date(2026, 8, 1))
    assert history[-1].payload["state"] == "filed" and O.fold(history).state == O.FILED


def test_a_dissolved_organization_takes_no_step_and_no_member():
    history = move(incubated(), "dissolve", date(2026, 6, 1))
    with pytest.raises(IllegalTransition):
        move(history, "file", date(2026, 7, 1))
    with pytest.raises(IllegalTransition):
        join(history, "m-1")


def test_a_step_dated_before_the_last_one_or_in_the_future_is_refused():
    history = move(incubated(), "file", date(2026, 5, 1))
    with pytest.raises(Invalid):
        move(history, "register", date(2026, 4, 30))
    with pytest.raises(Invalid) as refused:
        move(history, "register", date(2026, 11, 29))
    assert "on" in refused.value.fields


def test_today_is_the_stations_date():
    # 02:00 UTC on the 28th is 10:00 on the 28th in the station; the 28th is today.
    assert move(incubated(), "file", date(2026, 11, 28))[-1].payload["on"] == "2026-11-28"


def test_members_join_with_a_party_flag_and_leave():
    history = join(join(incubated(), "m-1", party=True, resident_id="r1"), "m-2")
    history += run(history, c.LeaveMember("o-1", "m-2", date(2026, 10, 1), "搬家", "wang"))
    members = O.fold(history).members
    assert members["m-1"].party_member and members["m-1"].active
    assert members["m-2"].left_on == date(2026, 10, 1)
    assert history[1].payload["community_id"] == "c-1"


def test_a_resident_is_an_active_member_once():
    history = join(incubated(), "m-1", resident_id="r1")
    with pytest.raises(Duplicate):
        join(history, "m-2", resident_id="r1")


def test_another_stations_resident_cannot_join():
    with pytest.raises(Invalid) as refused:
        join(incubated(), "m-1", resident_id="x1")
    assert "resident_id" in refused.value.fields


def test_leaving_before_joining_or_twice_is_refused():
    history = join(incubated(), "m-1", on=date(2026, 4, 1))
    with pytest.raises(Invalid):
        run(history, c.LeaveMember("o-1", "m-1", date(2026, 3, 31), None, "wang"))
    history += run(history, c.LeaveMember("o-1", "m-1", date(2026, 5, 1), None, "wang"))
    with pytest.raises(Missing):
        run(history, c.LeaveMember("o-1", "m-1", date(2026, 6, 1), None, "wang"))


def test_an_unknown_organization_is_not_found():
    with pytest.raises(Missing):
        move([], "file", date(2026, 5, 1))
