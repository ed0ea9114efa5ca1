"""Schemathesis over every operation of resources' OpenAPI document, against a running
resources on PostgreSQL and RabbitMQ that holds st-1's and st-2's partners, stock,
wishes and matches: generated requests that fit the document and requests that do
not, with a district administrator's token and a station head's (who may also write
and allocate). No 5xx, and no response outside the schema its document gives it."""
from __future__ import annotations

import pytest

from tests.integration.casework_support import token
from tests.integration.resources_support import resources_world
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.integration

EXAMPLES = 8


@pytest.fixture(scope="module")
def resources(broker_uri, postgres_url, tmp_path_factory):
    with resources_world(broker_uri, postgres_url,
                         str(tmp_path_factory.mktemp("resources-schemathesis"))) as world:
        yield world.api.base.removesuffix("/api/v1")


@pytest.mark.parametrize("who", [
    token("admin", "district_admin", "district:dst-1"),
    token("head", "station_head", "street:str-1"),
], ids=["district_admin", "station_head"])
def test_no_generated_request_gets_a_server_error_or_a_response_outside_its_schema(
        resources, who):
    findings = run_schemathesis(resources, f"{resources}/api/v1/resources/openapi.json", who,
                                max_examples=EXAMPLES)
    assert findings == [], "\n\n".join(map(str, findings))
