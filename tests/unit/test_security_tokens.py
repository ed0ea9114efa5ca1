"""Bearer tokens: what they carry, key rotation, expiry and forgeries."""
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from shared.errors import Unauthorized
from shared.security.principal import Principal
from shared.security.tokens import BadKeys, SigningKeys, issue, verify
from shared.security.users import Standing

K1 = "k1:" + "a" * 40
K2 = "k2:" + "b" * 40
LI_NA = Principal("li.na", "social_worker", ("station:xihulu-station",))


def test_a_token_carries_the_user_role_and_scopes():
    token = issue(LI_NA, SigningKeys.parse(K1))
    assert verify(token, SigningKeys.parse(K1)) == LI_NA


def test_a_token_names_its_signing_key_and_algorithm_in_the_header():
    header = jwt.get_unverified_header(issue(LI_NA, SigningKeys.parse(f"{K2},{K1}")))
    assert header["kid"] == "k2" and header["alg"] == "HS256"


def test_the_claims_are_sub_role_scopes_iat_and_exp():
    now = datetime.now(timezone.utc)
    token = issue(LI_NA, SigningKeys.parse(K1), ttl=600, now=now)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims == {"sub": "li.na", "role": "social_worker",
                      "scopes": ["station:xihulu-station"],
                      "iat": round(now.timestamp(), 6), "exp": int(now.timestamp()) + 600}


def test_a_token_from_the_same_second_but_before_a_password_change_is_refused():
    """The floor (shared.security.users.Standing) and iat are both to the microsecond."""
    changed = datetime.now(timezone.utc).replace(microsecond=500_000)  # mid-second
    floor = Standing(False, changed.timestamp())
    keys = SigningKeys.parse(K1)
    before = verify(issue(LI_NA, keys, now=changed - timedelta(milliseconds=300)), keys)
    after = verify(issue(LI_NA, keys, now=changed + timedelta(milliseconds=300)), keys)
    assert not floor.admits(before.issued_at)
    assert floor.admits(after.issued_at)


def test_a_token_signed_with_the_old_key_stays_valid_after_rotation():
    old_token = issue(LI_NA, SigningKeys.parse(K1))
    rotated = SigningKeys.parse(f"{K2},{K1}")
    assert verify(old_token, rotated) == LI_NA
    assert jwt.get_unverified_header(issue(LI_NA, rotated))["kid"] == "k2"


def test_a_process_that_only_accepts_the_new_key_already_verifies_its_tokens():
    step_one = SigningKeys.parse(f"{K1},{K2}")   # k2 accepted, k1 signs
    step_two = SigningKeys.parse(f"{K2},{K1}")   # k2 signs
    assert verify(issue(LI_NA, step_two), step_one) == LI_NA


def test_a_token_signed_with_a_retired_key_is_refused():
    old_token = issue(LI_NA, SigningKeys.parse(K1))
    with pytest.raises(Unauthorized) as err:
        verify(old_token, SigningKeys.parse(K2))
    assert err.value.code == "invalid_token" and err.value.message_zh


def test_an_expired_token_is_refused_as_expired():
    two_hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    token = issue(LI_NA, SigningKeys.parse(K1), ttl=3600, now=two_hours_ago)
    with pytest.raises(Unauthorized) as err:
        verify(token, SigningKeys.parse(K1))
    assert err.value.code == "token_expired"
    assert err.value.status == 401


def test_a_token_within_its_lifetime_is_accepted():
    fifty_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=50)
    token = issue(LI_NA, SigningKeys.parse(K1), ttl=3600, now=fifty_minutes_ago)
    assert verify(token, SigningKeys.parse(K1)) == LI_NA


def test_a_token_with_an_edited_claim_is_refused():
    header, payload, signature = issue(LI_NA, SigningKeys.parse(K1)).split(".")
    forged_claims = jwt.utils.base64url_encode(
        b'{"sub":"li.na","role":"district_admin","scopes":["district:nanming"],'
        b'"iat":1,"exp":99999999999}').decode()
    with pytest.raises(Unauthorized):
        verify(f"{header}.{forged_claims}.{signature}", SigningKeys.parse(K1))


def test_an_unsigned_token_is_refused():
    token = jwt.encode({**LI_NA.claims(), "iat": 1, "exp": 99999999999}, None,
                       algorithm="none", headers={"kid": "k1"})
    with pytest.raises(Unauthorized):
        verify(token, SigningKeys.parse(K1))


def test_a_token_signed_by_anyone_else_is_refused():
    token = jwt.encode({**LI_NA.claims(), "iat": 1, "exp": 99999999999}, "x" * 40,
                       algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(Unauthorized):
        verify(token, SigningKeys.parse(K1))


def test_a_validly_signed_token_with_an_unknown_role_is_refused():
    token = jwt.encode({"sub": "li.na", "role": "root", "scopes": [], "iat": 1,
                        "exp": 99999999999}, "a" * 40, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(Unauthorized):
        verify(token, SigningKeys.parse(K1))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_an_invalid_token(garbage):
    with pytest.raises(Unauthorized):
        verify(garbage, SigningKeys.parse(K1))


@pytest.mark.parametrize("text", ["", "k1", "k1:short", f"{K1},{K1}", "bad kid:" + "a" * 40])
def test_unusable_key_configuration_is_refused(text):
    with pytest.raises(BadKeys):
        SigningKeys.parse(text)


def test_keys_may_be_given_one_a_line():
    keys = SigningKeys.parse(f"{K2}\n{K1}\n")
    assert [kid for kid, _ in keys.keys] == ["k2", "k1"]
