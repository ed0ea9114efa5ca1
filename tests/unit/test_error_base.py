"""One base for every refusal (issue 24): the edge's API errors are domain errors too,
so one `except DomainError` catches any refusal and its status is read in one place."""
from __future__ import annotations

import inspect

from shared import errors
from shared.kit.errors import DomainError, Missing, status_of


def test_every_api_error_is_a_domain_error_with_its_own_status():
    api = [c for _, c in inspect.getmembers(errors, inspect.isclass)
           if issubclass(c, errors.ApiError)]
    assert len(api) >= 7
    for cls in api:
        refusal = cls()
        assert isinstance(refusal, DomainError)
        assert status_of(refusal) == cls.status
        assert refusal.body()["error"]["message_zh"]


def test_a_domain_error_keeps_its_family_status_and_words_through_the_edge():
    missing = Missing("Resident r-1 not found", "未找到居民 r-1", fields={"resident_id": ["?"]})
    answered = errors.to_api_error(missing)
    assert isinstance(answered, errors.NotFound) and answered.status == 404
    assert answered.body()["error"] == {"code": "not_found", "message": "Resident r-1 not found",
                                        "message_zh": "未找到居民 r-1",
                                        "fields": {"resident_id": ["?"]}}
    assert errors.to_api_error(answered) is answered
