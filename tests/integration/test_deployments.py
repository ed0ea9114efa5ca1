"""Must show (issue 10, item 4): two deployments on one broker vhost do not cross wires.

Each deployment is residents + casework (`station serve`, SQLite files in its own data
directory, no STATION_DEPLOYMENT: the name is derived from the directory), both on this
test's one vhost. Each registers a Red resident at the same station id (the org seed is
the same), so a crossed event would show as a second follow-up in the other's worklist.
"""
from __future__ import annotations

import pytest

from shared import deployment
from shared.config import Settings
from station.cli import check_not_running
from tests.conftest import RunningServices
from tests.integration.casework_support import call
from tests.integration.test_casework_followups_by_events import answers, highest, id_number
from tests.support.auth import signed_token
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration
CROSSED = ('"inbox.stale_store"', '"inbox.resync_started"', '"inbox.halted"', "foreign")


def red_resident(services: RunningServices) -> tuple[str, str, str]:
    """(station id, resident id, a worker's token) after a Red assessment."""
    residents = f"{services.url('residents')}/api/v1"
    admin = signed_token("admin", "district_admin", "district:nanming")
    _, org = call("GET", f"{residents}/org", token=admin)
    station = org["districts"][0]["streets"][0]["stations"][0]
    who = signed_token("wang", "social_worker", f"station:{station['id']}")
    _, rubrics = call("GET", f"{residents}/rubrics", token=who)
    rubric = next(r for r in rubrics["items"] if r["domain"] == "elderly")
    status, registered = call("POST", f"{residents}/residents", {
        "station_id": station["id"], "community_id": station["communities"][0]["id"],
        "name": "李秀英", "gender": "female", "birth_date": "1938-03-02",
        "id_number": id_number("1938-03-02", female=True), "categories": ["living_alone"]},
        token=who)
    assert status == 201, registered
    status, red = call("POST", f"{residents}/residents/{registered['id']}/assessments",
                       {"domain": "elderly", "answers": answers(rubric, highest)}, token=who)
    assert (status, red["resident_card"]) == (201, "red"), red
    return station["id"], registered["id"], who


def settled(services: RunningServices) -> bool:
    """Nothing left to publish or to consume on either side of this deployment."""
    for name in ("residents", "casework"):
        checks = call("GET", f"{services.url(name)}/api/v1/{name}/health")[1]["checks"]
        if checks["relay"]["lag"] or any(i["lag"] for i in checks["inboxes"].values()):
            return False
    return True


def test_two_deployments_on_one_vhost_each_follow_up_only_their_own_red_resident(
        service_env, tmp_path):
    env = {k: v for k, v in service_env.items() if k != "STATION_DEPLOYMENT"}
    running = {}
    try:
        for label in ("east", "west"):
            data = tmp_path / label
            data.mkdir()
            running[label] = RunningServices({**env, "STATION_DATA_DIR": str(data)}, str(data))
            running[label].start("residents", "casework")
        names = {label: deployment.derive(str(tmp_path / label), None) for label in running}
        assert names["east"] != names["west"]
        reds = {label: red_resident(services) for label, services in running.items()}
        worklists = {}
        for label, (station, resident, who) in reds.items():
            base = f"{running[label].url('casework')}/api/v1/followups?station_id={station}"
            wait_until(lambda: any(i["resident_id"] == resident and i["card"] == "red"
                                   for i in call("GET", base, token=who)[1]["items"]),
                       timeout=90, what=f"{label}'s Red follow-up")
        for label, services in running.items():
            wait_until(lambda: settled(services), timeout=60, what=f"{label} settled")
        for label, (station, resident, who) in reds.items():
            base = f"{running[label].url('casework')}/api/v1/followups?station_id={station}"
            worklists[label] = call("GET", base, token=who)[1]["items"]
    finally:
        for services in running.values():
            services.stop()
    for label, (_, resident, _) in reds.items():
        print(f"\n{label} ({names[label]}): follow-ups for residents "
              f"{sorted({i['resident_id'] for i in worklists[label]})}, own resident {resident}")
        assert {i["resident_id"] for i in worklists[label]} == {resident}
        assert [i["card"] for i in worklists[label]] == ["red"]
        for service in ("residents", "casework"):
            log = (tmp_path / label / f"{service}.log").read_text()
            assert not [word for word in CROSSED if word in log], f"{label} {service} crossed"


def test_station_up_refuses_to_start_a_deployment_that_is_already_running(services, service_env):
    services.env = {**service_env, "STATION_DEPLOYMENT": "twin"}
    services.start("casework")
    settings = Settings(amqp_uri=service_env["AMQP_URI"], deployment="twin")
    with pytest.raises(SystemExit) as refused:
        check_not_running(settings)
    message = str(refused.value)
    assert "'twin' is already running" in message and "STATION_DEPLOYMENT" in message
    check_not_running(Settings(amqp_uri=service_env["AMQP_URI"], deployment="another"))


def test_a_starting_station_up_is_found_before_its_services_consume(service_env):
    """`station up` holds its deployment's lock from before its services start: a second
    one is refused while the first is still starting (no inbox consumed yet)."""
    from station.cli import hold_deployment_lock
    settings = Settings(amqp_uri=service_env["AMQP_URI"], deployment="starting")
    lock = hold_deployment_lock(settings)
    try:
        with pytest.raises(SystemExit) as refused:
            check_not_running(settings)
        assert "'starting' is already running" in str(refused.value)
        with pytest.raises(SystemExit):
            hold_deployment_lock(settings)
        check_not_running(Settings(amqp_uri=service_env["AMQP_URI"], deployment="another"))
    finally:
        lock.release()
    check_not_running(settings)             # released: the name is free again
    hold_deployment_lock(settings).release()
