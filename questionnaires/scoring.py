"""Score a set of answers, after CISO Assistant's questionnaire scoring.

- Only visible questions count; a hidden conditional question never blocks completion and never scores.
- A choice question scores the sum of its chosen choices' scores times its weight, capped at ``max_score``;
  the questionnaire's score is the weighted mean over the answered, scored questions, as a percentage.
  Answers whose result is not applicable do not score (they neither help nor hurt).
- Results aggregate like CISO Assistant's ``compute_result``: nothing → none; only not-applicable →
  not applicable; otherwise not-applicable ones are set aside and the rest, if all the same, give that result,
  and mixed ones give partial.
- The score is final only when every visible required question is answered (``complete``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from questionnaires.answers import AnswerValue
from questionnaires.conditions import visible_questions
from questionnaires.definition import CONTROL_IDS, Question, Questionnaire, Result


def aggregate_results(results: Iterable[Result | None]) -> Result | None:
    """One result from many: none, all n/a, all the same, or partial when mixed."""
    given = [r for r in results if r is not None]
    if not given:
        return None
    applicable = [r for r in given if r != "not_applicable"]
    if not applicable:
        return "not_applicable"
    if all(r == applicable[0] for r in applicable):
        return applicable[0]
    return "partial"


@dataclass(frozen=True)
class QuestionScore:
    """How one question counts."""

    question_id: str
    control_id: str
    visible: bool
    answered: bool
    result: Result | None
    score: float | None  # 0..max_score, None when it does not score
    weight: float


@dataclass
class Subtotal:
    """Weighted score and aggregated result over a group of questions (a control, or the whole)."""

    points: float = 0.0
    possible: float = 0.0
    results: list[Result | None] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        """0–100, or None when nothing in the group scores."""
        return round(100 * self.points / self.possible, 1) if self.possible else None

    @property
    def result(self) -> Result | None:
        """The aggregated result."""
        return aggregate_results(self.results)


@dataclass
class Scorecard:
    """The score of a set of answers: per question, per control, overall, and what is still missing."""

    questions: dict[str, QuestionScore]
    overall: Subtotal
    controls: dict[str, Subtotal]
    missing: list[str]

    @property
    def complete(self) -> bool:
        """Every visible required question is answered."""
        return not self.missing

    @property
    def percent(self) -> float | None:
        """The overall score, 0–100."""
        return self.overall.percent

    @property
    def result(self) -> Result | None:
        """The overall result."""
        return self.overall.result


def question_result(question: Question, answer: AnswerValue | None) -> tuple[Result | None, float | None]:
    """The result and score (before weighting) of one answer."""
    if answer is None or not question.has_choices or not answer.choices:
        return None, None
    chosen = [c for c in (question.choice(i) for i in answer.choices) if c is not None]
    result = aggregate_results(c.result for c in chosen)
    if result == "not_applicable":
        return result, None
    scored = [c for c in chosen if c.result != "not_applicable"]
    return result, sum(c.score for c in scored)


def score_answers(questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]) -> Scorecard:
    """Score the answers given to a questionnaire."""
    visible = visible_questions(questionnaire, answers)
    overall = Subtotal()
    controls = {c: Subtotal() for c in CONTROL_IDS}
    scores: dict[str, QuestionScore] = {}
    missing: list[str] = []
    for question in questionnaire.questions():
        shown = question.id in visible
        answer = answers.get(question.id)
        answered = answer is not None and answer.answered(question)
        result, raw = question_result(question, answer) if shown else (None, None)
        score = min(raw, questionnaire.max_score) if raw is not None else None
        scores[question.id] = QuestionScore(question.id, question.control_id, shown, answered, result, score,
                                            question.weight)
        if not shown:
            continue
        if question.required and not answered:
            missing.append(question.id)
        for group in (overall, controls[question.control_id]):
            group.results.append(result)
            if score is not None and question.weight:
                group.points += question.weight * score
                group.possible += question.weight * questionnaire.max_score
    return Scorecard(scores, overall, controls, missing)
