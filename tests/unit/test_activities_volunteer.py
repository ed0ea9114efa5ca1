"""Volunteers: registration, hours logged by a social worker (count at once) or
self-reported (count once confirmed), and the 24-hour day."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from services.activities import commands as c
from services.activities import privacy, rules
from shared.security.erasure import new_key
from services.activities import volunteer as V
from shared.kit.errors import IllegalTransition, Invalid, Missing
from services.activities.events import registry

KEY = new_key()  # payloads are validated as stored: personal fields sealed

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
KNOWN = rules.Known(residents={"r1": "st-1", "x1": "st-2"})
DAY = date(2026, 11, 2)


def run(history, command):
    events = V.decide(V.fold(history), command, NOW, KNOWN)
    for event in events:
        registry.validate(event.type, privacy.sealed_payload(event.type, event.payload, KEY))
    return events


def registered(resident_id=None):
    return run([], c.RegisterVolunteer("v-1", "st-1", "c-1", "张志愿", None, resident_id,
                                       None, date(2026, 1, 5), "wang"))


def log(history, log_id, hours, day=DAY, self_reported=False):
    return history + run(history, c.LogService("v-1", log_id, day, Decimal(hours), "a-1",
                                               None, None, self_reported, "wang"))


def test_a_volunteer_may_be_a_registered_resident_of_the_station():
    assert registered("r1")[0].payload["resident_id"] == "r1"
    with pytest.raises(Invalid):
        registered("x1")


def test_a_social_workers_log_is_confirmed_at_once():
    history = log(registered(), "l-1", "3")
    assert [e.type for e in history[1:]] == ["VolunteerServiceLogged",
                                             "VolunteerServiceConfirmed"]
    assert V.fold(history).confirmed_hours == Decimal(3)


def test_self_reported_hours_count_only_once_confirmed():
    history = log(registered(), "l-1", "2.5", self_reported=True)
    assert V.fold(history).confirmed_hours == 0
    history += run(history, c.ConfirmService("v-1", "l-1", "wang"))
    assert V.fold(history).confirmed_hours == Decimal("2.5")
    with pytest.raises(IllegalTransition):
        run(history, c.ConfirmService("v-1", "l-1", "wang"))


def test_more_than_24_hours_in_a_day_is_refused_pending_ones_included():
    history = log(log(registered(), "l-1", "3"), "l-2", "2.5", self_reported=True)
    history = log(history, "l-3", "18.5")
    with pytest.raises(Invalid) as refused:
        log(history, "l-4", "0.5")
    assert refused.value.fields["hours"] == ["Over 24 hours on 2026-11-02 / 当日超过 24 小时"]
    assert "24" in refused.value.message and "超过 24 小时" in refused.value.message_zh
    assert log(history, "l-4", "0.5", day=date(2026, 11, 3))[-1].type == \
        "VolunteerServiceConfirmed"


def test_rejected_hours_free_the_day():
    history = log(registered(), "l-1", "20", self_reported=True)
    history += run(history, c.RejectService("v-1", "l-1", "重复登记", "wang"))
    assert log(history, "l-2", "10")[-1].type == "VolunteerServiceConfirmed"


def test_a_single_log_over_24_hours_or_not_positive_is_refused():
    with pytest.raises(Invalid):
        log(registered(), "l-1", "24.5")
    with pytest.raises(Invalid):
        log(registered(), "l-1", "0")


def test_service_in_the_future_is_refused():
    with pytest.raises(Invalid) as refused:
        log(registered(), "l-1", "2", day=date(2026, 11, 29))
    assert "served_on" in refused.value.fields


def test_an_unknown_volunteer_or_log_is_not_found():
    with pytest.raises(Missing):
        log([], "l-1", "2")
    with pytest.raises(Missing):
        run(registered(), c.ConfirmService("v-1", "l-9", "wang"))


def test_the_name_and_phone_are_stored_sealed_and_open_with_the_volunteers_key():
    (event,) = run([], c.RegisterVolunteer("v-2", "st-1", None, "王小明", "13800001111", None,
                                           None, date(2026, 1, 5), "wang"))
    stored = privacy.sealed_payload(event.type, event.payload, KEY)
    assert "王小明" not in str(stored) and "13800001111" not in str(stored)
    assert privacy.key_id(event.type, event.payload) == "volunteer-v-2"
    opened = privacy.erasure.decrypt_fields(stored, ("name", "phone"), KEY)
    assert (opened["name"], opened["phone"]) == ("王小明", "13800001111")
