"""The keyed hash of ID numbers for partner lookups."""
import pytest

from shared.security.lookup import keyed_hash

KEY = b"k" * 32


def test_the_same_id_number_under_the_same_key_gives_the_same_hash():
    assert keyed_hash("520102195001011234", KEY) == keyed_hash("520102195001011234", KEY)


def test_spacing_and_the_case_of_the_check_letter_do_not_matter():
    assert keyed_hash(" 520102 19500101 123x", KEY) == keyed_hash("52010219500101123X", KEY)


def test_another_key_gives_another_hash():
    assert keyed_hash("520102195001011234", KEY) != keyed_hash("520102195001011234", b"j" * 32)


def test_the_hash_reveals_nothing_of_the_number():
    digest = keyed_hash("520102195001011234", KEY)
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert "520102195001011234" not in digest


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError):
        keyed_hash("520102195001011234", b"")


# -- the throttle and the scope check ---------------------------------------------------

from shared.errors import Forbidden  # noqa: E402
from shared.security.lookup import (Throttle, TooManyLookups, check_scopes_exist,  # noqa: E402
                                    parse_rate)
from shared.security.principal import Principal  # noqa: E402


def test_the_throttle_allows_count_per_window_per_caller_and_refusals_count():
    now = [0.0]
    throttle = Throttle(3, 60, clock=lambda: now[0])
    for _ in range(3):
        throttle.take("p")
    now[0] = 30.0
    for _ in range(3):                          # hammering: refused, and counted
        with pytest.raises(TooManyLookups) as refused:
            throttle.take("p")
    assert refused.value.status == 429 and refused.value.extra["retry_after_s"] == 60
    throttle.take("other")                      # each caller has its own allowance
    now[0] = 61.0                               # the first three left the window,
    with pytest.raises(TooManyLookups):         # the refused attempts have not
        throttle.take("p")
    now[0] = 200.0
    throttle.take("p")


def test_the_rate_setting():
    assert parse_rate(None) == (10, 60.0) and parse_rate("5/30") == (5, 30.0)


def test_only_scopes_that_exist_may_look_up():
    tree = {("street", "xihulu"), ("station", "xihulu-station")}
    exists = lambda kind, node: (kind, node) in tree  # noqa: E731
    check_scopes_exist(Principal("p", "partner_office", ("street:xihulu",)), exists)
    for scopes in (("station:ghost",), ("street:xihulu", "station:ghost"), ()):
        with pytest.raises(Forbidden) as refused:
            check_scopes_exist(Principal("p", "partner_office", scopes), exists)
        assert refused.value.code == "scope_unknown"
