"""Questionnaire files: the shipped ones are valid; a bad file is rejected with file:line, the path and ja/en."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from questionnaires.definition import resolve_control
from questionnaires.loader import (
    QuestionnaireInvalidError,
    load_questionnaire,
    shipped_questionnaires,
    validate_text,
)

GOOD = """\
id: small
version: "1"
title: {ja: 小さな質問票, en: Small questionnaire}
sections:
  - id: s1
    title: {ja: 基本, en: Basics}
    questions:
      - id: mfa
        type: yes_no
        control: "3.2.2"
        observable: console_users_have_mfa
        text: {ja: MFA を必須にしていますか, en: Is MFA required}
        choices:
          - {id: yes, score: 10, result: compliant}
          - {id: no, score: 0, result: non_compliant}
      - id: why-not
        type: text
        control: "1(2)③"
        depends_on: {question: mfa, answers: [no]}
        text: {ja: 理由, en: Why not, and what instead}
"""


def problems_of(text: str) -> list[str]:
    questionnaire, problems = validate_text(text)
    assert questionnaire is None
    return [p.render("q.yaml") for p in problems]


def test_shipped_questionnaires_are_valid_and_cover_every_control() -> None:
    shipped = {s.questionnaire.id: s.questionnaire for s in shipped_questionnaires()}
    baseline = shipped["jsda-iv32-baseline"]
    count = sum(1 for _ in baseline.questions())
    assert 30 <= count <= 40
    assert all(n > 0 for n in baseline.questions_per_control().values())
    assert set(baseline.questions_per_item()) == {"1.2.3", "2.2.1", "3.1.4", "6.3.2"}
    observables = {q.observable for q in baseline.questions() if q.observable}
    assert observables == {"console_users_have_mfa", "no_shared_accounts", "no_unapproved_prod_to_dev",
                           "leavers_removed", "logging_never_stopped"}
    sub = shipped["jsda-iv32-subvendor"]
    assert sub.audience == "sub_vendor" and sum(1 for _ in sub.questions()) < count
    for questionnaire in shipped.values():  # every text in both languages, Japanese written in Japanese
        for question in questionnaire.questions():
            assert question.text.ja and question.text.en and question.text.ja != question.text.en


def test_a_good_file_loads_with_yaml_booleans_as_choice_ids_and_related_items_resolved() -> None:
    questionnaire, problems = validate_text(GOOD)
    assert problems == [] and questionnaire is not None
    mfa = questionnaire.question("mfa")
    assert [c.id for c in mfa.choices] == ["yes", "no"]  # unquoted yes/no are YAML booleans
    assert mfa.choices[0].label_text().ja == "はい"
    why = questionnaire.question("why-not")
    assert (why.control_id, why.item_id) == ("3.2.2", "1.2.3")
    assert why.text.en == "Why not, and what instead"  # a flow-style comma is part of the text
    assert resolve_control("IV.3(1)④") == ("3.2.3", "3.1.4")


def test_a_bad_value_is_reported_with_its_line_path_and_both_languages() -> None:
    bad = GOOD.replace('control: "3.2.2"', 'control: "3.2.9"')
    [message] = problems_of(bad)
    assert message.startswith("q.yaml:10: sections[0].questions[0].control: 不明な管理策・関連項目です: 3.2.9")
    assert "unknown control or related item: 3.2.9" in message


def test_every_problem_of_a_file_is_reported_at_once_in_line_order() -> None:
    bad = (GOOD.replace("type: yes_no", "type: yes_or_no")
           .replace("answers: [no]", "answers: [maybe]")
           .replace("title: {ja: 基本, en: Basics}", "title: {ja: 基本}"))
    messages = problems_of(bad)
    assert len(messages) == 2  # the bad type stops the model, so the condition is not judged yet
    assert messages[0].startswith("q.yaml:6: sections[0].title.en: 必須の項目がありません")
    assert messages[1].startswith("q.yaml:9: sections[0].questions[0].type: 次のいずれかを指定してください")


@pytest.mark.parametrize(("change", "line", "path", "english"), [
    (("answers: [no]", "answers: [maybe]"), 19, "sections[0].questions[1].depends_on.answers[0]", "mfa has no choice maybe"),
    (("question: mfa", "question: later"), 19, "sections[0].questions[1].depends_on.question", "not an earlier question"),
    (("id: why-not", "id: mfa"), 16, "sections[0].questions[1].id", "question id mfa is used twice"),
    (("{id: no, score: 0", "{id: no, score: 11"), 15, "sections[0].questions[0].choices[1].score", "above max_score"),
    (("{id: no, score: 0, result: non_compliant}", "{id: nope, score: 0, result: non_compliant}"), 14,
     "sections[0].questions[0].choices", "yes and no"),
    (("observable: console_users_have_mfa", "observable: no_shared_accounts"), 11,
     "sections[0].questions[0].observable", "belongs to control 3.2.5"),
    (("observable: console_users_have_mfa", "observable: telepathy"), 11,
     "sections[0].questions[0].observable", "unknown observable: telepathy"),
    (("result: compliant}", "result: great}"), 14, "sections[0].questions[0].choices[0].result", "must be one of"),
    (("        text: {ja: 理由", "        weight: 2\n        textt: {ja: 理由"), 21, "sections[0].questions[1].textt",
     "unknown field"),
])
def test_each_kind_of_mistake_names_its_line_and_path(change: tuple[str, str], line: int, path: str,
                                                      english: str) -> None:
    messages = problems_of(GOOD.replace(*change))
    assert any(m.startswith(f"q.yaml:{line}: {path}: ") and english in m for m in messages), messages


def test_yaml_syntax_errors_and_duplicate_keys_have_lines() -> None:
    assert problems_of("id: [unclosed\n")[0].startswith("q.yaml:2: (root): YAML の構文エラー")
    duplicate = GOOD.replace('version: "1"', 'version: "1"\nversion: "2"')
    assert any(m.startswith("q.yaml:3: version: 同じキーが 2 回") for m in problems_of(duplicate))


def test_a_condition_on_all_answers_needs_a_multiple_choice_question() -> None:
    bad = GOOD.replace("answers: [no]}", "answers: [yes, no], condition: all}")
    assert any("condition: all" in m and "multiple-choice" in m for m in problems_of(bad))


def test_load_questionnaire_raises_with_every_problem_rendered(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace('control: "3.2.2"', 'control: "9.9"'), encoding="utf-8")
    with pytest.raises(QuestionnaireInvalidError) as caught:
        load_questionnaire(path)
    assert caught.value.details == [f"{path}:10: sections[0].questions[0].control: " + caught.value.problems[0].message.both()]


def test_cli_check_exits_2_on_a_bad_file_with_file_and_line(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("answers: [no]", "answers: [maybe]"), encoding="utf-8")
    result = run_cli("questionnaire", "check", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:19: sections[0].questions[1].depends_on.answers[0]:" in result.stderr
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    ok = run_cli("questionnaire", "check", str(good))
    assert ok.exit_code == 0 and "small 1" in ok.stdout


def test_cli_list_json_gives_versions_and_questions_per_control(run_cli) -> None:
    result = run_cli("questionnaire", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listed = {q["id"]: q for q in json.loads(result.stdout)}
    baseline = listed["jsda-iv32-baseline"]
    assert baseline["version"] == "2026.1"
    assert sum(baseline["questions_per_control"].values()) == baseline["questions"] == 40
    assert set(baseline["questions_per_control"]) == {f"3.2.{n}" for n in range(1, 8)}
