"""The smaller holes, through HTTP on the running residents service: extreme dates are a
400 (not a 500 OverflowError), a NUL in a name is a 400 that stores nothing, every
answer carries nosniff / no framing / no-store, and the store files are the owner's
alone."""
from __future__ import annotations

import stat
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from shared import db
from services.residents.idnumber import check_char
from tests.support.auth import People, call

pytestmark = pytest.mark.integration

STATION = "station:xihulu-station"
EXTREME = urllib.parse.quote("9999-12-31T23:59:59-23:59")


@pytest.fixture
def residents(services, service_env):
    services.start("residents")
    people = People(service_env)
    base = services.url("residents")
    yield base, people.token(base, "head-a", "station_head", STATION), people.token(
        base, "audit-a", "auditor", STATION)
    people.close()


def test_extreme_dates_nul_and_headers(residents, tmp_path):
    base, token, auditor = residents
    status, body = call(base, "GET", f"/api/v1/residents/no-such-id/history?as_of={EXTREME}",
                        token=token)
    assert status == 400 and "as_of" in body["error"]["fields"], body
    status, body = call(base, "GET", "/api/v1/residents/access-digest?station_id=xihulu-station"
                        "&week=9999-W52", token=auditor)
    assert status == 400 and "week" in body["error"]["fields"], body

    status, body = call(base, "POST", "/api/v1/residents", {
        "station_id": "xihulu-station", "community_id": "nanmingtang", "name": "王\u0000秀英",
        "gender": "female", "birth_date": "1938-05-02",
        "id_number": "52010219380502122" + check_char("52010219380502122")}, token)
    assert status == 400 and "name" in body["error"]["fields"], body
    assert "控制字符" in body["error"]["fields"]["name"][0]
    status, body = call(base, "GET", "/api/v1/residents", token=token)
    assert status == 200 and body["items"] == []                  # nothing was stored

    request = urllib.request.Request(base + "/api/v1/residents",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"

    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    stores = sorted(tmp_path.glob("*.db*"))
    assert any(p.name == "residents.db" for p in stores) and any(
        p.name.endswith("-wal") for p in stores)
    for path in stores:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_an_existing_store_and_directory_are_narrowed_to_the_owner(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    old = data / "casework.db"
    old.write_bytes(b"")
    old.chmod(0o644)
    data.chmod(0o755)
    url = db.store_url("casework", None, data)
    assert url.endswith("casework.db")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    fresh = Path(db.store_url("reporting", None, data).removeprefix("sqlite:///"))
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_a_whole_number_given_as_a_fraction_or_in_other_digits_is_a_400(services,
                                                                        service_env):
    """issue 20, item 7: `1.5` months stored as 1, "１０" read as 10; now each a 400
    naming the field, and the rhythm stays as it was."""
    services.start("residents")
    people = People(service_env)
    base = services.url("residents")
    admin = people.token(base, "admin-a", "district_admin", "district:nanming")
    path = "/api/v1/org/stations/xihulu-station/reassessment"
    _, before = call(base, "GET", "/api/v1/org", token=admin)
    for body, field, chinese in (({"red": 1.5, "blue": 3, "green": 12}, "red", "整数"),
                                 ({"red": 1, "blue": "１０", "green": 12}, "blue", "半角数字"),
                                 ({"red": 1, "blue": 3, "green": "٣"}, "green", "半角数字")):
        status, refused = call(base, "PUT", path, body, token=admin)
        assert status == 400, refused
        assert chinese in refused["error"]["fields"][field][0], refused
    assert call(base, "GET", "/api/v1/org", token=admin)[1] == before
    status, done = call(base, "PUT", path, {"red": 2, "blue": 3, "green": 12}, token=admin)
    assert (status, done["reassessment_months"]["red"]) == (200, 2), done
    people.close()
