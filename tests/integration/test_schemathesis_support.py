"""The schemathesis helper, run over a small documented service in its own process: it
probes every operation with the token, finds the 500 and the body outside its schema,
and nothing where the service keeps what its document promises."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import free_port
from tests.support.harness import REPO, wait_until
from tests.support.openapi_probe import TOKEN
from tests.support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.integration


@pytest.fixture
def probe(service_env, tmp_path):
    port = free_port()
    with open(tmp_path / "probe.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.run", "tests.support.openapi_probe:Probe",
             str(port)], env={**service_env, "PYTHONPATH": REPO}, cwd=REPO,
            stdout=subprocess.PIPE, stderr=log)
    try:
        assert b"ready" in proc.stdout.readline(), f"probe did not start; see {tmp_path}/probe.log"
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _get(f"{base}/api/v1/probe/seen"), timeout=30, what="probe answers")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def test_schemathesis_finds_the_server_error_and_the_body_outside_its_schema_only(probe):
    findings = run_schemathesis(probe, f"{probe}/api/v1/probe/openapi.json", TOKEN,
                                max_examples=10)

    assert [(f.operation, f.check) for f in findings] == [
        ("GET /api/v1/probe/broken/crash", "not_a_server_error"),
        ("GET /api/v1/probe/broken/shape", "response_schema_conformance"),
    ], "\n\n".join(map(str, findings))
    assert '"many" is not of type "integer"' in findings[1].detail


def test_schemathesis_sends_the_token_and_probes_each_operation_with_many_requests(probe):
    run_schemathesis(probe, f"{probe}/api/v1/probe/openapi.json", TOKEN, max_examples=5,
                     modes=("positive",))

    seen = _get(f"{probe}/api/v1/probe/seen")
    assert seen["refused"] == 0            # positive requests all carry the token
    assert seen["authorized"] >= 3 * 2     # three guarded operations, several examples each
