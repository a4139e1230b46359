"""The questionnaire page's rows: each question with its number, condition, current (or just typed) answer,
errors, files and the reviewer's notes — arranged for the template, decided by nothing here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from questionnaires.answers import AnswerValue, RawAnswer
from questionnaires.definition import DOCUMENT_KINDS, Question, Section
from questionnaires.respondent import FileView, NoteView, RequestView
from vendorwatch.i18n import Text


@dataclass
class QuestionRow:
    """One question as the page shows it."""

    question: Question
    number: str
    visible: bool
    condition: Text | None
    answer: AnswerValue | None
    posted: RawAnswer | None
    errors: list[Text] = field(default_factory=list)
    files: list[FileView] = field(default_factory=list)
    notes: list[NoteView] = field(default_factory=list)
    upload_error: Text | None = None

    def chosen(self, choice_id: str) -> bool:
        """Whether a choice is selected (as typed when the answer was refused, else as stored)."""
        if self.posted is not None:
            return choice_id in self.posted.choices
        return self.answer is not None and choice_id in self.answer.choices

    def value(self, part: str) -> str:
        """The text of an input: ``text``, ``number``, ``date``, ``other`` or ``comment``."""
        source: RawAnswer | AnswerValue | None = self.posted if self.posted is not None else self.answer
        if source is None:
            return ""
        raw = getattr(source, part, None)
        if raw is None:
            return ""
        if part == "number" and isinstance(raw, float):
            return f"{raw:g}"
        return str(raw.isoformat() if hasattr(raw, "isoformat") else raw)

    @property
    def depends_question(self) -> str:
        """The question this one depends on (for the page's script), or empty."""
        return self.question.depends_on.question if self.question.depends_on else ""

    @property
    def depends_answers(self) -> str:
        """The answers it depends on, space-separated."""
        return " ".join(self.question.depends_on.answers) if self.question.depends_on else ""

    @property
    def depends_condition(self) -> str:
        """``any`` or ``all``."""
        return self.question.depends_on.condition if self.question.depends_on else ""

    def kind_label(self, kind: str | None) -> Text | None:
        """A document kind in words."""
        return DOCUMENT_KINDS.get(kind) if kind else None


@dataclass
class SectionRows:
    """A section and its questions."""

    section: Section
    rows: list[QuestionRow]


def page_rows(view: RequestView, *, posted: Mapping[str, RawAnswer] | None = None,
              errors: Mapping[str, list[Text]] | None = None,
              upload_errors: Mapping[str, Text] | None = None) -> list[SectionRows]:
    """The sections of a request page; ``posted`` answers are shown for the questions that were refused."""
    numbers = view.questionnaire.numbering()
    problems = errors or {}
    typed = posted or {}
    notes: dict[str, list[NoteView]] = {}
    for note in view.notes:
        notes.setdefault(note.question_id or "", []).append(note)
    out = []
    for section in view.questionnaire.sections:
        rows = []
        for question in section.questions:
            qid = question.id
            rows.append(QuestionRow(
                question, numbers[qid], qid in view.visible, view.conditions.get(qid), view.answers.get(qid),
                typed.get(qid) if qid in problems else None, list(problems.get(qid, [])), view.files.get(qid, []),
                notes.get(qid, []), (upload_errors or {}).get(qid)))
        out.append(SectionRows(section, rows))
    return out


def general_notes(view: RequestView) -> list[NoteView]:
    """The reviewer's notes on the whole request (not on one question)."""
    return [n for n in view.notes if not n.question_id]
