"""Reading the questionnaire form: field names → ``RawAnswer`` per question, note responses, document details.

Field names: ``shown`` lists the questions the page rendered; ``q.<id>`` holds choices (radio or checkboxes),
``q.<id>.other``, ``.text``, ``.number``, ``.date`` and ``.comment`` the rest; ``note.<id>`` a response to a
reviewer's note. Only questions the page showed are read, so a missing checkbox means "none chosen".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from questionnaires.answers import RawAnswer
from questionnaires.definition import Questionnaire
from questionnaires.evidence import DocumentDetails

MAX_FIELD = 20_000


class FormData(Protocol):
    """What Starlette's form gives (a multi-dict)."""

    def getlist(self, key: str) -> list[object]:
        """Every value of a field."""
        ...

    def get(self, key: str, default: object = None) -> object:
        """The first value of a field."""
        ...


def _text(form: FormData, key: str) -> str | None:
    value = form.get(key)
    return value[:MAX_FIELD] if isinstance(value, str) else None


def answers_from(form: FormData, questionnaire: Questionnaire) -> dict[str, RawAnswer]:
    """The answers of every question the form showed."""
    shown = {str(v) for v in form.getlist("shown") if isinstance(v, str)}
    found: dict[str, RawAnswer] = {}
    for question in questionnaire.questions():
        if question.id not in shown:
            continue
        key = f"q.{question.id}"
        comment = _text(form, f"{key}.comment")
        if question.has_choices:
            found[question.id] = RawAnswer(choices=[str(v) for v in form.getlist(key) if isinstance(v, str)][:50],
                                           other=_text(form, f"{key}.other"), comment=comment)
        elif question.type == "text":
            found[question.id] = RawAnswer(text=_text(form, f"{key}.text"), comment=comment)
        elif question.type == "number":
            found[question.id] = RawAnswer(number=_text(form, f"{key}.number"), comment=comment)
        elif question.type == "date":
            found[question.id] = RawAnswer(date=_text(form, f"{key}.date"), comment=comment)
        else:
            found[question.id] = RawAnswer(comment=comment)
    return found


def note_ids(form: FormData) -> list[int]:
    """The notes the form carries a response field for (``notes`` lists them)."""
    return [int(v) for v in form.getlist("notes") if isinstance(v, str) and v.isdigit()][:100]


def responses_from(form: FormData, ids: Sequence[int]) -> dict[int, str]:
    """Responses to the reviewer's notes (the domain accepts them only for the request's open notes)."""
    return {n: value for n in ids if (value := _text(form, f"note.{n}")) is not None}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def document_from(form: FormData, kinds: Sequence[str]) -> tuple[DocumentDetails | None, list[str]]:
    """The document details of an upload to a question that takes documents; problems as field names."""
    if not kinds:
        return None, []
    kind = _text(form, "kind") or kinds[0]
    problems = []
    until_raw, from_raw = _text(form, "valid_until"), _text(form, "valid_from")
    until, since = _date(until_raw), _date(from_raw)
    if until_raw and until is None:
        problems.append("valid_until")
    if from_raw and since is None:
        problems.append("valid_from")
    return DocumentDetails(kind=kind, valid_until=until, valid_from=since), problems
