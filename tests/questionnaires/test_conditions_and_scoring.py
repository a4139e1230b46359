"""Conditions (any / all) decide what is shown; only visible questions count, hidden ones never block completion."""

from __future__ import annotations

import pytest

from questionnaires.answers import AnswerValue, RawAnswer, validate_answer
from questionnaires.conditions import explain_condition, visible_questions
from questionnaires.definition import Questionnaire
from questionnaires.loader import validate_text
from questionnaires.scoring import aggregate_results, score_answers

TEXT = """\
id: demo
version: "1"
max_score: 10
title: {ja: 例, en: Example}
sections:
  - id: s
    title: {ja: 節, en: Section}
    questions:
      - id: uses
        type: yes_no
        control: "3.2.7"
        text: {ja: 再委託していますか, en: Do you subcontract}
        choices:
          - {id: yes, score: 0, result: not_applicable}
          - {id: no, score: 0, result: not_applicable}
      - id: how
        type: multiple_choice
        control: "3.2.7"
        depends_on: {question: uses, answers: [yes]}
        text: {ja: 監督方法, en: How are they supervised}
        choices:
          - {id: contract, label: {ja: 契約, en: Contract}, score: 4, result: compliant}
          - {id: audit, label: {ja: 監査, en: Audit}, score: 4, result: compliant}
          - {id: certificates, label: {ja: 認証, en: Certificates}, score: 4, result: compliant}
          - {id: other, label: {ja: その他, en: Other}, score: 2, result: partial, other: true}
          - {id: none, label: {ja: なし, en: None}, score: 0, result: non_compliant, exclusive: true}
      - id: both
        type: text
        control: "3.2.7"
        depends_on: {question: how, answers: [contract, audit], condition: all}
        text: {ja: 契約と監査の両方, en: Contract and audit}
      - id: either
        type: text
        control: "3.2.7"
        depends_on: {question: how, answers: [contract, audit], condition: any}
        text: {ja: 契約か監査, en: Contract or audit}
      - id: mfa
        type: yes_no
        control: "3.2.2"
        text: {ja: MFA, en: MFA}
        weight: 2
        choices:
          - {id: yes, score: 10, result: compliant}
          - {id: no, score: 0, result: non_compliant}
          - {id: na, score: 0, result: not_applicable}
      - id: staff
        type: number
        control: "3.2.5"
        required: false
        number: {minimum: 0, integer: true}
        text: {ja: 要員数, en: Staff}
      - id: since
        type: date
        control: "3.2.1"
        required: false
        text: {ja: 開始日, en: Since}
"""


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    loaded, problems = validate_text(TEXT)
    assert not problems and loaded is not None
    return loaded


def choose(*choices: str, other: str | None = None) -> AnswerValue:
    return AnswerValue(choices=list(choices), other=other)


def test_any_shows_on_one_listed_answer_and_all_only_when_every_one_is_chosen(questionnaire: Questionnaire) -> None:
    base = {"uses": choose("yes")}
    assert visible_questions(questionnaire, {**base, "how": choose("contract")}) >= {"how", "either"}
    assert "both" not in visible_questions(questionnaire, {**base, "how": choose("contract")})
    assert {"both", "either"} <= visible_questions(questionnaire, {**base, "how": choose("contract", "audit")})
    assert not {"both", "either"} & visible_questions(questionnaire, {**base, "how": choose("certificates")})


def test_a_question_below_a_hidden_one_is_hidden_even_if_its_stale_answer_matches(questionnaire: Questionnaire) -> None:
    stale = {"uses": choose("no"), "how": choose("contract", "audit")}  # "how" was answered, then "uses" changed
    visible = visible_questions(questionnaire, stale)
    assert "how" not in visible and "both" not in visible and "either" not in visible


def test_hidden_required_questions_never_block_completion(questionnaire: Questionnaire) -> None:
    card = score_answers(questionnaire, {"uses": choose("no"), "mfa": choose("yes")})
    assert card.complete and card.missing == []
    card = score_answers(questionnaire, {"uses": choose("yes"), "mfa": choose("yes")})
    assert card.missing == ["how"]
    card = score_answers(questionnaire, {"uses": choose("yes"), "how": choose("contract"), "mfa": choose("yes")})
    assert card.missing == ["either"]  # now shown, and required


def test_scores_are_weighted_capped_and_not_applicable_does_not_count(questionnaire: Questionnaire) -> None:
    answers = {"uses": choose("yes"), "how": choose("contract", "audit", "certificates"), "mfa": choose("no")}
    card = score_answers(questionnaire, answers)
    assert card.questions["how"].score == 10  # 4 + 4 + 4 capped at max_score
    assert card.questions["uses"].score is None  # not applicable: neither helps nor hurts
    # how: 10 of 10 (weight 1), mfa: 0 of 10 (weight 2) -> 10 / 30
    assert card.percent == pytest.approx(33.3)
    assert card.controls["3.2.7"].percent == 100.0 and card.controls["3.2.2"].percent == 0.0
    assert card.controls["3.2.5"].percent is None  # nothing scorable there
    assert card.result == "partial"
    na = score_answers(questionnaire, {"uses": choose("no"), "mfa": choose("na")})
    assert na.percent is None and na.result == "not_applicable"


def test_a_hidden_question_never_scores_even_with_a_stored_answer(questionnaire: Questionnaire) -> None:
    card = score_answers(questionnaire, {"uses": choose("no"), "how": choose("none"), "mfa": choose("yes")})
    assert card.questions["how"].result is None and card.percent == 100.0 and card.result == "compliant"


def test_results_aggregate_like_ciso_assistant() -> None:
    assert aggregate_results([]) is None
    assert aggregate_results([None, "not_applicable"]) == "not_applicable"
    assert aggregate_results(["compliant", "not_applicable", "compliant"]) == "compliant"
    assert aggregate_results(["compliant", "non_compliant"]) == "partial"
    assert aggregate_results(["non_compliant", "non_compliant"]) == "non_compliant"


def test_answers_are_validated_against_their_question_type(questionnaire: Questionnaire) -> None:
    how, staff, since, mfa = (questionnaire.question(q) for q in ("how", "staff", "since", "mfa"))
    assert validate_answer(mfa, RawAnswer(choices=["yes", "no"]))[1][0].en == "choose one answer only"
    assert validate_answer(mfa, RawAnswer(choices=["maybe"]))[1][0].en.startswith("not a choice")
    assert validate_answer(how, RawAnswer(choices=["other"]))[1][0].en == "describe your 'other' answer"
    value, errors = validate_answer(how, RawAnswer(choices=["other", "audit"], other="  年 2 回の訪問  "))
    assert errors == [] and value is not None and value.other == "年 2 回の訪問"
    assert "cannot be combined" in validate_answer(how, RawAnswer(choices=["none", "audit"]))[1][0].en
    assert validate_answer(staff, RawAnswer(number="1.5"))[1][0].en == "enter a whole number"
    assert validate_answer(staff, RawAnswer(number="-1"))[1][0].en == "enter at least 0"
    assert validate_answer(staff, RawAnswer(number="12"))[0] == AnswerValue(number=12)
    assert validate_answer(staff, RawAnswer(number="abc"))[1][0].en == "not a number: abc"
    assert validate_answer(since, RawAnswer(date="2026/04/01"))[0].date.isoformat() == "2026-04-01"  # type: ignore[union-attr]
    assert validate_answer(since, RawAnswer(date="April"))[1][0].en.startswith("enter a date")
    assert validate_answer(since, RawAnswer(date="  ")) == (None, [])  # empty clears


def test_conditions_are_explained_in_both_languages(questionnaire: Questionnaire) -> None:
    both = explain_condition(questionnaire, questionnaire.question("both"))
    assert both is not None and both.ja == "1.2 で「契約」・「監査」をすべて選んだ場合に回答"
    assert both.en == "answer if 1.2 includes all of 'Contract', 'Audit'"
    how = explain_condition(questionnaire, questionnaire.question("how"))
    assert how is not None and how.en == "answer if 1.1 is 'Yes'"
    assert explain_condition(questionnaire, questionnaire.question("mfa")) is None
