"""Organizations with their members, and volunteers, imported into a real activities
store (SQLite and PostgreSQL) from XLSX written by openpyxl: written through the
service's handlers (events, sealed names, read models), a dry run writing nothing, the
same files again answering 0 new, and the hash chains sound afterwards (issue 22)."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from shared import import_sheet
from shared.events import Recorded
from shared.stores import open_store
from services.activities import events, import_run, projections

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 12, 1)
STATION = "st-1"


def xlsx(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def community_added(community_id: str, station_id: str, name: str) -> Recorded:
    return Recorded(f"e-{community_id}", f"community-{community_id}", 1, 1, "CommunityAdded", 1,
                    station_id, NOW.isoformat(), NOW.isoformat(), None, None, None,
                    {"community_id": community_id, "station_id": station_id, "name": name},
                    "", "", None)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    config = {"STATION_DATA_DIR": str(tmp_path)}
    if request.param == "postgres":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    opened = open_store("activities", config, events.registry, projections.projection)
    with opened.engine.begin() as conn:   # what the inbox folds from the residents' events
        for event in (community_added("cm-1", STATION, "南明堂社区"),
                      community_added("cm-2", STATION, "观风台社区"),
                      community_added("cm-9", "st-2", "别站社区")):
            projections.RESIDENT_APPLIERS["CommunityAdded"](conn, event)
    yield opened
    opened.engine.dispose()


def run(store, kind, data, dry_run=False):
    table = import_sheet.read(data, None, import_run.known_header(kind), 1000)
    return import_run.run(store, kind, table, STATION, "head",
                          import_run.communities_of(store.engine, STATION), dry_run=dry_run,
                          today=TODAY, now=NOW).as_dict()


def count(store, sql: str) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(sql).scalar()


ORGS = xlsx(["组织名称", "社区", "类型", "负责人", "培育日期", "成员姓名", "党员", "加入日期"], [
    ["夕阳红舞蹈队", "南明堂社区", "广场舞", "张桂兰", "2024-03-01", "李秀珍", "是", "2024-03-08"],
    ["夕阳红舞蹈队", "", "", "", "", "王芳", "否", ""],
    ["书法社", "观风台", "书法", "", "2024-04-01", "", "", ""],
    ["棋社", "别站社区", "棋类", "", "", "", "", ""],          # another station's community
])
VOLUNTEERS = xlsx(["姓名", "电话", "社区", "所属组织", "登记日期"], [
    ["陈志强", "13985000001", "南明堂社区", "夕阳红舞蹈队", "2024-05-01"],
    ["刘洋", "13985000002", "", "", ""],
    ["刘洋", "13985000002", "", "", ""],                        # twice: both refused
])


def test_organizations_then_volunteers_a_dry_run_and_the_same_files_again(store):
    dry = run(store, "organizations", ORGS, dry_run=True)
    assert (dry["new"], dry["refused"], dry["dry_run"]) == (3, 1, True)
    assert count(store, "SELECT count(*) FROM events") == 0
    assert count(store, "SELECT count(*) FROM organizations") == 0

    done = run(store, "organizations", ORGS)
    assert {k: done[k] for k in ("rows", "new", "unchanged", "updated", "refused")} == {
        "rows": 4, "new": 3, "unchanged": 0, "updated": 0, "refused": 1}
    assert [(e["row"], e["column"]) for e in done["errors"]] == [(5, "社区")]
    with store.engine.connect() as conn:
        O, M = projections.organizations, projections.members
        orgs = {r.name: r for r in conn.execute(sa.select(O))}
        assert set(orgs) == {"夕阳红舞蹈队", "书法社"}
        dance = orgs["夕阳红舞蹈队"]
        assert (dance.community_id, dance.type, dance.leader, dance.members,
                dance.party_members, dance.incubated_on) == (
            "cm-1", "dance", "张桂兰", 2, 1, "2024-03-01")
        assert orgs["书法社"].community_id == "cm-2"
        members = {r.name: r for r in conn.execute(sa.select(M))}
        assert members["李秀珍"].joined_on == "2024-03-08" and members["王芳"].joined_on == "2026-12-01"
        actors = set(conn.exec_driver_sql("SELECT DISTINCT actor FROM events").scalars())
        correlations = set(conn.exec_driver_sql(
            "SELECT DISTINCT correlation_id FROM events").scalars())
        payloads = " ".join(conn.exec_driver_sql("SELECT payload FROM events").scalars())
    assert actors == {"head"} and len(correlations) == 1
    assert "李秀珍" not in payloads and "张桂兰" not in payloads   # sealed in the events

    vols = run(store, "volunteers", VOLUNTEERS)
    assert (vols["new"], vols["refused"]) == (1, 2)
    with store.engine.connect() as conn:
        [volunteer] = conn.execute(sa.select(projections.volunteers)).all()
    assert (volunteer.name, volunteer.phone, volunteer.community_id,
            volunteer.organization_id) == ("陈志强", "13985000001", "cm-1",
                                           dance.organization_id)

    written = count(store, "SELECT count(*) FROM events")
    again = run(store, "organizations", ORGS)
    assert (again["new"], again["unchanged"], again["refused"]) == (0, 3, 1)
    again = run(store, "volunteers", VOLUNTEERS)
    assert (again["new"], again["unchanged"]) == (0, 1)
    assert count(store, "SELECT count(*) FROM events") == written
    assert store.verify() == []


def test_a_row_whose_organization_cannot_be_made_refuses_the_rows_joining_it(store):
    """The check passed, the write refused (a date in the future by the domain's clock:
    the importer's `today` ahead of `now`): the organization's other rows say why."""
    data = xlsx(["组织名称", "社区", "类型", "培育日期", "成员姓名", "加入日期"], [
        ["新队", "南明堂", "广场舞", "2026-12-03", "甲", "2026-12-04"],
        ["新队", "", "", "", "乙", "2026-12-04"],
        ["好队", "南明堂", "广场舞", "2026-11-01", "丙", "2026-11-01"]])
    table = import_sheet.read(data, None, import_run.known_header("organizations"), 100)
    report = import_run.run(store, "organizations", table, STATION, "head",
                            import_run.communities_of(store.engine, STATION), dry_run=False,
                            today=date(2026, 12, 5), now=NOW).as_dict()
    assert (report["new"], report["refused"]) == (1, 2)
    first, second = report["errors"]
    assert first["row"] == 2 and first["message_zh"]
    assert second["row"] == 3 and second["message_zh"] == "该组织未能建立（见第 2 行）"
    assert count(store, "SELECT count(*) FROM organizations") == 1
