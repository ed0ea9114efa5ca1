"""Field encryption for crypto-shredding: sealed values, opened values, erased values."""
import marshmallow
import pytest

from shared.events import InvalidEvent, Registry
from shared.security.erasure import (ERASED, Encrypted, Undecryptable, decrypt_fields,
                                     encrypt_fields, is_encrypted, new_key, register)

PERSONAL = ("name", "id_number", "phone", "address")
REGISTERED = {"resident_id": "r1", "station_id": "s1", "name": "张桂英",
              "id_number": "520102195001011234", "phone": None, "address": "南明区西湖路 8 号",
              "categories": ["living_alone", "advanced_age"]}


def test_personal_fields_are_replaced_by_ciphertext():
    sealed = encrypt_fields(REGISTERED, PERSONAL, new_key())
    assert is_encrypted(sealed["name"]) and is_encrypted(sealed["id_number"])
    assert "张桂英" not in str(sealed) and "520102195001011234" not in str(sealed)
    assert sealed["categories"] == REGISTERED["categories"]


def test_missing_values_stay_missing():
    assert encrypt_fields(REGISTERED, PERSONAL, new_key())["phone"] is None


def test_the_key_opens_what_it_sealed():
    key = new_key()
    assert decrypt_fields(encrypt_fields(REGISTERED, PERSONAL, key), PERSONAL, key) == REGISTERED


def test_any_json_value_round_trips():
    key = new_key()
    payload = {"notes": {"lines": ["一", "二"], "n": 3}}
    assert decrypt_fields(encrypt_fields(payload, ["notes"], key), None, key) == payload


def test_sealing_twice_gives_different_ciphertexts():
    key = new_key()
    assert encrypt_fields(REGISTERED, ["name"], key) != encrypt_fields(REGISTERED, ["name"], key)


def test_sealing_an_already_sealed_field_leaves_it_alone():
    key = new_key()
    once = encrypt_fields(REGISTERED, PERSONAL, key)
    assert encrypt_fields(once, PERSONAL, key) == once


def test_without_the_key_personal_fields_read_as_erased():
    sealed = encrypt_fields(REGISTERED, PERSONAL, new_key())
    opened = decrypt_fields(sealed, PERSONAL, None)
    assert opened["name"] == opened["id_number"] == opened["address"] == ERASED
    assert opened["categories"] == REGISTERED["categories"] and opened["phone"] is None


def test_erased_values_may_read_as_none():
    sealed = encrypt_fields(REGISTERED, ["name"], new_key())
    assert decrypt_fields(sealed, ["name"], None, erased=None)["name"] is None


def test_another_key_does_not_open_it():
    sealed = encrypt_fields(REGISTERED, ["name"], new_key())
    with pytest.raises(Undecryptable):
        decrypt_fields(sealed, ["name"], new_key())


def test_a_ciphertext_moved_to_another_field_does_not_open():
    key = new_key()
    sealed = encrypt_fields(REGISTERED, ["name", "address"], key)
    swapped = {**sealed, "name": sealed["address"]}
    with pytest.raises(Undecryptable):
        decrypt_fields(swapped, ["name"], key)


def test_keys_are_256_bits_and_random():
    assert len(new_key()) == 32 and new_key() != new_key()


class RegisteredSchema(marshmallow.Schema):
    resident_id = marshmallow.fields.String(required=True)
    name = Encrypted(required=True)
    phone = Encrypted(allow_none=True)


def test_an_event_schema_accepts_sealed_fields_and_stores_them_unchanged():
    registry = Registry()
    registry.register("ResidentRegistered", RegisteredSchema)
    sealed = encrypt_fields({"resident_id": "r1", "name": "张桂英", "phone": None},
                            ["name", "phone"], new_key())
    assert registry.validate("ResidentRegistered", sealed) == sealed


def test_an_event_schema_refuses_a_personal_field_in_clear():
    registry = Registry()
    registry.register("ResidentRegistered", RegisteredSchema)
    with pytest.raises(InvalidEvent) as err:
        registry.validate("ResidentRegistered", {"resident_id": "r1", "name": "张桂英"})
    assert "name" in err.value.errors


def test_key_destroyed_is_a_registered_event():
    registry = register(Registry())
    payload = {"resident_id": "r1", "reason": "resident request",
               "at": "2026-11-28T02:00:00.000000+00:00"}
    assert registry.validate("KeyDestroyed", payload) == payload
