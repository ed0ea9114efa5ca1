"""The demo loader against a stand-in edge (no services): answers written down step by
step, a resumed run sends only what was not answered, an answer a step names is filled in,
a tolerated refusal counts as done, and a failing step stops its lane at once."""
from __future__ import annotations

import itertools
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from station.demo.loader import DemoStepFailed, Journal, Loader, Progress
from station.demo.plan import Ref, Step


@pytest.fixture
def edge():
    """Answers POST /api/v1/auth/token with a token, every other POST with a new id;
    paths in `refuse` get their (status, code)."""
    seen, refuse, ids = [], {}, itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path == "/api/v1/auth/token":
                status, answer = 200, {"access_token": "t"}
            elif self.path in refuse:
                status, code = refuse[self.path]
                answer = {"error": {"code": code}}
                seen.append((self.path, body))
            else:
                status, answer = 201, {"id": f"id{next(ids)}", "secret_name": "张三"}
                seen.append((self.path, body))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):          # a data directory with residents of its own
            data = json.dumps({"items": [], "total": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen, refuse
    server.shutdown()


def _steps() -> list[Step]:
    return [Step("a:resident:0", "a", "residents", "w", "POST", "/api/v1/residents", {"n": 0}),
            Step("a:visit:0", "a", "visits", "w", "POST", "/api/v1/visits",
                 {"resident_id": Ref("a:resident:0")}),
            Step("a:confirm:0", "a", "cards", "w", "POST", "/api/v1/residents/{}/confirm", {},
                 (Ref("a:resident:0"),), tolerate=("no_downgrade_pending",)),
            Step("a:visit:1", "a", "visits", "w", "POST", "/api/v1/visits",
                 {"resident_id": Ref("a:resident:0")})]


def _loader(port, tmp_path) -> Loader:
    return Loader(port, {"w": "pw"}, str(tmp_path), say=lambda _line: None,
                  progress_out=open(tmp_path / "progress.txt", "w"))


def _run(loader: Loader, steps: list[Step]) -> dict:
    answers = loader.journal.answers()
    try:
        loader._lane(steps, answers, Progress(len(steps), len(answers), loader.progress_out))
    finally:
        loader.journal.close()
    return answers


def test_refs_are_filled_and_only_the_ids_are_written_down(edge, tmp_path):
    port, seen, refuse = edge
    refuse["/api/v1/residents/id1/confirm"] = (409, "no_downgrade_pending")
    answers = _run(_loader(port, tmp_path), _steps())
    assert [p for p, _ in seen] == ["/api/v1/residents", "/api/v1/visits",
                                    "/api/v1/residents/id1/confirm", "/api/v1/visits"]
    assert seen[1][1] == {"resident_id": "id1"}
    assert answers["a:confirm:0"] == {}               # tolerated: done, nothing to name
    journal = (tmp_path / "demo" / "journal.jsonl").read_text()
    assert "张三" not in journal and len(journal.splitlines()) == 4


def test_a_resumed_run_sends_only_the_steps_not_answered(edge, tmp_path):
    port, seen, _ = edge
    steps = _steps()[:2] + _steps()[3:]
    first = _loader(port, tmp_path)
    _run(first, steps[:2])                             # stopped after two steps
    sent_before = len(seen)
    answers = _run(_loader(port, tmp_path), steps)     # a new process, the same journal
    assert len(seen) == sent_before + 1                # the third step only
    assert seen[-1] == ("/api/v1/visits", {"resident_id": "id1"})   # its ref from the journal
    assert set(answers) == {s.key for s in steps}


def test_a_line_cut_short_by_a_kill_is_not_an_answer(tmp_path):
    journal = Journal(str(tmp_path))
    journal.write("a:resident:0", {"id": "id1"})
    journal.close()
    with open(tmp_path / "demo" / "journal.jsonl", "a") as out:
        out.write('{"key": "a:visit:0", "ans')
    assert journal.answers() == {"a:resident:0": {"id": "id1"}}


def test_a_refused_step_stops_the_lane_and_names_the_step(edge, tmp_path):
    port, seen, refuse = edge
    refuse["/api/v1/visits"] = (400, "invalid")
    with pytest.raises(DemoStepFailed, match="a:visit:0"):
        _run(_loader(port, tmp_path), _steps())
    assert [p for p, _ in seen] == ["/api/v1/residents", "/api/v1/visits"]


def test_a_data_directory_with_other_residents_is_left_alone(edge, tmp_path):
    port, seen, _ = edge
    said = []
    loader = Loader(port, {"demo-district": "pw"}, str(tmp_path), say=said.append)
    assert loader.run(7, 0.05, date(2026, 11, 30)) is None
    assert seen == [] and not (tmp_path / "demo" / "plan.json").exists()
    assert "nothing loaded" in said[-1] and "未加载" in said[-1]
