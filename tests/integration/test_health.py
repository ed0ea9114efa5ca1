"""Must show (issue 10, item 2): readiness names each injected fault, and recovers.

casework runs as `station serve` (its supervised relay a child process), on this test's
vhost and PostgreSQL database. Faults: the relay hung (SIGSTOP) and killed (SIGKILL),
the broker gone for this deployment (its vhost deleted, then made again: the shared
broker itself never stops), the database gone (dropped).
"""
from __future__ import annotations

import os
import signal
import time
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa

from shared import db
from shared.security import revocation
from tests.conftest import rabbitmqctl
from tests.integration.casework_support import call, token
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


OPS = token("ops", "district_admin", "district:d-1")  # health.details: the details shown
DETAIL_FIELDS = {"pid", "restarts", "supervised", "errors", "last_error", "error", "reason"}


def get(url: str) -> tuple[int, dict]:
    """Readiness as operations see it (with the details)."""
    return call("GET", url, token=OPS)


def details_in(body: dict) -> set[str]:
    checks = body["checks"]
    found = {key for check in checks.values() for key in check if key in DETAIL_FIELDS}
    return found | {key for inbox in checks["inboxes"].values() for key in inbox
                    if key in DETAIL_FIELDS}


@pytest.fixture
def casework(services, service_env, database_url):
    service_env["RELAY_LEASE_S"] = "2"  # a hung relay loses its lease within 2 s
    services.start("casework")
    url = f"{services.url('casework')}/api/v1/casework/health"
    wait_until(lambda: get(url)[0] == 200, timeout=60, what="casework ready")
    return url


def failing(url: str, part: str):
    return lambda: (r := get(url))[0] == 503 and part in r[1]["failing"] and r[1]


def test_readiness_names_a_hung_and_a_killed_relay(casework, services, tmp_path):
    status, live = get(casework + "/live")
    assert (status, live["status"]) == (200, "ok")
    status, ready = get(casework)
    assert status == 200 and ready["failing"] == []
    checks = ready["checks"]
    assert checks["relay"]["alive"] and checks["relay"]["lag"] == 0
    assert checks["inboxes"]["residents"]["status"] == "following"
    pid = checks["relay"]["pid"]

    os.kill(pid, signal.SIGSTOP)  # alive as a process, but not working: its lease runs out
    try:
        body = wait_until(failing(casework, "relay"), timeout=20, what="503 naming the relay")
        assert body["checks"]["relay"]["alive"] is False
        assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: get(casework)[0] == 200, timeout=20, what="ready again")

    os.kill(pid, signal.SIGKILL)
    ready = wait_until(lambda: (r := get(casework))[0] == 200
                       and r[1]["checks"]["relay"]["pid"] != pid and r[1], timeout=30,
                       what="a new relay")
    assert ready["checks"]["relay"]["restarts"] == 1
    assert '"relay.exited"' in (tmp_path / "casework.log").read_text()


def test_the_public_answer_is_each_checks_status_and_details_need_an_ops_token(casework):
    status, public = call("GET", casework)
    assert status == 200 and public["failing"] == []
    assert details_in(public) == set()
    assert public["checks"]["relay"] == {"ok": True, "alive": True, "lag": 0}
    assert public["checks"]["inboxes"]["residents"]["status"] == "following"
    for other in (token("wang", "social_worker"), "not-a-token"):
        assert details_in(call("GET", casework, token=other)[1]) == set()
    assert {"pid", "restarts", "last_error"} <= details_in(get(casework)[1])


def test_readiness_names_the_broker_then_the_database(casework, amqp_uri, database_url):
    vhost = unquote(urlsplit(amqp_uri).path[1:])
    rabbitmqctl("delete_vhost", vhost)
    try:
        body = wait_until(failing(casework, "broker"), timeout=30, what="503 naming the broker")
        assert body["checks"]["database"]["ok"]
    finally:
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, urlsplit(amqp_uri).username or "guest",
                    ".*", ".*", ".*")
    wait_until(lambda: get(casework)[0] == 200, timeout=60, what="ready once the broker is back")

    name = urlsplit(database_url).path[1:]
    admin = sa.create_engine(db.normalise_url(database_url.rsplit("/", 1)[0] + "/postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()
    time.sleep(revocation.TTL + 0.5)   # the token's standing is no longer cached: asked again
    body = wait_until(failing(casework, "database"), timeout=30, what="503 naming the database")
    assert body["checks"]["broker"]["ok"]
