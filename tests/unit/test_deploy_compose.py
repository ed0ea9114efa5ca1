"""deploy/compose.yaml and the ingress, checked offline (must show: compose file and
routes validate in CI): valid YAML, valid against the vendored Compose schema, one
container per catalog service running `station serve NAME`, routes equal the catalog's."""
from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest
import yaml

from station import catalog, deploy_files, ingress

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_is_valid_against_the_compose_specification(compose):
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_rejects_what_compose_would_reject():
    """The vendored schema is live: an unknown service key is an error."""
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    bad = {"services": {"x": {"image": "a", "comand": ["typo"]}}}
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(bad))


def test_each_catalog_service_is_its_own_container_running_station_serve(compose):
    services = compose["services"]
    for name in catalog.SERVICES:
        assert services[name]["command"][:3] == ["station", "serve", name]
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"/api/v1/{name}/health/live" in probe
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
    assert services["migrate"]["command"] == ["station", "db", "upgrade"]
    assert set(services["ingress"]["depends_on"]) == set(catalog.SERVICES)
    assert {"rabbitmq", "postgres"} <= set(services)


def test_every_service_gets_the_secrets_from_the_environment_not_the_file(compose):
    for name in catalog.SERVICES:
        env = compose["services"][name]["environment"]
        for secret in ("STATION_JWT_KEYS", "STATION_LOOKUP_KEY"):
            assert env[secret].startswith("${" + secret + ":?")


def test_the_nginx_routes_equal_the_catalog_routes():
    text = (DEPLOY / "ingress.conf").read_text()
    assert ingress.routes_in_nginx_conf(text) == catalog.ROUTES


def test_generated_deploy_files_are_up_to_date():
    assert deploy_files.stale() == []


def test_a_route_added_to_the_catalog_shows_up_in_the_rendering():
    routes = {**catalog.ROUTES, "/api/v1/volunteers": "activities"}
    assert ingress.routes_in_nginx_conf(ingress.nginx_conf(routes)) == routes
