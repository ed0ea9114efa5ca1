"""`station import organizations|volunteers FILE --station ID [--dry-run]` on a SQLite
data directory (issue 22): the station's communities named as the residents' store
knows them, a dry run writing nothing, refused rows printed in both languages with exit
1, the same file again answering 0 new, and `station events verify` sound after."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from openpyxl import Workbook

from shared.stores import engine_for

from tests.support.rosters import STATION

pytestmark = pytest.mark.integration


def station(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STATION_DATA_DIR")}
    return subprocess.run([sys.executable, "-m", "station.cli", *args, "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)


def sheet(path, headers, rows) -> str:
    book = Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def events(tmp_path) -> int:
    engine = engine_for("activities", {"STATION_DATA_DIR": str(tmp_path)})
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
    finally:
        engine.dispose()


def test_organizations_then_volunteers_through_the_command(tmp_path):
    data = tmp_path / "data"
    orgs = sheet(tmp_path / "orgs.xlsx",
                 ["组织名称", "社区", "类型", "负责人", "培育日期", "成员姓名", "党员", "加入日期"], [
                     ["夕阳红舞蹈队", "南明堂社区", "广场舞", "张桂兰", "2024-03-01", "李秀珍", "是",
                      "2024-03-08"],
                     ["夕阳红舞蹈队", "", "", "", "", "王芳", "否", "2024-04-01"],
                     ["读书会", "火星社区", "读书", "", "", "", "", ""]])
    dry = station(data, "import", "organizations", orgs, "--station", STATION, "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert dry.stdout.splitlines()[-1].startswith("3 rows: 2 new, 0 unchanged, 0 updated, 1 refused")
    assert "row 4 · 社区: 不是本社工站的社区" in dry.stdout and "Not a community" in dry.stdout
    assert events(data) == 0

    done = station(data, "import", "organizations", orgs, "--station", STATION)
    assert done.returncode == 1 and "3 rows: 2 new, 0 unchanged, 0 updated, 1 refused" in done.stdout
    written = events(data)
    assert written == 3    # OrganizationIncubated, MemberJoined ×2

    volunteers = sheet(tmp_path / "vols.xlsx", ["姓名", "电话", "社区", "所属组织"], [
        ["陈志强", "13985000001", "南明堂", "夕阳红舞蹈队"]])
    done = station(data, "import", "volunteers", volunteers, "--station", STATION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "1 rows: 1 new, 0 unchanged, 0 updated, 0 refused"

    again = station(data, "import", "organizations", orgs, "--station", STATION)
    assert "3 rows: 0 new, 2 unchanged, 0 updated, 1 refused" in again.stdout
    again = station(data, "import", "volunteers", volunteers, "--station", STATION)
    assert again.stdout.splitlines()[-1] == "1 rows: 0 new, 1 unchanged, 0 updated, 0 refused"
    assert events(data) == written + 1
    verify = station(data, "events", "verify", "--service", "activities")
    assert verify.returncode == 0 and '"problems": []' in verify.stdout and '"events": 4' in verify.stdout

    unknown = station(data, "import", "volunteers", volunteers, "--station", "nowhere")
    assert unknown.returncode == 2 and "社工站不存在" in unknown.stderr
