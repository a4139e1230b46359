"""Which questions are shown: ``depends_on`` conditions (any / all of the given answers), after CISO Assistant.

A question is visible when it has no condition, or when the question it depends on is itself visible and
its chosen answers include any (``condition: any``) or all (``condition: all``) of the listed ones. Hidden
questions never count: not for completion, not for the score, not for findings.
"""

from __future__ import annotations

from collections.abc import Mapping

from questionnaires.answers import AnswerValue
from questionnaires.definition import DependsOn, Question, Questionnaire
from vendorwatch.i18n import Text, t


def condition_holds(condition: DependsOn, answer: AnswerValue | None) -> bool:
    """Whether an answer to the referenced question satisfies the condition."""
    chosen = set(answer.choices) if answer is not None else set()
    wanted = set(condition.answers)
    if condition.condition == "all":
        return wanted <= chosen
    return bool(wanted & chosen)


def visible_questions(questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]) -> set[str]:
    """Ids of the questions shown for these answers (conditions refer to earlier questions only)."""
    visible: set[str] = set()
    for question in questionnaire.questions():
        condition = question.depends_on
        if condition is None or (condition.question in visible and
                                 condition_holds(condition, answers.get(condition.question))):
            visible.add(question.id)
    return visible


def explain_condition(questionnaire: Questionnaire, question: Question) -> Text | None:
    """The condition in words: ``2.1 が「いいえ」の場合に回答`` / ``answer if 2.1 is 'No'``."""
    condition = question.depends_on
    if condition is None:
        return None
    target = questionnaire.question(condition.question)
    number = questionnaire.numbering()[target.id]
    labels = [c.label_text() for a in condition.answers if (c := target.choice(a)) is not None]
    ja_labels = "・".join(f"「{label.ja}」" for label in labels)
    en_labels = ", ".join(f"'{label.en}'" for label in labels)
    if len(labels) == 1:
        return t(f"{number} で{ja_labels}を選んだ場合に回答", f"answer if {number} is {en_labels}")
    if condition.condition == "all":
        return t(f"{number} で{ja_labels}をすべて選んだ場合に回答", f"answer if {number} includes all of {en_labels}")
    return t(f"{number} で{ja_labels}のいずれかを選んだ場合に回答", f"answer if {number} is any of {en_labels}")
