"""The rubrics (一分) in config/rubrics.json: every domain scores to the card its
thresholds and minimum cards say, and answers outside the rubric are refused."""
import pytest

from services.residents import configuration
from services.residents.rubric import InvalidAnswers, rubric_from

RUBRICS = configuration.settings().rubrics


def answers(domain: str, pick) -> dict:
    return {q.id: pick(q).value for q in RUBRICS[domain].questions}


def best(q):
    return min(q.options, key=lambda o: o.points)


def worst(q):
    return max(q.options, key=lambda o: o.points)


def test_the_three_domains_of_the_api_are_configured():
    assert set(RUBRICS) == {"elderly", "child", "assistance"}
    assert all(r.version >= 1 for r in RUBRICS.values())


@pytest.mark.parametrize("domain", ["elderly", "child", "assistance"])
def test_the_best_answers_give_green_and_the_worst_give_red(domain):
    rubric = RUBRICS[domain]
    assert rubric.score(answers(domain, best)).card == "green"
    worst_case = rubric.score(answers(domain, worst))
    assert (worst_case.score, worst_case.card) == (rubric.max_score(), "red")


def test_the_score_is_the_weighted_sum_of_the_chosen_points():
    elderly = RUBRICS["elderly"]
    given = {**answers("elderly", best), "lives_alone": "alone", "health": "chronic"}
    # lives_alone weight 3 x 3 points + health weight 3 x 1 point
    assert elderly.score(given).score == 12


def test_thresholds_decide_between_green_blue_and_red():
    elderly = RUBRICS["elderly"]
    base = answers("elderly", best)
    assert elderly.score({**base, "lives_alone": "alone"}).card == "green"          # 9
    assert elderly.score({**base, "lives_alone": "alone", "health": "chronic"}).card == "blue"  # 12
    red = {**base, "lives_alone": "alone", "health": "limited", "caregiver": "none",
           "income": "low_income"}                                                  # 28
    assert elderly.score(red).card == "red"


def test_a_crisis_answer_makes_red_whatever_the_score():
    given = {**answers("elderly", best), "mental_state": "crisis"}
    scored = RUBRICS["elderly"].score(given)
    assert scored.score < RUBRICS["elderly"].blue_at
    assert scored.card == "red"


def test_unsafe_housing_makes_at_least_blue():
    assert RUBRICS["assistance"].score(
        {**answers("assistance", best), "housing_safety": "unsafe"}).card == "blue"


def test_missing_unknown_and_invalid_answers_are_named_per_question():
    given = {**answers("elderly", best), "health": "excellent", "shoe_size": 42}
    del given["income"]
    with pytest.raises(InvalidAnswers) as err:
        RUBRICS["elderly"].score(given)
    assert set(err.value.fields) == {"health", "income", "shoe_size"}
    assert "必须是以下之一" in err.value.fields["health"][0]


def test_a_rubric_is_read_from_data_with_its_version():
    rubric = rubric_from("test", {
        "version": 7, "title": "T", "title_zh": "测", "red_at": 4, "blue_at": 2,
        "questions": [{"id": "q", "text": "Q", "text_zh": "问", "weight": 2, "options": [
            {"value": "a", "label": "A", "label_zh": "甲", "points": 0},
            {"value": "b", "label": "B", "label_zh": "乙", "points": 2}]}]})
    assert rubric.version == 7
    assert [rubric.score({"q": v}).card for v in ("a", "b")] == ["green", "red"]
    assert rubric.describe()["questions"][0]["options"][1]["label_zh"] == "乙"
