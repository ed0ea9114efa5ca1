"""Logs are JSON lines with bound context, and personal fields never reach them."""
import io
import json

import structlog

from shared import logs


def test_bound_context_is_logged_and_personal_fields_are_redacted():
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    structlog.contextvars.bind_contextvars(correlation_id="c-1")
    try:
        logs.get("t").info("resident.registered", resident_id="r-9", name="张三",
                           id_number="520102195001011234", phone="13812345678")
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["correlation_id"] == "c-1" and line["resident_id"] == "r-9"
    assert line["event"] == "resident.registered"
    assert "张三" not in stream.getvalue() and "520102195001011234" not in stream.getvalue()
    assert line["name"] == line["id_number"] == line["phone"] == "[redacted]"
