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
