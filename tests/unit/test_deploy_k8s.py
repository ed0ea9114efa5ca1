"""deploy/k8s/ and deploy/Dockerfile, checked offline (must show: manifests validate in CI).

Every manifest is validated strictly against the Kubernetes OpenAPI schemas that the
kubernetes-validate package bundles (no network); then what the issue asks of them is
asserted: a Deployment and Service per catalog service, probes on the health endpoints,
requests and limits, config from a ConfigMap and a Secret, autoscalers, a migration Job,
ingress routes equal to the catalog's. The image is not built here (no Docker engine):
the Dockerfile is linted for the rules a reviewer would check."""
from __future__ import annotations

import pathlib
import re

import kubernetes_validate
import pytest
import yaml

from station import catalog, ingress

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"


def manifests() -> list[tuple[str, dict]]:
    return [(path.name, doc) for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
            if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def kinds(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


@pytest.mark.parametrize("name,doc", manifests(),
                         ids=lambda v: v if isinstance(v, str) else v.get("kind"))
def test_each_manifest_is_valid_kubernetes(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_validator_rejects_a_misspelt_field():
    deployment = dict(kinds("Deployment")["casework"])
    deployment["spec"] = {**deployment["spec"], "replica": 2}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest_but_the_secret_example():
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files - {"secret.example.yaml"}


def test_every_service_has_a_deployment_and_a_service_with_probes_and_limits():
    deployments, services = kinds("Deployment"), kinds("Service")
    assert set(deployments) == set(services) == set(catalog.SERVICES)
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"][:3] == ["station", "serve", name]
        assert container["livenessProbe"]["httpGet"]["path"] == f"/api/v1/{name}/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == f"/api/v1/{name}/health"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        refs = container["envFrom"]
        assert {"configMapRef": {"name": "station-config"}} in refs
        assert {"secretRef": {"name": "station-secrets"}} in refs
        assert container["securityContext"]["runAsNonRoot"] is True
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_scaled_services_have_an_autoscaler_and_a_disruption_budget():
    autoscalers = kinds("HorizontalPodAutoscaler")
    assert {"residents", "casework"} <= set(autoscalers)
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert hpa["spec"]["minReplicas"] >= 2
    assert set(kinds("PodDisruptionBudget")) == set(autoscalers)


def test_the_migration_job_runs_db_upgrade_and_services_do_not_migrate_at_start():
    (job,) = kinds("Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["station", "db", "upgrade"]
    config = kinds("ConfigMap")["station-config"]["data"]
    assert config["STATION_MIGRATE_AT_START"] == "false"
    assert config["STATION_QUEUE_TYPE"] == "quorum"


def test_secrets_are_only_referenced_never_in_the_config_map():
    config = kinds("ConfigMap")["station-config"]["data"]
    assert not {"AMQP_URI", "DATABASE_URL", "STATION_JWT_KEYS", "STATION_LOOKUP_KEY"} & set(config)
    (secret,) = kinds("Secret").values()
    assert set(secret["stringData"].values()) == {"CHANGE-ME"}


def test_the_kubernetes_ingress_routes_equal_the_catalog_routes():
    (doc,) = kinds("Ingress").values()
    assert ingress.routes_in_k8s_ingress(doc) == catalog.ROUTES


# -- Dockerfile lint ---------------------------------------------------------------------

def dockerfile() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def final_stage() -> list[str]:
    lines = dockerfile()
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return lines[last_from:]


def test_the_image_runs_as_a_non_root_user():
    users = [line.split()[1] for line in final_stage() if line.upper().startswith("USER ")]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_the_dockerfile_follows_the_image_rules():
    lines = dockerfile()
    assert not [l for l in lines if re.match(r"(?i)ADD\s+https?://", l)], "ADD of a URL"
    bases = [l.split()[1] for l in lines if l.upper().startswith("FROM ")]
    assert all(":" in b and not b.endswith(":latest") for b in bases), "unpinned base image"
    assert not [l for l in lines if "sudo " in l]
    assert not [l for l in lines if re.search(r"pip install(?!.*--no-cache-dir)", l)] or \
        any("PIP_NO_CACHE_DIR=1" in l for l in lines), "pip keeps its cache in the image"
    cmd = [l for l in final_stage() if l.upper().startswith("CMD ")][-1]
    assert cmd.split(None, 1)[1].startswith("["), "CMD in shell form (signals not forwarded)"
    assert len(bases) >= 2, "a build stage keeps compilers and sources out of the image"
