"""Read and validate questionnaire files; a bad file is rejected whole, every problem with its line and path.

The YAML reading (line numbers, duplicate keys) and the bilingual messages are the registry's
(:mod:`vendorwatch.registry.yaml_source`, :mod:`vendorwatch.registry.validation_messages`), so both kinds of
file speak the same way: ``file:line: path: 日本語 / English``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import orjson
from pydantic import ValidationError

from questionnaires.definition import CHOICE_TYPES, Question, Questionnaire
from vendorwatch.checks.observables import OBSERVABLES
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.registry.problems import RegistryProblem
from vendorwatch.registry.validation_messages import translate
from vendorwatch.registry.yaml_source import YamlDocument, parse_yaml

LIBRARY = Path(__file__).with_name("library")
Problem = RegistryProblem  # the same shape as a registry problem: path, line, bilingual message
Path_ = tuple[str | int, ...]


class QuestionnaireInvalidError(ConfigError):
    """A questionnaire file has problems; ``problems`` lists every one."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        super().__init__(
            t(f"{file}: 質問票に {len(problems)} 件のエラーがあります", f"{file}: {len(problems)} error(s) in the questionnaire"),
            details=[p.render(file) for p in problems],
        )
        self.file = file
        self.problems = problems


@dataclass(frozen=True)
class LoadedQuestionnaire:
    """A valid questionnaire, where it came from, and the fingerprint of its content."""

    questionnaire: Questionnaire
    path: Path | None
    sha256: str


def content_sha256(questionnaire: Questionnaire) -> str:
    """SHA-256 of the validated content (not of the file's bytes: comments and layout do not count)."""
    document = questionnaire.model_dump(mode="json", exclude_defaults=False)
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_text(text: str) -> tuple[Questionnaire | None, list[Problem]]:
    """Validate questionnaire text; the questionnaire (when valid) and every problem found."""
    document = parse_yaml(text)
    if document.root is None and document.problems:
        return None, document.problems
    problems = list(document.problems)
    if not isinstance(document.data, dict):
        problems.append(Problem(path=(), message=t("ファイルの最上位はマッピングでなければなりません",
                                                    "the top level must be a mapping")))
        return None, _placed(document, problems)
    questionnaire: Questionnaire | None = None
    try:
        questionnaire = Questionnaire.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(Problem(path=tuple(e["loc"]), message=translate(e)) for e in exc.errors())
    if questionnaire is not None:
        problems.extend(cross_references(questionnaire))
    problems = _placed(document, problems)
    return (questionnaire if not problems else None), problems


def _placed(document: YamlDocument, problems: list[Problem]) -> list[Problem]:
    placed = [p if p.line is not None else Problem(path=p.path, message=p.message, line=document.line_of(p.path))
              for p in problems]
    return sorted(placed, key=lambda p: (p.line or 0, p.dotted))


def cross_references(questionnaire: Questionnaire) -> list[Problem]:
    """Problems a single model cannot see: unique ids, conditions, choices that fit the question type."""
    problems: list[Problem] = []
    seen_sections: set[str] = set()
    earlier: dict[str, Question] = {}
    for s, section in enumerate(questionnaire.sections):
        where_s: Path_ = ("sections", s)
        if section.id in seen_sections:
            problems.append(Problem((*where_s, "id"), t(f"セクション ID {section.id} が重複しています",
                                                        f"section id {section.id} is used twice")))
        seen_sections.add(section.id)
        for n, question in enumerate(section.questions):
            where: Path_ = (*where_s, "questions", n)
            if question.id in earlier:
                problems.append(Problem((*where, "id"), t(f"質問 ID {question.id} が重複しています",
                                                          f"question id {question.id} is used twice")))
            problems.extend(_question_problems(questionnaire, question, where, earlier))
            earlier[question.id] = question
    return problems


def _question_problems(questionnaire: Questionnaire, question: Question, where: Path_,
                       earlier: dict[str, Question]) -> list[Problem]:
    problems: list[Problem] = []
    given = question.model_fields_set
    if question.has_choices:
        problems.extend(_choice_problems(questionnaire, question, where))
    elif question.choices:
        problems.append(Problem((*where, "choices"), t(f"{question.type} 型の質問に choices は書けません",
                                                       f"a {question.type} question has no choices")))
    for spec, kind in (("number", "number"), ("text_limits", "text"), ("file", "file")):
        if spec in given and question.type != kind:
            problems.append(Problem((*where, spec), t(f"{spec} は {kind} 型の質問にだけ書けます",
                                                      f"{spec} belongs to {kind} questions only")))
    if question.type == "number" and question.number.minimum is not None and question.number.maximum is not None \
            and question.number.minimum > question.number.maximum:
        problems.append(Problem((*where, "number"), t("minimum が maximum より大きくなっています",
                                                      "minimum is greater than maximum")))
    if question.file.validity_required and not question.file.documents:
        problems.append(Problem((*where, "file", "validity_required"),
                                t("有効期限を求めるには document（文書の種類）を指定してください",
                                  "validity_required needs a document kind")))
    if question.observable is not None:
        observable = OBSERVABLES[question.observable]
        if not question.has_choices:
            problems.append(Problem((*where, "observable"), t("観測項目は選択式の質問にだけ付けられます",
                                                              "an observable belongs to a choice question")))
        elif not any(c.result == "compliant" for c in question.choices):
            problems.append(Problem((*where, "observable"),
                                    t("観測項目のある質問には result: compliant の選択肢が必要です（その回答を観測と照合します）",
                                      "a question with an observable needs a compliant choice (that answer is "
                                      "held against the telemetry)")))
        if observable.control != question.control_id:
            problems.append(Problem((*where, "observable"),
                                    t(f"観測項目 {observable.id} は管理策 {observable.control} のものです"
                                      f"（この質問は {question.control_id}）",
                                      f"observable {observable.id} belongs to control {observable.control} "
                                      f"(this question evidences {question.control_id})")))
    if question.depends_on is not None:
        problems.extend(_condition_problems(question, where, earlier))
    return problems


def _choice_problems(questionnaire: Questionnaire, question: Question, where: Path_) -> list[Problem]:
    problems: list[Problem] = []
    ids = [c.id for c in question.choices]
    if question.type == "yes_no":
        unknown = [i for i in ids if i not in ("yes", "no", "na")]
        if unknown or "yes" not in ids or "no" not in ids:
            problems.append(Problem((*where, "choices"),
                                    t("yes_no 型の選択肢は yes と no（任意で na）です",
                                      "a yes_no question has the choices yes and no (and optionally na)")))
    elif len(ids) < 2:
        problems.append(Problem((*where, "choices"), t("選択肢は 2 つ以上必要です", "give at least two choices")))
    seen: set[str] = set()
    for c, choice in enumerate(question.choices):
        if choice.id in seen:
            problems.append(Problem((*where, "choices", c, "id"), t(f"選択肢 ID {choice.id} が重複しています",
                                                                    f"choice id {choice.id} is used twice")))
        seen.add(choice.id)
        if choice.label is None and question.type != "yes_no":
            problems.append(Problem((*where, "choices", c, "label"), t("選択肢には label（ja/en）が必要です",
                                                                       "a choice needs a label (ja/en)")))
        if choice.score > questionnaire.max_score:
            problems.append(Problem((*where, "choices", c, "score"),
                                    t(f"score は max_score（{questionnaire.max_score:g}）以下にしてください",
                                      f"score is above max_score ({questionnaire.max_score:g})")))
        if choice.exclusive and question.type != "multiple_choice":
            problems.append(Problem((*where, "choices", c, "exclusive"),
                                    t("exclusive は複数選択の質問にだけ書けます",
                                      "exclusive belongs to multiple-choice questions only")))
    return problems


def _condition_problems(question: Question, where: Path_, earlier: dict[str, Question]) -> list[Problem]:
    condition = question.depends_on
    assert condition is not None
    at: Path_ = (*where, "depends_on")
    target = earlier.get(condition.question)
    if target is None:
        return [Problem((*at, "question"),
                        t(f"{condition.question} はこの質問より前にありません（条件は前の質問だけを参照できます）",
                          f"{condition.question} is not an earlier question (conditions refer to earlier "
                          "questions only)"))]
    if target.type not in CHOICE_TYPES:
        return [Problem((*at, "question"), t(f"{condition.question} は選択式の質問ではありません",
                                             f"{condition.question} is not a choice question"))]
    problems = [
        Problem((*at, "answers", i), t(f"{condition.question} に選択肢 {answer} はありません",
                                       f"{condition.question} has no choice {answer}"))
        for i, answer in enumerate(condition.answers) if target.choice(answer) is None
    ]
    if condition.condition == "all" and len(condition.answers) > 1 and target.type != "multiple_choice":
        problems.append(Problem((*at, "condition"),
                                t("condition: all で複数の回答を求められるのは複数選択の質問だけです",
                                  "condition all with several answers needs a multiple-choice question")))
    return problems


def load_questionnaire(path: Path) -> LoadedQuestionnaire:
    """Read and validate one file, or raise ``QuestionnaireInvalidError`` (``ConfigError`` if unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(t(f"質問票ファイル {path} がありません", f"questionnaire file {path} not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(t(f"{path} を読めません: {exc}", f"cannot read {path}: {exc}")) from None
    questionnaire, problems = validate_text(text)
    if questionnaire is None:
        raise QuestionnaireInvalidError(str(path), problems)
    return LoadedQuestionnaire(questionnaire, path, content_sha256(questionnaire))


def shipped_questionnaires() -> list[LoadedQuestionnaire]:
    """The questionnaires that ship with VendorWatch (``questionnaires/library/*.yaml``), by id."""
    loaded = [load_questionnaire(p) for p in sorted(LIBRARY.glob("*.yaml"))]
    return sorted(loaded, key=lambda q: q.questionnaire.id)


def find_questionnaire(reference: str) -> LoadedQuestionnaire:
    """A shipped questionnaire by id, or a file by path."""
    candidate = Path(reference)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return load_questionnaire(candidate)
    for loaded in shipped_questionnaires():
        if loaded.questionnaire.id == reference:
            return loaded
    ids = ", ".join(q.questionnaire.id for q in shipped_questionnaires())
    raise ConfigError(t(f"質問票 {reference} はありません（同梱: {ids}、またはファイルのパス）",
                        f"no questionnaire {reference} (shipped: {ids}, or give a file path)"))
