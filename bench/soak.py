"""The fault soak: the fault suite's scenarios (tests/faults) with longer loads.

    .venv/bin/python bench/soak.py [--threads 3] [--warmup 40] [--after 30]
                                   [--only "PostgreSQL restarted"]

Starts a private RabbitMQ node and a private PostgreSQL cluster (tests/faults/infra.py:
never the machine's own, which others use), the five services on them as separate
processes, then runs each scenario in a station of its own: the driver's mixed workload
through the HTTP API, the fault once `--warmup` commands have ended, `--after` seconds
more load, then the wait for reporting and the verdict. Prints the table (Markdown) to
stdout and one JSON object per scenario to stderr. Not in CI (minutes per scenario);
exits 1 when any row shows a loss, a double, a half-applied command or another problem.
Run as root (the private instances need it), from the repository root.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.faults import checks, infra, scenarios  # noqa: E402
from tests.faults.plant import Plant  # noqa: E402

NAMES = ["none", *scenarios.SCENARIOS, scenarios.REPORTING_DOWN]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--after", type=float, default=30.0)
    parser.add_argument("--only", action="append", choices=NAMES)
    args = parser.parse_args()
    why = infra.available()
    if why:
        print(f"soak: cannot run here: {why}", file=sys.stderr)
        return 2
    load = scenarios.Load(threads=args.threads, warmup=args.warmup, after=args.after)
    rabbit, postgres = infra.PrivateRabbit(), infra.PrivatePostgres()
    data_dir = tempfile.mkdtemp(prefix="soak-")
    plant, rows = None, []
    try:
        rabbit.start()
        postgres.start()
        plant = Plant(rabbit, postgres, data_dir).start()
        for serial, name in enumerate(NAMES, start=1):
            if args.only and name not in args.only:
                continue
            print(f"soak: {name} ...", file=sys.stderr)
            row = scenarios.run(plant, name, serial, load)
            rows.append(row)
            print(json.dumps(dataclasses.asdict(row), ensure_ascii=False), file=sys.stderr)
    finally:
        if plant:
            plant.close()
        rabbit.close()
        postgres.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(checks.table(rows))
    for row in rows:
        for problem in row.problems:
            print(f"- {row.scenario}: {problem}")
    bad = [r for r in rows if r.lost or r.doubled or r.half or r.problems
           or r.reflected != r.accepted]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
