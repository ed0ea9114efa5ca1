"""Kubernetes manifests for deploy/k8s/, rendered from the catalog (`station deploy render`).

One Deployment and Service per service in `catalog.SERVICES`, each container running
`station serve NAME` with probes on the service's health endpoints; a ConfigMap for
plain settings and a Secret (created by the operator, never committed) for URIs and
keys; HorizontalPodAutoscalers and PodDisruptionBudgets for the services that take
traffic and consume events; a Job that runs `station db upgrade` before a rollout.
RabbitMQ (a cluster, quorum queues) and PostgreSQL are external: deploy/RUNBOOK.md.
"""
from __future__ import annotations

from station import catalog, ingress

IMAGE = "registry.example.org/station:0.1.0"
PORT = ingress.SERVICE_PORT
DATA_DIR = "/var/lib/station"
PART_OF = {"app.kubernetes.io/part-of": "station"}

# Services that carry the HTTP load and consume other services' events: worth scaling
# out (several replicas share their queues; one relay publishes, by lease).
SCALED = {"residents": (2, 6), "casework": (2, 6)}

CONFIG = {
    "LOG_LEVEL": "INFO",
    "STATION_QUEUE_TYPE": "quorum",
    "STATION_MIGRATE_AT_START": "false",
    "STATION_BIND_HOST": "0.0.0.0",
    "STATION_DATA_DIR": DATA_DIR,
    "RPC_TIMEOUT": "10",
    "MAX_RETRIES": "3",
    "RETRY_DELAY_MS": "1000",
}
SECRET_KEYS = ("AMQP_URI", "DATABASE_URL", "STATION_JWT_KEYS", "STATION_LOOKUP_KEY")


def labels(name: str) -> dict:
    return {"app.kubernetes.io/name": name, **PART_OF}


def container(name: str, command: list[str]) -> dict:
    """The station container as every workload runs it: non-root, read-only root."""
    return {
        "name": name, "image": IMAGE, "command": command,
        "envFrom": [{"configMapRef": {"name": "station-config"}},
                    {"secretRef": {"name": "station-secrets"}}],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "data", "mountPath": DATA_DIR},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }


def pod_spec(containers: list[dict], **extra) -> dict:
    # The root filesystem is read-only: scratch space is an emptyDir (the stores are in
    # PostgreSQL; STATION_DATA_DIR holds nothing that must survive the pod).
    volumes = [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {"medium": "Memory",
                                                                             "sizeLimit": "64Mi"}}]
    return {"containers": containers, "volumes": volumes,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, **extra}


def probe(path: str, **timing) -> dict:
    return {"httpGet": {"path": path, "port": "http"}, "timeoutSeconds": 3, **timing}


def deployment(name: str) -> dict:
    main = container(name, ["station", "serve", name, "--port", str(PORT)])
    main["ports"] = [{"name": "http", "containerPort": PORT}]
    live, ready = f"/api/v1/{name}/health/live", f"/api/v1/{name}/health"
    main["startupProbe"] = probe(live, periodSeconds=2, failureThreshold=60)
    main["livenessProbe"] = probe(live, periodSeconds=10, failureThreshold=3)
    main["readinessProbe"] = probe(ready, periodSeconds=5, failureThreshold=2)
    replicas = SCALED.get(name, (1, 1))[0]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels(name)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": labels(name)},
                         "spec": pod_spec([main], terminationGracePeriodSeconds=30)},
        },
    }


def service(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {"selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "http", "port": PORT, "targetPort": "http"}]}}


def autoscaler(name: str) -> dict:
    low, high = SCALED[name]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": name},
                     "minReplicas": low, "maxReplicas": high,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization",
                                                   "averageUtilization": 70}}}]}}


def disruption_budget(name: str) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {"minAvailable": 1,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": name}}}}


def migration_job() -> dict:
    job = container("db-upgrade", ["station", "db", "upgrade"])
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "station-db-upgrade", "labels": labels("db-upgrade")},
            "spec": {"backoffLimit": 3, "ttlSecondsAfterFinished": 86400,
                     "template": {"metadata": {"labels": labels("db-upgrade")},
                                  "spec": pod_spec([job], restartPolicy="OnFailure")}}}


def config_map() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "station-config", "labels": PART_OF}, "data": dict(CONFIG)}


def secret_example() -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "station-secrets", "labels": PART_OF},
            "stringData": {key: "CHANGE-ME" for key in SECRET_KEYS}}


def documents() -> dict[str, list[dict]]:
    """{file name under deploy/k8s/: [resources]}."""
    files = {"config.yaml": [config_map()], "secret.example.yaml": [secret_example()],
             "migrate-job.yaml": [migration_job()], "ingress.yaml": [ingress.k8s_ingress()]}
    for name in catalog.SERVICES:
        docs = [deployment(name), service(name)]
        if name in SCALED:
            docs += [autoscaler(name), disruption_budget(name)]
        files[f"{name}.yaml"] = docs
    return files


def kustomization(files: list[str]) -> dict:
    # The Secret is the operator's (kubectl create secret ...): never applied from here.
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "labels": [{"pairs": PART_OF}],
            "resources": sorted(f for f in files if f != "secret.example.yaml")}
