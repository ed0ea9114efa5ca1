"""Schemathesis over every operation of casework's OpenAPI document, against a running
casework on PostgreSQL and RabbitMQ that holds a station's real casework: generated
requests that fit the document and requests that do not, with a district
administrator's token and with a station head's (who may also write). No request
may get a 5xx, and no response may break the schema its document gives it.
The examples per operation are bounded so the whole run stays well under a minute.
"""
from __future__ import annotations

import pytest

from tests.integration.casework_support import (Api, ResidentsFeed, station_casework,
                                                token)
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.integration

EXAMPLES = 8


@pytest.fixture
def casework(services, database_url, service_env):
    """A casework that knows st-1 and st-2 (district dst-1) and st-1's casework."""
    services.start("casework")
    feed = ResidentsFeed(service_env)
    try:
        feed.add_org()
        for resident in ("res-1", "res-2"):
            feed.register(resident, "st-1")
            feed.assign(resident, "st-1", "red")
        feed.deliver(service_env)
    finally:
        feed.close()
    base = services.url("casework")
    station_casework(Api(f"{base}/api/v1", None), "st-1", "res-1")
    return base


@pytest.mark.parametrize("who", [
    token("admin", "district_admin", "district:dst-1"),
    token("head", "station_head", "street:str-1"),
], ids=["district_admin", "station_head"])
def test_no_generated_request_gets_a_server_error_or_a_response_outside_its_schema(
        casework, who):
    findings = run_schemathesis(casework, f"{casework}/api/v1/casework/openapi.json", who,
                                max_examples=EXAMPLES)
    assert findings == [], "\n\n".join(map(str, findings))
