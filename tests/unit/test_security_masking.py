"""Masking of ID numbers and phones."""
from shared.security.masking import mask_all, mask_id_number, mask_phone, mask_record, masked
from shared.security.principal import Principal

RECORD = {"id": "r1", "name": "张桂英", "id_number": "520102195001011234",
          "phone": "13812345678", "card": "red"}


def test_an_id_number_shows_its_first_and_last_four_characters():
    assert mask_id_number("520102195001011234") == "5201**********1234"
    assert mask_id_number("52010219500101123X") == "5201**********123X"


def test_a_phone_shows_its_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"


def test_short_values_are_masked_entirely_and_missing_ones_stay_missing():
    assert mask_phone("5678") == "****"
    assert mask_id_number("12345678") == "********"
    assert mask_phone(None) is None


def test_the_erased_placeholder_is_shown_as_it_is_never_masked():
    erased = {**RECORD, "id_number": "[erased]", "phone": "[erased]"}
    assert mask_phone("[erased]") == "[erased]" and mask_id_number("[erased]") == "[erased]"
    assert mask_record(erased) == erased and mask_all([erased]) == [erased]


def test_station_staff_see_a_single_record_unmasked():
    worker = Principal("li.na", "social_worker", ("station:s1",))
    assert masked(RECORD, worker) == RECORD


def test_roles_without_read_pii_see_it_masked():
    leader = Principal("wang", "street_leader", ("street:xihulu",))
    shown = masked(RECORD, leader)
    assert shown["id_number"] == "5201**********1234" and shown["phone"] == "138****5678"
    assert shown["name"] == "张桂英" and shown["card"] == "red"


def test_masking_leaves_the_original_record_alone():
    mask_record(RECORD)
    assert RECORD["phone"] == "13812345678"


def test_lists_are_masked_whoever_asks():
    assert [r["phone"] for r in mask_all([RECORD, {**RECORD, "phone": None}])] == [
        "138****5678", None]
