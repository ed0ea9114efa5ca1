"""Access reasons: when one is required, how it is read from the request."""
import urllib.parse

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.errors import Forbidden, ValidationFailed
from shared.events import Registry
from shared.security.access_log import (ResidentRecordReadSchema, reason_of, reason_required,
                                        register, require_reason)


def request_with(headers: dict) -> Request:
    return Request(EnvironBuilder(path="/api/v1/residents/r1", headers=headers).get_environ())


@pytest.mark.parametrize("card,categories", [("red", []), (None, ["left_behind_child"]),
                                             ("green", ["child_in_difficulty", "disabled"])])
def test_red_card_and_child_records_require_a_reason(card, categories):
    assert reason_required(card, categories)


@pytest.mark.parametrize("card,categories", [("blue", ["living_alone"]), ("green", []),
                                             (None, [])])
def test_other_records_do_not(card, categories):
    assert not reason_required(card, categories)


def test_reading_a_red_card_record_without_a_reason_is_forbidden_in_both_languages():
    with pytest.raises(Forbidden) as err:
        require_reason(None, "red", [])
    assert "X-Access-Reason" in err.value.message and "X-Access-Reason" in err.value.message_zh
    assert err.value.code == "reason_required" and err.value.status == 403


def test_a_given_reason_is_kept():
    assert require_reason("home visit follow-up", "red", []) == "home visit follow-up"
    assert require_reason(None, "green", []) is None


def test_the_reason_is_read_from_the_header():
    assert reason_of(request_with({"X-Access-Reason": "case review"})) == "case review"
    assert reason_of(request_with({})) is None
    assert reason_of(request_with({"X-Access-Reason": "   "})) is None


def test_a_chinese_reason_may_be_percent_encoded():
    header = urllib.parse.quote("入户探访前核实信息")
    assert reason_of(request_with({"X-Access-Reason": header})) == "入户探访前核实信息"


def test_a_chinese_reason_may_be_sent_as_raw_utf8():
    raw = "个案评估".encode("utf-8").decode("latin-1")   # as WSGI hands it over
    assert reason_of(request_with({"X-Access-Reason": raw})) == "个案评估"


def test_an_overlong_reason_is_invalid_input():
    with pytest.raises(ValidationFailed):
        reason_of(request_with({"X-Access-Reason": "x" * 501}))


def test_the_read_event_is_registered_with_its_fields():
    registry = register(Registry())
    payload = {"resident_id": "r1", "station_id": "s1", "reader": "li.na",
               "role": "social_worker", "reason": None, "fields": ["id_number"],
               "at": "2026-11-28T02:00:00.000000+00:00"}
    assert registry.validate("ResidentRecordRead", payload) == payload
    assert "ResidentRecordRead" in registry and ResidentRecordReadSchema


@pytest.mark.parametrize("header", ["%00", "%00%00", " %00 ", "%1B", "%0A", "%09%20"])
def test_control_characters_alone_are_no_reason(header):
    assert reason_of(request_with({"X-Access-Reason": header})) is None
    with pytest.raises(Forbidden):                 # so a Red-card record stays closed
        require_reason(reason_of(request_with({"X-Access-Reason": header})), "red")


@pytest.mark.parametrize("header", ["case%00review", "%00case review", "case%1B[31mreview"])
def test_control_characters_inside_a_reason_make_it_invalid(header):
    with pytest.raises(ValidationFailed) as err:
        reason_of(request_with({"X-Access-Reason": header}))
    assert "控制字符" in err.value.message_zh
