"""ID numbers are checked as users expect: 18 characters, the GB 11643 check character,
and a birth date and gender that agree with the fields given."""
from datetime import date

from services.residents import idnumber

# The worked examples of GB 11643-1999.
MALE_1880 = "440524188001010014"
FEMALE_1949 = "11010519491231002X"


def make(birth: str, sequence: str = "123", region: str = "520102") -> str:
    first17 = region + birth + sequence
    return first17 + idnumber.check_char(first17)


def test_the_standards_examples_are_valid():
    assert idnumber.problems(MALE_1880, date(1880, 1, 1), "male") == {}
    assert idnumber.problems(FEMALE_1949, date(1949, 12, 31), "female") == {}


def test_a_lower_case_x_is_accepted_as_the_check_character():
    assert idnumber.problems(FEMALE_1949.lower()) == {}
    assert idnumber.normalise(" 11010519491231002x ") == FEMALE_1949


def test_a_wrong_check_character_is_refused_in_both_languages():
    wrong = FEMALE_1949[:-1] + "1"
    [message] = idnumber.problems(wrong)["id_number"]
    assert "Check digit" in message and "校验位" in message


def test_a_number_of_the_wrong_length_is_refused():
    assert "18" in idnumber.problems("12345")["id_number"][0]


def test_letters_inside_the_number_are_refused():
    assert idnumber.problems("52010219400315A23X")["id_number"]


def test_an_impossible_birth_date_is_refused_even_with_a_right_check_character():
    assert "birth date" in idnumber.problems(make("19400231"))["id_number"][0]


def test_a_birth_date_in_the_future_is_refused():
    assert idnumber.problems(make("20990101"), today=date(2026, 1, 1))["id_number"]


def test_the_birth_date_field_must_match_the_number():
    found = idnumber.problems(make("19400315"), date(1940, 3, 16), "male")
    assert list(found) == ["birth_date"]
    assert "1940-03-15" in found["birth_date"][0]


def test_the_gender_field_must_match_the_number():
    # sequence digit 3 is odd: a man
    assert idnumber.gender_of(make("19400315", "123")) == "male"
    assert idnumber.gender_of(make("19400315", "124")) == "female"
    assert list(idnumber.problems(make("19400315", "124"), date(1940, 3, 15), "male")) == ["gender"]
