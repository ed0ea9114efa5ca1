"""`station import residents FILE --station ID [--dry-run]` on a SQLite data directory
(issue 22): a 300-row roster with bad rows of each kind and a person of another station;
the dry run leaves every store untouched; the import writes the rest; the same file
again answers 0 new; a corrected file updates by correction events and exits 0."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from shared.stores import engine_for, open_store
from services.residents import commands as c
from services.residents import handlers
from station import catalog

from tests.support.rosters import STATION, roster, xlsx

pytestmark = pytest.mark.integration
OTHER = "zh-station"


def station(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STATION_DATA_DIR")}
    return subprocess.run([sys.executable, "-m", "station.cli", *args, "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)


def counts(tmp_path) -> dict[str, int]:
    """Rows of every table the import could write: events, keys, read models."""
    engine = engine_for("residents", {"STATION_DATA_DIR": str(tmp_path)})
    try:
        with engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                    for t in ("events", "resident_keys", "residents_view")}
    finally:
        engine.dispose()


def events(tmp_path, *types: str) -> list:
    engine = engine_for("residents", {"STATION_DATA_DIR": str(tmp_path)})
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT type, actor, correlation_id, payload FROM events WHERE type IN :t "
                "ORDER BY id").bindparams(sa.bindparam("t", expanding=True)),
                {"t": list(types)}).fetchall()
    finally:
        engine.dispose()


def add_other_station(tmp_path) -> None:
    store = open_store("residents", {"STATION_DATA_DIR": str(tmp_path)},
                       catalog.registry("residents"), catalog.projections("residents"))
    now = datetime.now(timezone.utc)
    try:
        handlers.seed_org(store, now)
        for command in (c.AddStreet(street_id="zhonghua", district_id="nanming", name="中华南路街道"),
                        c.AddStation(station_id=OTHER, street_id="zhonghua", name="中华南路街道社工站"),
                        c.AddCommunity(community_id="zh-1", station_id=OTHER, name="新华社区")):
            handlers.handle(store, command, now)
    finally:
        store.engine.dispose()


def test_import_dry_run_reimport_and_corrections_through_the_command(tmp_path):
    rows, bad = roster(300)
    add_other_station(tmp_path)
    elsewhere = tmp_path / "elsewhere.xlsx"
    elsewhere.write_bytes(xlsx([{**rows[299], "社区": "新华社区"}]))
    done = station(tmp_path, "import", "residents", str(elsewhere), "--station", OTHER)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (
        0, "1 rows: 1 new, 0 unchanged, 0 updated, 0 refused"), done.stderr
    bad[301] = "身份证号"   # registered at the other station
    roster_file = tmp_path / "roster.xlsx"
    roster_file.write_bytes(xlsx(rows))
    summary = f"300 rows: {300 - len(bad)} new, 0 unchanged, 0 updated, {len(bad)} refused"

    # A dry run: the whole report, nothing written anywhere.
    before = counts(tmp_path)
    dry = station(tmp_path, "import", "residents", str(roster_file), "--station", STATION,
                  "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert dry.stdout.splitlines()[-1].startswith(summary)
    assert counts(tmp_path) == before

    # The import: every good row written, each refused row printed with its column.
    done = station(tmp_path, "import", "residents", str(roster_file), "--station", STATION)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == summary
    printed = {int(line.split()[1]): line.split(" · ")[1].split(":")[0] for line in lines[:-1]}
    assert printed == bad
    assert "其他社工站" in next(line for line in lines if line.startswith("row 301 "))
    assert OTHER not in done.stdout
    assert "█" in done.stderr                     # the progress bar
    after = counts(tmp_path)
    assert after["residents_view"] == before["residents_view"] + 300 - len(bad)
    registered = events(tmp_path, "ResidentRegistered", "CardAssigned")
    imported = [e for e in registered if e.actor.startswith("cli:")]
    assert len({e.correlation_id for e in imported if e.correlation_id}) == 2   # per import
    assigned = [e for e in imported if e.type == "CardAssigned"]
    assert assigned and all('"override":true' in e.payload.replace(" ", "") for e in assigned)

    # The same file again: nothing new, nothing written.
    again = station(tmp_path, "import", "residents", str(roster_file), "--station", STATION)
    assert again.returncode == 1
    assert again.stdout.splitlines()[-1] == (
        f"300 rows: 0 new, {300 - len(bad)} unchanged, 0 updated, {len(bad)} refused")
    assert counts(tmp_path)["events"] == after["events"]

    # Only the good rows, two of them corrected: named correction events, exit 0.
    good = [r for i, r in enumerate(rows) if i + 2 not in bad]
    good[0] = {**good[0], "电话": "13800000000"}
    good[1] = {**good[1], "社区": "观风台社区"}
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(xlsx(good))
    done = station(tmp_path, "import", "residents", str(fixed), "--station", STATION)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (
        0, f"{len(good)} rows: 0 new, {len(good) - 2} unchanged, 2 updated, 0 refused")
    assert [e.type for e in events(tmp_path, "ResidentUpdated", "ResidentMoved")] == [
        "ResidentUpdated", "ResidentMoved"]


def test_an_unreadable_file_or_an_unknown_station_exits_2(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    done = station(tmp_path, "import", "residents", str(junk), "--station", STATION)
    assert done.returncode == 2 and "XLSX" in done.stderr
    sheet = tmp_path / "one.xlsx"
    sheet.write_bytes(xlsx(roster(300)[0][:1]))
    done = station(tmp_path, "import", "residents", str(sheet), "--station", "nowhere")
    assert done.returncode == 2 and "社工站不存在" in done.stderr
