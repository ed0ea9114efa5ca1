"""How long the main job takes: `station up` on a fresh data directory until its demo
district is loaded and the end screen printed (issue 15 asks for under five minutes).

    python bench/demo_load.py [--scale 1.0] [--seed 7]

Runs `station up` as a newcomer does (SQLite files in a temporary directory, the broker at
AMQP_URI in a fresh virtual host when rabbitmqctl is at hand), times from the command to
the line that says how to stop it, reads the demo's journal and the end screen, then stops
it with Ctrl-C and times the stop. Prints one JSON object; the screen goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import free_port, vhost_uri  # bench/scratch.py
from station.demo import endscreen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1.0")
    parser.add_argument("--seed", default="7")
    args = parser.parse_args()
    amqp_uri, vhost = vhost_uri(os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    data = Path(tempfile.mkdtemp(prefix="bench-demo-")) / "data"
    env = {**os.environ, "AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING"}
    for key in ("DATABASE_URL", "STATION_DEPLOYMENT", "STATION_JWT_KEYS", "STATION_LOOKUP_KEY"):
        env.pop(key, None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "up", "--port",
                             str(free_port()), "--data-dir", str(data), "--demo-scale",
                             args.scale, "--random-seed", args.seed], env=env,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    screen = []
    try:
        for line in proc.stdout:
            screen.append(line)
            print(line, end="", file=sys.stderr)
            if line.startswith("Ctrl-C"):
                break
        ready_s = time.monotonic() - started
        params = json.loads((data / "demo" / "plan.json").read_text())
        stopping = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=120)
        stop_s = time.monotonic() - stopping
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if vhost:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False)
        shutil.rmtree(data.parent, ignore_errors=True)
    print(json.dumps({
        "scale": float(args.scale), "seed": int(args.seed), "requests": params["steps"],
        "complete": params["complete"], "command_to_end_screen_s": round(ready_s, 1),
        "loading_s": params["seconds"],
        "requests_per_s": round(params["steps"] / params["seconds"], 1),
        "stop_s": round(stop_s, 1), "exit_code": code,
        "figures": endscreen.parse("".join(screen)),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
