"""schemathesis over the residents service's own OpenAPI document, on the real broker and
PostgreSQL, with a district administrator's token: every operation, positive and
negative examples (a bounded number each), and no 5xx and no response outside its
documented schema."""
from __future__ import annotations

import pytest

from tests.support.auth import People
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.integration


def test_the_residents_api_keeps_what_its_document_promises(database_url, services, service_env):
    base = services.start("residents").url("residents")
    people = People(service_env)
    try:
        token = people.token(base, "admin", "district_admin", "district:nanming")
    finally:
        people.close()

    findings = run_schemathesis(base, f"{base}/api/v1/residents/openapi.json", token,
                                max_examples=8)

    assert findings == [], "\n\n".join(map(str, findings))
