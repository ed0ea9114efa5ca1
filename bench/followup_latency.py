"""How long a Red card takes to become a casework follow-up, by events alone.

    python bench/followup_latency.py [--residents 20]

Starts the residents and casework services (`station serve`, SQLite files in a temporary
directory, the broker at AMQP_URI in a fresh virtual host when rabbitmqctl is at hand),
registers residents, grades each Green and then Red, and times from the Red assessment's
HTTP answer until casework's worklist shows the resident's Red follow-up. Prints one JSON
object; progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date

from scratch import free_port, vhost_uri  # bench/scratch.py
from station.demo import Api, answers_for, id_number

STATION = "xihulu-station"


def start(name: str, env: dict, data_dir: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "serve", name, "--port",
                             str(port), "--data-dir", data_dir], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            Api(port).call("GET", f"/api/v1/{name}/ping")
            return proc, port
        except (OSError, RuntimeError):
            time.sleep(0.2)
    raise SystemExit(f"{name} did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=20)
    args = parser.parse_args()
    base = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    amqp_uri, vhost = vhost_uri(base)
    data_dir = tempfile.mkdtemp(prefix="bench-followup-")
    env = {**os.environ, "AMQP_URI": amqp_uri, "STATION_DATA_DIR": data_dir, "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    procs = []
    try:
        from shared.security import users
        users.open_users({"STATION_DATA_DIR": data_dir}).add(
            "bench-head", "bench-password", "station_head", [f"station:{STATION}"])
        residents_proc, residents_port = start("residents", env, data_dir)
        casework_proc, casework_port = start("casework", env, data_dir)
        procs += [residents_proc, casework_proc]
        people = Api(residents_port).as_user("bench-head", "bench-password")
        work = Api(casework_port, people.token)
        rubric = next(r for r in people.call("GET", "/api/v1/rubrics")["items"]
                      if r["domain"] == "elderly")
        latencies = []
        for i in range(args.residents):
            birth = date(1940, 1 + i % 12, 1 + i % 28)
            rid = people.call("POST", "/api/v1/residents", {
                "station_id": STATION, "community_id": "nanmingtang", "name": "测试",
                "gender": "female", "birth_date": birth.isoformat(),
                "id_number": id_number(birth, 500 + i, False), "categories": ["living_alone"]})["id"]
            people.call("POST", f"/api/v1/residents/{rid}/assessments",
                        {"domain": "elderly", "answers": answers_for(rubric, "green")})
            people.call("POST", f"/api/v1/residents/{rid}/assessments",
                        {"domain": "elderly", "answers": answers_for(rubric, "red")})
            started = time.perf_counter()
            while True:
                page = work.call("GET", f"/api/v1/followups?station_id={STATION}&status=due"
                                        f"&page_size=500")
                if any(f["resident_id"] == rid and f["card"] == "red" for f in page["items"]):
                    break
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"no Red follow-up for resident {i} after 60 s")
                time.sleep(0.01)
            latencies.append((time.perf_counter() - started) * 1000)
            print(f"[bench] resident {i + 1}/{args.residents}: {latencies[-1]:.0f} ms",
                  file=sys.stderr)
        ordered = sorted(latencies)
        print(json.dumps({
            "red_card_to_followup_ms": {
                "n": len(ordered), "p50": round(statistics.median(ordered), 1),
                "p95": round(ordered[math.ceil(len(ordered) * 0.95) - 1], 1),  # nearest rank
                "max": round(ordered[-1], 1)},
            "meta": {"stores": "SQLite", "polling_interval_ms": 10, "cpu_count": os.cpu_count(),
                     "measured_from": "the Red assessment's HTTP answer",
                     "measured_to": "casework's worklist listing the Red follow-up"}}, indent=1))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        if vhost:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False)


if __name__ == "__main__":
    main()
