"""A micro-wish (微心愿) through its whole life on the real broker and PostgreSQL, with
`station serve residents` and `station serve resources` in subprocesses:

a resident's need recorded in the residents service reaches resources by event; a wish
is posted from it, claimed by a partner, delivered — and the residents service marks
the need met on resources' WishDelivered, with no call between the two — then closed
with thanks. The resident's timeline (`station audit resident`) shows it all, in order,
its hash chains verified. A second wish past its date expires once, however often the
clock asks."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from shared.security.erasure import is_encrypted
from shared.stores import open_store

from services.residents.idnumber import check_char
from services.resources.events import registry as resources_registry
from services.resources.handlers import today
from tests.integration.casework_support import token
from tests.support.auth import call, service_rpc
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

STATION = "xihulu-station"
WORKER = token("worker-1", "social_worker", f"station:{STATION}")
BIRTH = "19400101"
REGISTRATION = {"station_id": STATION, "community_id": "nanmingtang", "name": "李桂兰",
                "gender": "female", "birth_date": "1940-01-01",
                "id_number": "520102" + BIRTH + "124" + check_char("520102" + BIRTH + "124"),
                "categories": ["living_alone"]}


def ok(base: str, method: str, path: str, body: dict | None = None) -> dict:
    status, answer = call(base, method, "/api/v1" + path, body, token=WORKER)
    assert status in (200, 201), (method, path, answer)
    return answer


def need_status(residents: str, resident_id: str, need_id: str) -> str | None:
    page = ok(residents, "GET", f"/needs?resident_id={resident_id}&status=all")
    return next((n["status"] for n in page["items"] if n["id"] == need_id), None)


def test_a_micro_wish_from_need_to_thanks_marks_the_need_met_by_event(
        services, service_env, database_url, tmp_path):
    services.start("residents", "resources")
    residents, resources = services.url("residents"), services.url("resources")
    resident_id = ok(residents, "POST", "/residents", REGISTRATION)["id"]
    need_id = ok(residents, "POST", f"/residents/{resident_id}/needs", {
        "category": "daily_care", "urgency": "high", "description": "冬天缺棉衣"})["id"]

    # resources learns the need from NeedRecorded (404 until then)
    wait_until(lambda: call(resources, "GET", f"/api/v1/matches/suggestions?need_id={need_id}",
                            token=WORKER)[0] == 200, what="resources learned the need")
    partner = ok(resources, "POST", "/partners", {
        "station_id": STATION, "name": "贵阳一中", "type": "school",
        "community_id": "nanmingtang", "categories": ["daily_care"]})["id"]
    suggested = ok(resources, "GET", f"/matches/suggestions?need_id={need_id}")
    assert [(s["kind"], s["id"]) for s in suggested["items"]] == [("partner", partner)]

    expires = (today(datetime.now(timezone.utc)) + timedelta(days=14)).isoformat()
    wish = ok(resources, "POST", "/wishes", {"resident_id": resident_id, "need_id": need_id,
                                             "title": "一件棉衣", "expires_on": expires})
    assert wish["state"] == "posted"
    wish_id = wish["id"]
    assert ok(resources, "POST", f"/wishes/{wish_id}/claim",
              {"partner_id": partner})["state"] == "claimed"
    assert need_status(residents, resident_id, need_id) == "open"
    assert ok(resources, "POST", f"/wishes/{wish_id}/deliver",
              {"note": "学生代表上门送达"})["state"] == "delivered"

    wait_until(lambda: need_status(residents, resident_id, need_id) == "met",
               what="the residents service marked the need met")
    closed = ok(resources, "POST", f"/wishes/{wish_id}/close", {"thanks": "谢谢同学们"})
    assert (closed["state"], closed["version"]) == ("closed", 4)
    status, again = call(resources, "POST", f"/api/v1/wishes/{wish_id}/deliver", {},
                         token=WORKER)
    assert (status, again["error"]["code"]) == (409, "illegal_transition")

    # The need was met BY the event: NeedMet is caused by WishDelivered.
    config = {"DATABASE_URL": database_url, "STATION_DATA_DIR": str(tmp_path)}
    store = open_store("resources", config, resources_registry)
    delivered = next(e for e in store.read_stream(f"wish-{wish_id}")
                     if e.type == "WishDelivered")
    store.engine.dispose()

    audit = subprocess.run(
        [sys.executable, "-m", "station.cli", "audit", "resident", resident_id,
         "--data-dir", str(tmp_path)], env=service_env, capture_output=True, text=True,
        timeout=120)
    assert audit.returncode == 0, audit.stderr
    # The services that never ran here get dev signing keys at this command, each with a
    # `security.dev_key_created` warning printed to stdout before the JSON (reported).
    timeline = json.loads(audit.stdout[audit.stdout.index("{\n"):])
    assert timeline["verified"] is True
    mine = [(e["service"], e["type"]) for e in timeline["events"]
            if e["type"].startswith(("Wish", "Need"))]
    assert mine == [("residents", "NeedRecorded"), ("resources", "WishPosted"),
                    ("resources", "WishClaimed"), ("resources", "WishDelivered"),
                    ("residents", "NeedMet"), ("resources", "WishClosed")]
    met = next(e for e in timeline["events"] if e["type"] == "NeedMet")
    # the note is text about the resident: sealed with their key (issue 20)
    assert met["payload"]["need_id"] == need_id and is_encrypted(met["payload"]["note"])
    assert met["actor"] == "worker-1"
    assert REGISTRATION["name"] not in audit.stdout
    assert delivered.payload["need_id"] == need_id

    # The expiry check runs on the service's clock (no caller chooses the time): a wish
    # of today is not past its date yet. (Expiring once: tests of handlers.expire_wishes.)
    soon = today(datetime.now(timezone.utc)).isoformat()
    late = ok(resources, "POST", "/wishes", {"resident_id": resident_id, "title": "一台收音机",
                                             "expires_on": soon})["id"]
    with service_rpc(service_env["AMQP_URI"]) as rpc:
        assert late not in rpc.resources.expire_wishes()["expired"]
    assert ok(resources, "GET", f"/wishes/{late}")["state"] != "expired"
