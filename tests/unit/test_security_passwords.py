"""Passwords (argon2) and the checks on user names, roles and scopes."""
import pytest

from shared.security.principal import (InvalidPrincipal, check_role, check_scopes,
                                       check_username, parse_scope)
from shared.security.users import hash_password, verify_password


def test_a_password_is_stored_as_an_argon2id_hash():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_the_right_password_verifies_and_a_wrong_one_does_not():
    stored = hash_password("correct horse")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horse ")


def test_an_unknown_user_never_verifies_not_even_with_the_dummy_password():
    assert not verify_password(None, "no such user")
    assert not verify_password(None, "anything")


def test_a_corrupt_hash_does_not_verify():
    assert not verify_password("not-a-hash", "x")


def test_an_empty_password_is_refused_in_both_languages():
    with pytest.raises(InvalidPrincipal) as err:
        hash_password("")
    assert err.value.message and err.value.message_zh


def test_an_unknown_role_is_refused_naming_the_valid_ones():
    with pytest.raises(InvalidPrincipal) as err:
        check_role("admin")
    assert "social_worker" in err.value.message and "未知角色" in err.value.message_zh


@pytest.mark.parametrize("scope", ["xihulu", "city:guiyang", "station:", "station:a b",
                                   "station:-x", "Station:x"])
def test_a_badly_written_scope_is_refused_in_both_languages(scope):
    with pytest.raises(InvalidPrincipal) as err:
        parse_scope(scope)
    assert "station:<id>" in err.value.message and "范围格式错误" in err.value.message_zh


def test_scopes_are_kinds_and_ids():
    assert parse_scope("district:nanming") == ("district", "nanming")
    assert check_scopes(["station:s1", "street:t1", "station:s1"]) == ("station:s1", "street:t1")


def test_a_user_needs_at_least_one_scope():
    with pytest.raises(InvalidPrincipal):
        check_scopes([])


@pytest.mark.parametrize("name", ["", "li na", "-x", "x" * 65, "李娜"])
def test_user_names_are_plain_identifiers(name):
    with pytest.raises(InvalidPrincipal):
        check_username(name)
