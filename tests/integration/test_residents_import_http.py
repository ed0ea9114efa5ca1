"""POST /api/v1/imports/residents and its template through HTTP (issue 22), with
`station serve residents` on the real broker, each station's people with their own
tokens: scoped (another station's head 404, a social worker 403), 413 for a file too
large, a dry run writing nothing, the import, the same file again 0 new, the refused
rows as a workbook with a 问题 column, a formula stored as the text it was."""
from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from openpyxl import load_workbook

from shared.exports import XLSX_TYPE

from tests.integration.test_residents_http import Store
from tests.support.auth import People, call
from tests.support.harness import wait_until
from tests.support.rosters import STATION, csv_bytes, person, roster, xlsx

pytestmark = pytest.mark.integration
OTHER = "zh-station"
USERS = {"head-a": ("station_head", f"station:{STATION}"),
         "worker-a": ("social_worker", f"station:{STATION}"),
         "head-b": ("station_head", f"station:{OTHER}"),
         "admin": ("district_admin", "district:nanming")}


def upload(base: str, token: str, data: bytes, station_id: str = STATION, dry_run: bool = False,
           content_type: str = XLSX_TYPE, fmt: str = "json") -> tuple[int, object]:
    query = urllib.parse.urlencode({"station_id": station_id, "dry_run": str(dry_run).lower(),
                                    "format": fmt})
    request = urllib.request.Request(f"{base}/api/v1/imports/residents?{query}", data=data,
                                     method="POST", headers={"Content-Type": content_type,
                                                             "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            return response.status, (body if fmt == "xlsx" else json.loads(body))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def download(base: str, token: str, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture
def world(services, service_env, tmp_path):
    services.start("residents")
    base = services.url("residents")
    people = People(service_env)
    store = Store(tmp_path, None)
    try:
        tokens = {u: people.token(base, u, role, scope) for u, (role, scope) in USERS.items()}
        for path, body in (("/api/v1/org/streets", {"district_id": "nanming", "id": "zhonghua",
                                                    "name": "中华南路街道"}),
                           ("/api/v1/org/stations", {"street_id": "zhonghua", "id": OTHER,
                                                     "name": "中华南路街道社工站"}),
                           ("/api/v1/org/communities", {"station_id": OTHER, "id": "zh-1",
                                                        "name": "新华社区"})):
            assert call(base, "POST", path, body, tokens["admin"])[0] == 201
        wait_until(store.all_published, what="the tree published")
        yield base, tokens, store
    finally:
        people.close()


def test_scope_role_and_size_are_checked_before_anything_is_read(world):
    base, t, store = world
    data = xlsx([person(1)])
    before = store.count()
    assert upload(base, t["head-b"], data)[0] == 404              # another station's
    assert upload(base, t["head-a"], data, station_id="nowhere")[0] == 404
    status, body = upload(base, t["worker-a"], data)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    for size in (1_000_001, 8_000_000):   # 8 MB: far more than the socket buffers hold
        status, body = upload(base, t["head-a"], b"x" * size, content_type="text/csv")
        assert status == 413      # not a broken pipe: the service reads what it refuses
        assert "split" in body["error"]["message"] and "拆分" in body["error"]["message_zh"]
    status, body = upload(base, t["head-a"], b"", content_type="text/csv")
    assert status == 400 and "file" in body["error"]["fields"]
    assert store.count() == before


def test_a_dry_run_then_the_import_then_the_same_file_again(world):
    base, t, store = world
    rows, bad = roster(300)
    rows[20] = {**rows[20], "姓名": '=HYPERLINK("http://x.example","点我")'}
    data = xlsx(rows)
    refused = len(bad)
    expected = {"rows": 300, "new": 300 - refused, "unchanged": 0, "updated": 0,
                "refused": refused}

    before = store.count()
    status, report = upload(base, t["head-a"], data, dry_run=True)
    assert status == 200, report
    assert {k: report[k] for k in expected} == expected and report["dry_run"] is True
    assert {e["row"]: e["column"] for e in report["errors"]} == bad
    assert all(e["message"] and e["message_zh"] for e in report["errors"])
    assert store.count() == before                                  # nothing written

    status, refused_book = upload(base, t["head-a"], data, dry_run=True, fmt="xlsx")
    assert status == 200
    sheet = load_workbook(io.BytesIO(refused_book)).active
    assert sheet.cell(row=1, column=11).value == "问题"
    assert sheet.max_row == 1 + refused
    assert store.count() == before

    status, report = upload(base, t["head-a"], data)
    assert status == 200 and {k: report[k] for k in expected} == expected
    status, page = call(base, "GET", f"/api/v1/residents?station_id={STATION}&page_size=500",
                        token=t["head-a"])
    assert page["total"] == 300 - refused
    assert sum(1 for r in page["items"] if r["card"]) == sum(
        1 for i, r in enumerate(rows) if r["卡色"] and i + 2 not in bad)
    formula = next(r for r in page["items"] if r["name"].startswith("="))
    assert formula["name"] == '=HYPERLINK("http://x.example","点我")'   # text, as written

    written = store.count()
    status, again = upload(base, t["head-a"], csv_bytes(rows), content_type="text/csv")
    assert status == 200
    assert (again["new"], again["unchanged"], again["refused"]) == (0, 300 - refused, refused)
    assert store.count() == written


def test_the_template_has_the_stations_communities_and_is_scoped(world):
    base, t, _ = world
    status, data = download(base, t["head-a"],
                            f"/api/v1/imports/residents/template.xlsx?station_id={STATION}")
    assert status == 200
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "姓名" and sheet["E2"].value == "南明堂社区"
    assert any("观风台社区" in (v.formula1 or "") for v in sheet.data_validations.dataValidation)
    assert download(base, t["head-b"],
                    f"/api/v1/imports/residents/template.xlsx?station_id={STATION}")[0] == 404
    assert download(base, t["head-b"], "/api/v1/imports/residents/template.xlsx")[0] == 200
