"""What one press of the questionnaire form's buttons does: save the draft answers, the responses to the reviewer's
notes, and (when asked) submit — through :mod:`questionnaires.respondent`, in the caller's transaction.

Errors come back per question (``""`` for the whole request), for the page to show beside each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session

from questionnaires.answers import RawAnswer
from questionnaires.errors import AnswersInvalidError, QuestionnaireError
from questionnaires.respondent import Respondent, open_request, respond_to_note, save_answers, submit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import QuestionnaireSubmission
from vendorwatch.i18n import Text


@dataclass
class FormOutcome:
    """What a form post did."""

    saved: list[str] = field(default_factory=list)
    errors: dict[str, list[Text]] = field(default_factory=dict)
    note_errors: dict[int, Text] = field(default_factory=dict)
    submission: QuestionnaireSubmission | None = None

    @property
    def ok(self) -> bool:
        """Nothing was refused."""
        return not self.errors and not self.note_errors


def save_form(session: Session, respondent: Respondent, request_id: int, answers: Mapping[str, RawAnswer],
              responses: Mapping[int, str], *, submitting: bool, clock: Clock) -> FormOutcome:
    """Save answers and note responses; then submit if asked and nothing was refused."""
    outcome = FormOutcome()
    saved = save_answers(session, respondent, request_id, answers, clock=clock)
    outcome.saved = saved.saved + saved.cleared
    outcome.errors.update(saved.errors)
    view = open_request(session, respondent, request_id, clock=clock) if responses else None
    current = {n.note_id: n for n in view.notes if n.open} if view is not None else {}
    for note_id, text in responses.items():
        note = current.get(note_id)
        if view is None or note is None or (text or "").strip() == (note.response or "") \
                or view.request.state != "changes_requested":
            continue
        try:
            respond_to_note(session, respondent, request_id, note_id, text, clock=clock)
        except QuestionnaireError as error:
            outcome.note_errors[note_id] = error.message
    if submitting and outcome.ok:
        try:
            outcome.submission = submit(session, respondent, request_id, clock=clock)
        except AnswersInvalidError as error:
            for question_id, messages in error.errors.items():
                outcome.errors.setdefault(question_id, []).extend(messages)
    return outcome
