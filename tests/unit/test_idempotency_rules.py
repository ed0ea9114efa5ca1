"""The pure rules of Idempotency-Key: what a key may look like, what "the same request"
is, and what a repeat gets from its key's row."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from shared.errors import ValidationFailed
from shared.events import iso
from shared.idempotency import (BUSY, LEASE, LOST, REPLAY, REUSED, TAKE_OVER, check_key,
                                decide, fingerprint, retention)

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def row(print_="p", status=None, applied=0, age=timedelta(0)):
    return SimpleNamespace(fingerprint=print_, status=status, applied=applied,
                           updated_at=iso(NOW - age))


@pytest.mark.parametrize("key", ["a", "0f3c-uuid-like", "x" * 200, "with inner space"])
def test_a_key_of_printable_ascii_is_taken_as_sent(key):
    assert check_key(key) == key


@pytest.mark.parametrize("key", ["", " ", " lead", "trail ", "x" * 201, "键", "tab\there"])
def test_another_key_is_a_bilingual_400(key):
    with pytest.raises(ValidationFailed) as bad:
        check_key(key)
    assert bad.value.status == 400 and bad.value.message_zh


def test_the_same_request_is_the_same_method_path_query_and_body_bytes():
    first = fingerprint("POST", "/api/v1/visits", b"", b'{"a": 1}')
    assert first == fingerprint("POST", "/api/v1/visits", b"", b'{"a": 1}')
    assert first != fingerprint("POST", "/api/v1/visits", b"", b'{"a": 2}')
    assert first != fingerprint("POST", "/api/v1/campaigns", b"", b'{"a": 1}')
    assert first != fingerprint("POST", "/api/v1/visits", b"x=1", b'{"a": 1}')
    assert fingerprint("POST", "/a", b"b", b"") != fingerprint("POST", "/ab", b"", b"")


def test_the_fingerprint_is_keyed_with_a_secret_outside_the_store():
    body = b'{"id_number": "52010219400315102X"}'
    assert fingerprint("POST", "/r", b"", body, b"one") != fingerprint("POST", "/r", b"", body,
                                                                        b"two")
    assert fingerprint("POST", "/r", b"", body, b"one") == fingerprint("POST", "/r", b"", body,
                                                                        b"one")


@pytest.mark.parametrize("found, verdict", [
    (row(print_="other", status=201), REUSED),
    (row(status=201), REPLAY),
    (row(status=404, applied=1), REPLAY),
    (row(), BUSY),
    (row(applied=1), BUSY),
    (row(age=LEASE + timedelta(seconds=1)), TAKE_OVER),
    (row(applied=1, age=LEASE + timedelta(seconds=1)), LOST),
])
def test_what_a_repeat_gets(found, verdict):
    assert decide(found, "p", NOW) == verdict


def test_keys_are_kept_fourteen_days_unless_configured_longer(monkeypatch):
    monkeypatch.delenv("STATION_IDEMPOTENCY_DAYS", raising=False)
    assert retention() == timedelta(days=14)
    monkeypatch.setenv("STATION_IDEMPOTENCY_DAYS", "30")
    assert retention() == timedelta(days=30)
    monkeypatch.setenv("STATION_IDEMPOTENCY_DAYS", "3")
    assert retention() == timedelta(days=14)
