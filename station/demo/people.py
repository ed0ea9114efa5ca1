"""The demo's invented people: ID numbers with a valid check digit, and rubric answers
that land on a wanted card."""
from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, serial: int, male: bool) -> str:
    """An 18-character resident ID with the GB 11643 check character."""
    seq = serial * 2 + (1 if male else 0)
    body = f"520102{birth:%Y%m%d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS))
    return body + "10X98765432"[total % 11]


def answers_for(rubric: dict, card: str) -> dict:
    """Answers whose score lands the rubric on `card` (red, blue or green).

    Starts from the lowest-scoring option of every question and raises one question
    at a time until the score reaches the card's band, avoiding options that force a
    card of their own (min_card) unless Red is wanted.
    """
    chosen = {q["id"]: min(q["options"], key=lambda o: o["points"]) for q in rubric["questions"]}
    weight = {q["id"]: q["weight"] for q in rubric["questions"]}
    score = lambda: sum(weight[k] * o["points"] for k, o in chosen.items())  # noqa: E731
    floor = {"green": 0, "blue": rubric["blue_at"], "red": rubric["red_at"]}[card]
    ceiling = {"green": rubric["blue_at"], "blue": rubric["red_at"], "red": 10**9}[card]
    for question in sorted(rubric["questions"], key=lambda q: -q["weight"]):
        for option in sorted(question["options"], key=lambda o: o["points"]):
            if score() >= floor:
                break
            if option.get("min_card") and card != "red":
                continue
            before = chosen[question["id"]]
            chosen[question["id"]] = option
            if score() >= ceiling:
                chosen[question["id"]] = before
    return {k: o["value"] for k, o in chosen.items()}
