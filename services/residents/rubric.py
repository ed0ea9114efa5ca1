"""Risk-grading rubrics (一分): weighted questions per domain, versioned. Pure.

score = sum(question weight x the chosen option's points); the card is Red at or above
`red_at`, Blue at or above `blue_at`, else Green, and never lower than any chosen
option's `min_card` (an answer such as "in crisis" makes a Red card on its own).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from services.residents import cards


class InvalidAnswers(ValueError):
    """Answers that do not fit the rubric; `fields` holds bilingual messages per question."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(f"invalid answers: {sorted(fields)}")
        self.fields = fields


@dataclasses.dataclass(frozen=True)
class Option:
    value: str
    label: str
    label_zh: str
    points: int
    min_card: str | None = None


@dataclasses.dataclass(frozen=True)
class Question:
    id: str
    text: str
    text_zh: str
    weight: int
    options: tuple[Option, ...]

    def option(self, value: Any) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclasses.dataclass(frozen=True)
class Scored:
    score: int
    card: str


@dataclasses.dataclass(frozen=True)
class Rubric:
    domain: str
    version: int
    title: str
    title_zh: str
    red_at: int
    blue_at: int
    questions: tuple[Question, ...]

    def check(self, answers: Mapping[str, Any]) -> None:
        """Every question answered with one of its options, and nothing else."""
        fields: dict[str, list[str]] = {}
        for question in self.questions:
            if question.id not in answers:
                fields[question.id] = ["Missing answer / 缺少回答"]
            elif question.option(answers[question.id]) is None:
                choices = ", ".join(o.value for o in question.options)
                fields[question.id] = [f"Must be one of: {choices} / 必须是以下之一：{choices}"]
        known = {q.id for q in self.questions}
        for extra in sorted(set(answers) - known):
            fields[extra] = ["Unknown question / 未知问题"]
        if fields:
            raise InvalidAnswers(fields)

    def score(self, answers: Mapping[str, Any]) -> Scored:
        self.check(answers)
        chosen = [(q, q.option(answers[q.id])) for q in self.questions]
        total = sum(q.weight * o.points for q, o in chosen)
        by_score = "red" if total >= self.red_at else "blue" if total >= self.blue_at else "green"
        return Scored(total, cards.highest([by_score, *(o.min_card for _, o in chosen)]))

    def max_score(self) -> int:
        return sum(q.weight * max(o.points for o in q.options) for q in self.questions)

    def describe(self) -> dict:
        """The rubric as GET /rubrics shows it."""
        return {"domain": self.domain, "version": self.version, "title": self.title,
                "title_zh": self.title_zh, "red_at": self.red_at, "blue_at": self.blue_at,
                "max_score": self.max_score(),
                "questions": [dataclasses.asdict(q) for q in self.questions]}


def rubric_from(domain: str, data: Mapping[str, Any]) -> Rubric:
    questions = tuple(
        Question(q["id"], q["text"], q["text_zh"], int(q["weight"]),
                 tuple(Option(o["value"], o["label"], o["label_zh"], int(o["points"]),
                              o.get("min_card")) for o in q["options"]))
        for q in data["questions"])
    return Rubric(domain, int(data["version"]), data["title"], data["title_zh"],
                  int(data["red_at"]), int(data["blue_at"]), questions)


def rubrics_from(data: Mapping[str, Any]) -> dict[str, Rubric]:
    return {domain: rubric_from(domain, body) for domain, body in data.items()
            if not domain.startswith("_")}
