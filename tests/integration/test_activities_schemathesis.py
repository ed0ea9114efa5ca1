"""Schemathesis over every operation of activities' OpenAPI document, against a running
activities on PostgreSQL and RabbitMQ that holds a station's real community work:
generated requests that fit the document and requests that do not, with the token of
a station head (who may read and write; the roles that may only read are covered
endpoint by endpoint in test_access_control_activities). No request may get a 5xx, and
no response may break the schema its document gives it. One token keeps the run near
two minutes.
"""
from __future__ import annotations

import pytest

from tests.integration.activities_support import feed_residents, station_work
from tests.integration.casework_support import Api, token
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.integration

EXAMPLES = 8


@pytest.fixture
def activities(services, database_url, service_env):
    """An activities service that knows st-1 and st-2 (district dst-1) and st-1's work."""
    services.start("activities")
    feed_residents(service_env, {"res-1": "st-1", "res-2": "st-1"})
    base = services.url("activities")
    station_work(Api(f"{base}/api/v1", None), "st-1", "res-1")
    return base


def test_no_generated_request_gets_a_server_error_or_a_response_outside_its_schema(
        activities):
    who = token("head", "station_head", "street:str-1")
    findings = run_schemathesis(activities, f"{activities}/api/v1/activities/openapi.json",
                                who, max_examples=EXAMPLES)
    assert findings == [], "\n\n".join(map(str, findings))
