"""Pydantic models of a questionnaire file (``questionnaires/library/*.yaml``).

A questionnaire is data: sections of typed questions, each naming the control of JSDA IV.3(2) it evidences
(or a related guideline item, such as 1(2)③), optionally the telemetry that can contradict it, and for
choice questions a score and a result per choice (after CISO Assistant's ``add_score`` / ``compute_result``).
Models forbid unknown fields so that a typo is an error; cross-references (conditions pointing at earlier
questions, choice ids) are checked by :mod:`questionnaires.loader` so that each error has its exact path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from vendorwatch.checks.observables import OBSERVABLES
from vendorwatch.controls.catalog import load_catalog
from vendorwatch.i18n import Text
from vendorwatch.registry.models import bilingual_error

QuestionType = Literal["yes_no", "single_choice", "multiple_choice", "text", "number", "date", "file"]
CHOICE_TYPES: frozenset[str] = frozenset({"yes_no", "single_choice", "multiple_choice"})
Result = Literal["compliant", "partial", "non_compliant", "not_applicable"]
RESULTS: tuple[Result, ...] = ("compliant", "partial", "non_compliant", "not_applicable")
DocumentKind = Literal["iso27001_certificate", "isms_certificate", "pentest_report", "soc2_report", "other"]
DOCUMENT_KINDS: dict[str, Text] = {
    "iso27001_certificate": Text(ja="ISO/IEC 27001 認証書", en="ISO/IEC 27001 certificate"),
    "isms_certificate": Text(ja="ISMS 認証書", en="ISMS certificate"),
    "pentest_report": Text(ja="ペネトレーションテスト報告書", en="penetration-test report"),
    "soc2_report": Text(ja="SOC 2 報告書", en="SOC 2 report"),
    "other": Text(ja="その他の証跡", en="other evidence"),
}
CONTROL_IDS: tuple[str, ...] = tuple(f"3.2.{n}" for n in range(1, 8))
# Labels of the three answers of a yes/no question, so files need not repeat them.
YES_NO_LABELS: dict[str, Text] = {
    "yes": Text(ja="はい", en="Yes"),
    "no": Text(ja="いいえ", en="No"),
    "na": Text(ja="該当なし", en="Not applicable"),
}
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


def _yaml_booleans(value: object) -> object:
    """YAML 1.1 reads an unquoted ``yes``/``no`` as a boolean; as a choice id it means the word."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def _rejoin_unquoted_commas(data: object) -> object:
    """``{en: Yes, with approval}`` in flow style splits at the comma into ``en`` and a key ``with approval``.

    A key with no value right after ``ja`` or ``en`` is taken back as the rest of that text (as the registry
    does for names), so authors need not quote every English sentence with a comma.
    """
    if not isinstance(data, dict):
        return data
    joined: dict[object, object] = {}
    last: object = None
    for key, value in data.items():
        if value is None and last in ("ja", "en") and key not in ("ja", "en"):
            joined[last] = f"{joined[last]}, {key}"
            continue
        joined[key] = value
        last = key if isinstance(value, str) else None
    return joined


BilingualText = Annotated[Text, BeforeValidator(_rejoin_unquoted_commas)]
ChoiceId = Annotated[str, BeforeValidator(_yaml_booleans), Field(pattern=ID_PATTERN)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]


class Strict(BaseModel):
    """Base of every questionnaire model: unknown fields are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    """One answer of a choice question, its score and what it means for the control."""

    id: ChoiceId
    label: BilingualText | None = None
    score: float = Field(ge=0)
    result: Result
    other: bool = Field(default=False, description="'other, please describe': choosing it needs a description")
    exclusive: bool = Field(default=False, description="multiple choice: cannot be combined ('none of these')")

    def label_text(self) -> Text:
        """The label, or the standard one of a yes/no answer."""
        return self.label or YES_NO_LABELS.get(self.id, Text(ja=self.id, en=self.id))


class DependsOn(Strict):
    """Show a question only when an earlier choice question has (any or all of) the given answers."""

    question: Identifier
    answers: list[ChoiceId] = Field(min_length=1)
    condition: Literal["any", "all"] = "any"


class NumberSpec(Strict):
    """Bounds and unit of a number question."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    unit: BilingualText | None = None


class TextSpec(Strict):
    """Length limit of a text question."""

    max_length: int = Field(default=4000, ge=1, le=20000)
    multiline: bool = True


class FileSpec(Strict):
    """A file-evidence question: how many files, and whether they are documents with a validity period."""

    documents: list[DocumentKind] = Field(default_factory=list, description="kinds of document accepted")
    validity_required: bool = Field(default=False, description="the document's valid-until date must be given")
    max_files: int = Field(default=5, ge=1, le=20)

    @model_validator(mode="before")
    @classmethod
    def _one_document(cls, data: object) -> object:
        """``document: soc2_report`` is short for ``documents: [soc2_report]``."""
        if isinstance(data, dict) and "document" in data and "documents" not in data:
            data = dict(data)
            data["documents"] = [data.pop("document")]
        return data


def resolve_control(value: str) -> tuple[str, str | None]:
    """``3.2.5`` → (3.2.5, None); a related item (``1.2.3``, ``1(2)③``, ``IV.1(2)③``) → (its control, item id)."""
    if value in CONTROL_IDS:
        return value, None
    catalog = load_catalog()
    wanted = value.removeprefix("IV.")
    for item in catalog.related:
        if wanted in (item.id, item.item.removeprefix("IV.")):
            owner = next(c.id for c in catalog.controls if item.id in c.related)
            return owner, item.id
    raise KeyError(value)


def control_choices() -> str:
    """What ``control`` accepts, for error messages."""
    related = ", ".join(f"{i.id} ({i.item})" for i in load_catalog().related)
    return f"{', '.join(CONTROL_IDS)}; {related}"


class Question(Strict):
    """One question: its type, text and help in both languages, and what it evidences."""

    id: Identifier
    type: QuestionType
    text: BilingualText
    help: BilingualText | None = None
    required: bool = True
    control: str = Field(description="3.2.1–3.2.7, or a related guideline item such as 1(2)③")
    observable: str | None = Field(default=None, description="telemetry that can contradict a compliant answer")
    weight: float = Field(default=1.0, ge=0, le=100)
    depends_on: DependsOn | None = None
    choices: list[Choice] = Field(default_factory=list)
    number: NumberSpec = Field(default_factory=NumberSpec)
    text_limits: TextSpec = Field(default_factory=TextSpec)
    file: FileSpec = Field(default_factory=FileSpec)

    @field_validator("control", mode="before")
    @classmethod
    def _known_control(cls, value: object) -> object:
        if isinstance(value, int | float):
            value = str(value)
        if isinstance(value, str):
            try:
                resolve_control(value)
            except KeyError:
                raise bilingual_error(
                    "不明な管理策・関連項目です: {value}（次のいずれか: {choices}）",
                    "unknown control or related item: {value} (one of: {choices})",
                    value=value, choices=control_choices(),
                ) from None
        return value

    @field_validator("observable")
    @classmethod
    def _known_observable(cls, value: str | None) -> str | None:
        if value is not None and value not in OBSERVABLES:
            raise bilingual_error(
                "不明な観測項目です: {value}（次のいずれか: {choices}）",
                "unknown observable: {value} (one of: {choices})",
                value=value, choices=", ".join(sorted(OBSERVABLES)),
            )
        return value

    @property
    def control_id(self) -> str:
        """The control (3.2.1–3.2.7) this question evidences; a related item counts for its control."""
        return resolve_control(self.control)[0]

    @property
    def item_id(self) -> str | None:
        """The related guideline item (``1.2.3``), when the question cites one."""
        return resolve_control(self.control)[1]

    @property
    def has_choices(self) -> bool:
        """Whether the question is answered by choosing."""
        return self.type in CHOICE_TYPES

    def choice(self, choice_id: str) -> Choice | None:
        """A choice by id."""
        return next((c for c in self.choices if c.id == choice_id), None)


class Section(Strict):
    """A group of questions with a title."""

    id: Identifier
    title: BilingualText
    help: BilingualText | None = None
    questions: list[Question] = Field(min_length=1)


class Questionnaire(Strict):
    """A whole questionnaire file: identity, version, scoring scale and sections."""

    id: Identifier
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")
    title: BilingualText
    description: BilingualText | None = None
    audience: Literal["vendor", "sub_vendor", "any"] = "any"
    max_score: float = Field(default=10, gt=0, le=1000, description="the highest score a choice may give")
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> Iterator[Question]:
        """Every question, in order."""
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        """A question by id; ``KeyError`` if there is none."""
        for question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def section_of(self, question_id: str) -> Section:
        """The section holding a question."""
        for section in self.sections:
            if any(q.id == question_id for q in section.questions):
                return section
        raise KeyError(question_id)

    def numbering(self) -> dict[str, str]:
        """Question id → its number as people read it (``2.3``: third question of the second section)."""
        return {q.id: f"{s}.{n}" for s, section in enumerate(self.sections, 1)
                for n, q in enumerate(section.questions, 1)}

    def questions_per_control(self) -> dict[str, int]:
        """How many questions evidence each control (related items counted under their control)."""
        counts = dict.fromkeys(CONTROL_IDS, 0)
        for question in self.questions():
            counts[question.control_id] += 1
        return counts

    def questions_per_item(self) -> dict[str, int]:
        """How many questions cite each related guideline item."""
        counts: dict[str, int] = {}
        for question in self.questions():
            if question.item_id:
                counts[question.item_id] = counts.get(question.item_id, 0) + 1
        return counts
