"""The edge of casework: bilingual field errors, configured choices, the acting user."""
from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder

from shared.errors import Unauthorized, ValidationFailed
from services.casework import policy
from services.casework import schemas as s
from services.casework.service import principal_of


def errors_of(schema, data) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        s.load_request(schema, data)
    assert refused.value.status == 400
    return refused.value.fields


def test_each_bad_field_is_named_in_english_and_chinese():
    fields = errors_of(s.VisitRequest(), {"method": "letter", "visited_at": "yesterday",
                                          "surprise": 1})
    assert fields["resident_id"] == ["Missing data for required field. / 缺少必填字段。"]
    assert fields["method"][0].startswith("Must be one of: home, phone, office, consolation.")
    assert "必须是以下之一" in fields["method"][0]
    assert "不是有效的时间" in fields["visited_at"][0]
    assert fields["surprise"] == ["Unknown field. / 未知字段。"]


def test_nested_list_errors_are_translated_too():
    fields = errors_of(s.VisitRequest(), {"resident_id": "r", "method": "home",
                                          "visited_at": "2026-11-28T10:00:00+08:00",
                                          "major_changes": ["hospitalised", "won_lottery"]})
    assert "必须是以下之一" in fields["major_changes"]["1"][0]


def test_a_time_without_an_offset_is_refused():
    fields = errors_of(s.ServiceRequest(), {"served_at": "2026-11-28T10:00:00", "minutes": 30})
    assert set(fields) == {"served_at"}


def test_agencies_come_from_the_configured_list():
    schema = s.with_choices(s.ReferralRequest(), "agency", policy.load().agency_codes)
    fields = errors_of(schema, {"agency": "astrologer", "reason": "x", "due_date": "2026-12-01"})
    assert "womens_federation" in fields["agency"][0] and "legal_aid" in fields["agency"][0]


def test_page_size_is_at_most_500():
    assert "page_size" in errors_of(s.FollowUpQuery(), {"page_size": "501"})
    assert s.load_request(s.FollowUpQuery(), {"status": "due", "other": "x"})["page"] == 1


def request_with(headers: dict):
    return EnvironBuilder(path="/api/v1/cases", headers=headers).get_request()


def test_the_acting_user_and_role_come_from_the_request():
    who = principal_of(request_with({"X-Actor": "wang", "X-Role": "social_worker"}))
    assert (who.actor, who.role) == ("wang", "social_worker")


def test_a_request_without_an_actor_is_unauthorised():
    with pytest.raises(Unauthorized):
        principal_of(request_with({"X-Role": "supervisor"}))
