"""The edge of casework: bilingual field errors, configured choices, what each endpoint
documents and which roles may act."""
from __future__ import annotations

import pytest
from shared.errors import ValidationFailed
from shared.openapi import spec_for
from shared.security.roles import ROLES, allowed
from services.casework import policy
from services.casework import schemas as s
from services.casework.service import CaseworkService


def errors_of(schema, data) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        s.load_request(schema, data)
    assert refused.value.status == 400
    return refused.value.fields


def test_each_bad_field_is_named_in_english_and_chinese():
    fields = errors_of(s.VisitRequest(), {"method": "letter", "visited_at": "yesterday",
                                          "surprise": 1})
    assert fields["resident_id"] == ["Missing data for required field. / 缺少必填字段"]
    assert fields["method"][0].startswith("Must be one of: home, phone, office, consolation.")
    assert "必须是以下之一" in fields["method"][0]
    assert "时间无效" in fields["visited_at"][0]
    assert fields["surprise"] == ["Unknown field. / 未知字段"]


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


def test_page_size_is_at_most_500_and_pages_stay_within_the_databases_integers():
    assert "page_size" in errors_of(s.FollowUpQuery(), {"page_size": "501"})
    assert "page" in errors_of(s.CaseQuery(), {"page": str(10 ** 19)})
    assert s.load_request(s.FollowUpQuery(), {"status": "due", "other": "x"})["page"] == 1


def test_a_nul_character_is_refused_before_it_reaches_the_database():
    fields = errors_of(s.OpenCaseRequest(), {"resident_id": "res\x00", "domain": "elderly",
                                             "problem": "x\x00y"})
    assert set(fields) == {"resident_id", "problem"}
    assert "NUL" in fields["problem"][0] and "空字符" in fields["problem"][0]


def test_every_endpoint_but_ping_health_and_the_document_needs_a_token_and_says_what_it_does():
    document = spec_for(CaseworkService, "casework")
    public = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert " / " in op["summary"], (method, path)
            if not op["security"]:
                public.append(path)
            else:
                assert {"401", "403"} <= set(op["responses"]), (method, path)
    assert sorted(public) == ["/api/v1/casework/health", "/api/v1/casework/health/live",
                              "/api/v1/casework/openapi.json", "/api/v1/casework/ping"]


def test_each_endpoint_documents_its_success_body():
    document = spec_for(CaseworkService, "casework")
    for path, item in document["paths"].items():
        for method, op in item.items():
            ok = [r for status, r in op["responses"].items() if status.startswith("2")]
            assert ok and all("content" in r for r in ok), (method, path)


def test_only_supervisors_and_station_heads_approve_and_only_station_staff_write():
    assert {r for r in ROLES if allowed(r, "cases.approve")} == {"supervisor", "station_head"}
    for action in ("cases.write", "visits.write", "referrals.write", "followups.assign"):
        assert {r for r in ROLES if allowed(r, action)} == {
            "social_worker", "supervisor", "station_head"}, action
    assert not allowed("partner_office", "cases.read")
    assert not allowed("social_worker", "campaigns.write")
