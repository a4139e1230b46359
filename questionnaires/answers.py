"""Answers: what a respondent gives (``RawAnswer``), checked against the question's type (``validate_answer``).

The portal's forms and the offline workbook both produce ``RawAnswer`` objects and go through the same
``validate_answer``; nothing else decides whether an answer is well formed. Pure functions, no storage.
"""

from __future__ import annotations

import datetime as dt
import math

from pydantic import BaseModel, ConfigDict, Field

from questionnaires.definition import Question
from vendorwatch.i18n import Text, t

MAX_COMMENT = 4000
MAX_OTHER = 2000


class RawAnswer(BaseModel):
    """An answer as entered: choice ids, free text, a number or date as typed, attached evidence files."""

    model_config = ConfigDict(extra="forbid")

    choices: list[str] = Field(default_factory=list)
    other: str | None = None
    text: str | None = None
    number: str | float | int | None = None
    date: str | dt.date | dt.datetime | None = None
    files: list[int] = Field(default_factory=list)
    comment: str | None = None


class AnswerValue(BaseModel):
    """A well-formed answer as stored (``questionnaire_answers.value``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    choices: list[str] = Field(default_factory=list)
    other: str | None = None
    text: str | None = None
    number: float | None = None
    date: dt.date | None = None
    files: list[int] = Field(default_factory=list)
    comment: str | None = None

    def answered(self, question: Question) -> bool:
        """Whether this answers the question (a comment alone does not)."""
        if question.has_choices:
            return bool(self.choices)
        if question.type == "text":
            return bool(self.text)
        if question.type == "number":
            return self.number is not None
        if question.type == "date":
            return self.date is not None
        return bool(self.files)

    def display(self, question: Question, language: str = "ja") -> str:
        """The answer as a person reads it."""
        if question.has_choices:
            labels = []
            for choice_id in self.choices:
                choice = question.choice(choice_id)
                labels.append(choice.label_text().get(language) if choice else choice_id)
            text = "、".join(labels) if language == "ja" else ", ".join(labels)
            return f"{text}（{self.other}）" if self.other and language == "ja" else \
                f"{text} ({self.other})" if self.other else text
        if question.type == "number" and self.number is not None:
            return f"{self.number:g}"
        if question.type == "date" and self.date is not None:
            return self.date.isoformat()
        if question.type == "file":
            return f"{len(self.files)} file(s)" if language == "en" else f"{len(self.files)} 件のファイル"
        return self.text or ""


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.replace("\r\n", "\n").strip()
    return stripped or None


def _too_long(what: Text, limit: int) -> Text:
    return t(f"{what.ja}は {limit} 文字以内にしてください", f"{what.en} must be at most {limit} characters")


def _number(question: Question, raw: str | float | int | None, errors: list[Text]) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        errors.append(t("数値を入力してください", "enter a number"))
        return None
    try:
        value = float(raw.strip().replace(",", "").replace("，", "")) if isinstance(raw, str) else float(raw)
    except ValueError:
        errors.append(t(f"数値ではありません: {raw}", f"not a number: {raw}"))
        return None
    if not math.isfinite(value):
        errors.append(t("有限の数値を入力してください", "enter a finite number"))
        return None
    spec = question.number
    if spec.integer and not value.is_integer():
        errors.append(t("整数で入力してください", "enter a whole number"))
    if spec.minimum is not None and value < spec.minimum:
        errors.append(t(f"{spec.minimum:g} 以上の値を入力してください", f"enter at least {spec.minimum:g}"))
    if spec.maximum is not None and value > spec.maximum:
        errors.append(t(f"{spec.maximum:g} 以下の値を入力してください", f"enter at most {spec.maximum:g}"))
    return value


def _date(raw: str | dt.date | dt.datetime | None, errors: list[Text]) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = raw.strip().replace("/", "-")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(t(f"日付は YYYY-MM-DD で入力してください: {raw}", f"enter a date as YYYY-MM-DD: {raw}"))
        return None


def _choices(question: Question, raw: RawAnswer, errors: list[Text]) -> tuple[list[str], str | None]:
    chosen = list(dict.fromkeys(c.strip() for c in raw.choices if c and c.strip()))
    unknown = [c for c in chosen if question.choice(c) is None]
    if unknown:
        errors.append(t(f"選択肢にない回答です: {', '.join(unknown)}", f"not a choice of this question: {', '.join(unknown)}"))
        chosen = [c for c in chosen if c not in unknown]
    if question.type != "multiple_choice" and len(chosen) > 1:
        errors.append(t("選択できる回答は 1 つです", "choose one answer only"))
        chosen = chosen[:1]
    exclusive = [c for c in chosen if (choice := question.choice(c)) is not None and choice.exclusive]
    if exclusive and len(chosen) > 1:
        label = question.choice(exclusive[0]).label_text()  # type: ignore[union-attr]
        errors.append(t(f"「{label.ja}」は他の選択肢と同時に選べません", f"'{label.en}' cannot be combined with other choices"))
    other = _clean(raw.other)
    needs_other = any((choice := question.choice(c)) is not None and choice.other for c in chosen)
    if needs_other and not other:
        errors.append(t("「その他」を選んだ場合は内容を記入してください", "describe your 'other' answer"))
    if other and len(other) > MAX_OTHER:
        errors.append(_too_long(t("その他の内容", "the description"), MAX_OTHER))
    return chosen, other if needs_other else None


def validate_answer(question: Question, raw: RawAnswer) -> tuple[AnswerValue | None, list[Text]]:
    """The stored form of an answer and the problems with it; ``None`` when it does not answer (cleared)."""
    errors: list[Text] = []
    comment = _clean(raw.comment)
    if comment and len(comment) > MAX_COMMENT:
        errors.append(_too_long(t("コメント", "a comment"), MAX_COMMENT))
    value: AnswerValue
    if question.has_choices:
        chosen, other = _choices(question, raw, errors)
        value = AnswerValue(choices=chosen, other=other, comment=comment)
    elif question.type == "text":
        text = _clean(raw.text)
        if text and len(text) > question.text_limits.max_length:
            errors.append(_too_long(t("回答", "the answer"), question.text_limits.max_length))
        if text and not question.text_limits.multiline and "\n" in text:
            errors.append(t("改行を含めずに入力してください", "enter a single line"))
        value = AnswerValue(text=text, comment=comment)
    elif question.type == "number":
        value = AnswerValue(number=_number(question, raw.number, errors), comment=comment)
    elif question.type == "date":
        value = AnswerValue(date=_date(raw.date, errors), comment=comment)
    else:
        files = list(dict.fromkeys(raw.files))
        if len(files) > question.file.max_files:
            errors.append(t(f"添付できるファイルは {question.file.max_files} 件までです",
                            f"attach at most {question.file.max_files} file(s)"))
        value = AnswerValue(files=files, comment=comment)
    if errors:
        return None, errors
    if not value.answered(question) and not value.comment:
        return None, []
    return value, []
