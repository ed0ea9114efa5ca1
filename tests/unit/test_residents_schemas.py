"""Bad input is refused at the edge with field-level messages in English and Chinese."""
import pytest

from shared.errors import ValidationFailed

from services.residents.idnumber import check_char
from services.residents.schemas import RegisterIn, ResidentsQuery
from shared.messages import bilingual
from shared.web import load


def valid_id(birth: str, seq: str = "123") -> str:
    return "520102" + birth + seq + check_char("520102" + birth + seq)


BODY = {"station_id": "xihulu-station", "community_id": "nanmingtang", "name": "王秀英",
        "gender": "male", "birth_date": "1940-03-15", "id_number": valid_id("19400315"),
        "categories": ["living_alone"]}


def fields_of(data) -> dict:
    with pytest.raises(ValidationFailed) as err:
        load(RegisterIn(), data)
    return err.value.fields


def test_a_valid_registration_loads():
    loaded = load(RegisterIn(), BODY)
    assert loaded["birth_date"].isoformat() == "1940-03-15" and loaded["phone"] is None


def test_every_problem_is_named_per_field_in_both_languages():
    found = fields_of({**BODY, "gender": "x", "birth_date": "1940-13-01", "categories": ["vip"],
                       "name": "", "nickname": "老王"})
    assert set(found) == {"gender", "birth_date", "categories", "name", "nickname"}
    for messages in (found["gender"], found["birth_date"], found["name"], found["nickname"]):
        english, chinese = messages[0].split(" / ")
        assert english and chinese


def test_a_bad_check_digit_is_a_field_error_on_id_number():
    number = BODY["id_number"]
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    found = fields_of({**BODY, "id_number": wrong})
    assert list(found) == ["id_number"] and "校验位" in found["id_number"][0]


def test_a_birth_date_not_matching_the_id_number_is_a_field_error_on_birth_date():
    found = fields_of({**BODY, "birth_date": "1941-03-15"})
    assert list(found) == ["birth_date"]


def test_missing_fields_are_named():
    found = fields_of({"name": "x"})
    assert {"station_id", "community_id", "gender", "birth_date", "id_number"} <= set(found)
    assert found["station_id"] == ["Missing data for required field. / 缺少必填字段"]


def test_marshmallow_messages_are_translated_and_ours_are_kept():
    assert bilingual({"a": ["Longer than maximum length 50."]}) == {
        "a": ["Longer than maximum length 50. / 长度不能超过 50"]}
    assert bilingual(["Already both / 已有中文"]) == ["Already both / 已有中文"]


def test_page_size_is_at_most_five_hundred():
    with pytest.raises(ValidationFailed) as err:
        load(ResidentsQuery(), {"page_size": "501"})
    assert "page_size" in err.value.fields
    assert load(ResidentsQuery(), {"page_size": "500", "card": "red"})["page_size"] == 500
