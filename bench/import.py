"""How long a roster import takes through the command (issue 22 asks for 10,000 residents
in under 60 s on this 2-core machine).

    python bench/import.py [--rows 10000] [--keep] [--postgres URL]

Writes a roster of `--rows` distinct, valid residents (every column filled, three in four
with a card) as XLSX with openpyxl, then runs, on a fresh SQLite data directory:

1. `station import residents FILE --station xihulu-station` (the import: every row new);
2. the same command again (every row unchanged: 0 new).

With `--postgres postgresql://postgres@127.0.0.1:5432/postgres` the store is a fresh
database made on that server (dropped afterwards) instead of SQLite.

Each is timed from the command to its exit (the process's start, reading the workbook,
checking, writing and the summary line), with the CPU time the command used (its
children's rusage) beside it: on a machine shared with other work the wall time grows
with the load, the CPU time much less. Prints one JSON object; the command's progress
goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook  # noqa: E402

from services.residents.idnumber import check_char  # noqa: E402

STATION = "xihulu-station"
COMMUNITIES = ("南明堂社区", "观风台社区", "西湖路社区", "梭石巷社区", "官井路社区", "盛世花城社区",
               "东笙巷社区")
CATEGORIES = ("独居、低保", "空巢", "残疾、低保", "特困", "独居", "")


def roster(rows: int, path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "性别", "出生日期", "社区", "类别", "电话", "住址", "卡色", "备注"])
    for i in range(rows):
        year, month, day = 1930 + i % 60, 1 + (i // 60) % 12, 1 + (i // 720) % 28
        birth, seq = f"{year}{month:02d}{day:02d}", f"{(i // 20160) % 10}{i % 100:02d}"
        body = f"52010{2 + (i // 1000) % 8}{birth}{seq}"
        number = body + check_char(body)
        sheet.append([f"居民{i:05d}", number, "男" if int(seq[-1]) % 2 else "女",
                      f"{year}-{month:02d}-{day:02d}", COMMUNITIES[i % 7], CATEGORIES[i % 6],
                      f"139{i:08d}", f"{COMMUNITIES[i % 7]} {i % 40} 栋", ["红", "蓝", "绿", ""][i % 4],
                      ""])
    book.save(path)


def timed(args: list[str], env: dict) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "station.cli", *args], env=env,
                          stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "exit": done.returncode,
            "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server to make a fresh database on (else SQLite)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "STATION_DATA_DIR", "STATION_LOOKUP_KEY")}
    env["LOG_LEVEL"] = "WARNING"
    database = fresh_database(args.postgres) if args.postgres else None
    if database:
        env["DATABASE_URL"] = database[0]
    try:
        path = work / "roster.xlsx"
        roster(args.rows, path)
        command = ["import", "residents", str(path), "--station", STATION,
                   "--data-dir", str(work / "data")]
        load_before = os.getloadavg()
        first = timed(command, env)
        again = timed(command, env)
        print(json.dumps({
            "rows": args.rows, "file_bytes": path.stat().st_size,
            "store": "postgresql" if database else "sqlite",
            "import": {**first, "rows_per_s": round(args.rows / first["wall_s"], 1)},
            "reimport": again,
            "goal_s": 60, "met": first["wall_s"] < 60 and first["exit"] == 0,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
        }, ensure_ascii=False, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        if database:
            database[1]()


def fresh_database(server: str):
    """(url of a new database on `server`, a function that drops it)."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import sqlalchemy as sa

    from shared import db
    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(db.normalise_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return urlunsplit(urlsplit(server)._replace(path="/" + name)), drop


if __name__ == "__main__":
    main()
