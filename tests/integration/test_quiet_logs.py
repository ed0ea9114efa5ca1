"""Must show (issue 10, item 6): an expected client error is one structured line at info,
no traceback; the service's start says nothing of eventlet's deprecation or alembic."""
from __future__ import annotations

import json

import pytest

from tests.integration.casework_support import call, token

pytestmark = pytest.mark.integration


def test_a_404_is_one_info_line_without_a_traceback(services, service_env, tmp_path):
    service_env["LOG_LEVEL"] = "INFO"
    services.start("casework")
    base = f"{services.url('casework')}/api/v1"
    for _ in range(3):
        status, body = call("GET", f"{base}/cases/no-such-case", token=token())
        assert (status, body["error"]["code"]) == (404, "not_found")
    status, _ = call("GET", f"{base}/cases/no-such-case")
    assert status == 401
    services.stop("casework")  # flushes the log
    text = (tmp_path / "casework.log").read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    refused = [line for line in lines if line.get("event") == "http.refused"]
    assert [(r["status"], r["level"]) for r in refused] == [(404, "info")] * 3 + [(401, "info")]
    assert refused[0]["route"] == "/api/v1/cases/<string:case_id>"  # the route, never the ids in a path
    for noise in ("Traceback", "error handling worker", "EventletDeprecationWarning",
                  "Context impl"):
        assert noise not in text, noise
