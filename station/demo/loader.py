"""Send the demo's planned history through the public HTTP API, resumably.

DATA_DIR/demo/plan.json holds what the plan was made from (seed, scale, the day it was
made) and whether it is complete; DATA_DIR/demo/journal.jsonl gets one line per step
answered (its key and the answer's ids that later steps name). A second run reads both:
a complete demo is left alone, a stopped one goes on from its first unanswered step with
the same plan. Ctrl-C (`stopping`) lets the request in flight be answered and written
down, then stops; so a stop between two steps is exact. (A process killed outright
between an answer and its line would send that one step again on resume.)

The organisation tree goes first; then each station's lane runs in a thread of its own
(stations do not depend on each other). Each step is sent once: a service that learns
of a new resident from the residents' events waits for them itself (shared.freshness),
so a step naming a resident registered a moment before is answered as any other.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from station.demo.client import Api, ApiError, Interrupted
from station.demo.plan import Step, plan

# Answer fields a later step may name (the rest of an answer is not kept: no names).
KEPT = ("id", "request_id", "session_id", "stock_id", "state", "status")


@dataclasses.dataclass
class Params:
    seed: int
    scale: float
    today: str
    steps: int = 0
    complete: bool = False
    seconds: float = 0.0

    @property
    def day(self) -> date:
        return date.fromisoformat(self.today)


class Journal:
    """The demo's progress in DATA_DIR/demo: its parameters and the answered steps."""

    def __init__(self, data_dir: str):
        self.dir = Path(data_dir) / "demo"
        self.params_file, self.lines_file = self.dir / "plan.json", self.dir / "journal.jsonl"
        self._lock = threading.Lock()
        self._out = None

    def params(self) -> Params | None:
        if not self.params_file.exists():
            return None
        return Params(**json.loads(self.params_file.read_text()))

    def save(self, params: Params) -> None:
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.params_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(params), indent=1))
        os.replace(tmp, self.params_file)

    def answers(self) -> dict[str, dict]:
        if not self.lines_file.exists():
            return {}
        found = {}
        for line in self.lines_file.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:      # a line cut short by a kill: that step is sent again
                continue
            found[entry["key"]] = entry["answer"]
        return found

    def write(self, key: str, answer: dict) -> None:
        with self._lock:
            if self._out is None:
                self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._out = open(self.lines_file, "a", encoding="utf-8")
            self._out.write(json.dumps({"key": key, "answer": answer}) + "\n")
            self._out.flush()

    def close(self) -> None:
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None


class Progress:
    """A bar on stderr: in place on a terminal, a line every tenth otherwise."""

    def __init__(self, total: int, done: int, out=sys.stderr):
        self.total, self.done, self.out = total, done, out
        self.phase = ""
        self.started, self.first = time.monotonic(), done
        self._lock = threading.Lock()
        self._tty = out.isatty()
        self._last_tenth = -1

    def step(self, phase: str) -> None:
        with self._lock:
            self.done += 1
            self.phase = phase
            self._draw()

    def _draw(self, final: bool = False) -> None:
        share = self.done / self.total if self.total else 1.0
        rate = (self.done - self.first) / max(time.monotonic() - self.started, 1e-6)
        left = (self.total - self.done) / rate if rate > 0 else 0
        bar = "█" * int(share * 30) + "░" * (30 - int(share * 30))
        line = (f"  [{bar}] {self.done}/{self.total} {share:>4.0%}  {rate:5.1f}/s  "
                f"eta {int(left) // 60}m{int(left) % 60:02d}s  {self.phase}")
        if self._tty:
            self.out.write("\r" + line.ljust(110)[:110] + ("\n" if final else ""))
            self.out.flush()
        elif int(share * 10) != self._last_tenth or (final and self._last_tenth != 10):
            self._last_tenth = int(share * 10)
            print(line, file=self.out, flush=True)

    def finish(self) -> None:
        with self._lock:
            self._draw(final=True)


class Loader:
    def __init__(self, port: int, logins: dict[str, str], data_dir: str, stopping=None,
                 say: Callable[[str], None] = print, progress_out=sys.stderr):
        self.port, self.logins = port, logins
        # Ctrl-C (the caller's event) or a lane that failed (ours): every lane stops.
        self.failed = threading.Event()
        self.stopping = _Either(stopping or threading.Event(), self.failed)
        self.say, self.progress_out = say, progress_out
        self.journal = Journal(data_dir)

    def api(self, username: str) -> Api:
        return Api(self.port, stopping=self.stopping).as_user(username, self.logins[username])

    def run(self, seed: int, scale: float, today: date) -> Params | None:
        """Load (or resume, or leave alone) the demo; its parameters, or None when the
        station holds data this loader did not write (then nothing is sent)."""
        params = self.journal.params()
        if params is not None and params.complete:
            self.say(f"  the demo is already loaded (seed {params.seed}, scale {params.scale}, "
                     f"{params.steps} steps, made {params.today}) / 演示数据已存在")
            return params
        admin = self.api("demo-district")
        if params is None:
            if admin.call("GET", "/api/v1/residents?page_size=1")["total"]:
                self.say("  this data directory holds residents the demo did not register: "
                         "nothing loaded / 数据目录中已有非演示数据，未加载演示数据")
                return None
            params = Params(seed, scale, today.isoformat())
            self.journal.save(params)
        elif (params.seed, params.scale) != (seed, scale):
            self.say(f"  resuming the demo begun with seed {params.seed}, scale "
                     f"{params.scale} / 继续此前中断的演示数据")
        rubrics = {r["domain"]: r for r in admin.call("GET", "/api/v1/rubrics")["items"]}
        steps = plan(params.seed, params.scale, params.day, rubrics)
        params.steps = len(steps)
        answers = self.journal.answers()
        if answers:
            self.say(f"  resuming at step {len(answers) + 1} of {len(steps)} / 从中断处继续")
        started = time.monotonic()
        try:
            self._run_lanes(steps, answers)
        finally:
            self.journal.close()
            params.seconds = round(params.seconds + time.monotonic() - started, 1)
            params.complete = all(s.key in answers for s in steps)
            self.journal.save(params)
        return params

    def _run_lanes(self, steps: list[Step], answers: dict[str, dict]) -> None:
        lanes: dict[str, list[Step]] = {}
        for step in steps:
            lanes.setdefault(step.lane, []).append(step)
        progress = Progress(len(steps), sum(1 for s in steps if s.key in answers),
                            self.progress_out)
        first, *rest = lanes
        self._lane(lanes[first], answers, progress)
        errors: list[BaseException] = []

        def lane(name):
            try:
                self._lane(lanes[name], answers, progress)
            except BaseException as exc:  # noqa: B902 - handed to the main thread
                errors.append(exc)
                self.failed.set()   # one lane failing stops the others at their next step
        threads = [threading.Thread(target=lane, args=(name,), daemon=True) for name in rest]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        progress.finish()
        if errors:
            raise next((e for e in errors if not isinstance(e, Interrupted)), errors[0])

    def _lane(self, steps: list[Step], answers: dict[str, dict], progress: Progress) -> None:
        clients: dict[str, Api] = {}
        for step in steps:
            if step.key in answers:
                continue
            if self.stopping.is_set():
                raise Interrupted()
            if step.user not in clients:
                clients[step.user] = self.api(step.user)
            path, body = step.resolved(answers)
            try:
                answer = clients[step.user].call(step.method, path, body)
            except ApiError as exc:
                code = exc.body.get("error", {}).get("code") if isinstance(exc.body, dict) else None
                if code not in step.tolerate:
                    raise DemoStepFailed(step, exc) from None
                answer = {}
            kept = {k: answer[k] for k in KEPT if isinstance(answer, dict) and k in answer}
            answers[step.key] = kept
            self.journal.write(step.key, kept)
            progress.step(step.phase)


class _Either:
    """Set when either event is."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()


class DemoStepFailed(RuntimeError):
    def __init__(self, step: Step, error: ApiError):
        super().__init__(f"demo step {step.key} ({step.method} {step.path}) failed: {error}")
        self.step, self.error = step, error


def local_today() -> date:
    """Today at the stations (China Standard Time), the demo's last day."""
    from services.reporting.periods import LOCAL
    return datetime.now(LOCAL).date()
