"""What a request's answers are, whether they may be submitted, and the frozen record a submission leaves.

Shared by the portal path (:mod:`questionnaires.respondent`) and the offline workbook
(:mod:`questionnaires.workbook`): both submit through :func:`submission_errors` and :func:`record_submission`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from questionnaires.answers import AnswerValue
from questionnaires.definition import Questionnaire
from questionnaires.scoring import Scorecard, score_answers
from vendorwatch.clock import Clock
from vendorwatch.db.tables import (
    EvidenceDocument,
    QuestionnaireAnswer,
    QuestionnaireRequest,
    QuestionnaireReviewNote,
    QuestionnaireSubmission,
    QuestionnaireSubmittedAnswer,
)
from vendorwatch.i18n import Text, t


def load_answers(session: Session, request_id: int) -> dict[str, AnswerValue]:
    """The working answers of a request, by question id."""
    rows = session.exec(select(QuestionnaireAnswer).where(QuestionnaireAnswer.request_id == request_id))
    return {row.question_id: AnswerValue.model_validate(row.value) for row in rows}


def open_notes(session: Session, request_id: int) -> list[QuestionnaireReviewNote]:
    """The reviewer's notes not yet closed by a resubmission, oldest first."""
    return list(session.exec(
        select(QuestionnaireReviewNote).where(QuestionnaireReviewNote.request_id == request_id,
                                              col(QuestionnaireReviewNote.closed_at).is_(None))
        .order_by(col(QuestionnaireReviewNote.id))
    ))


def documents_by_question(session: Session, request_id: int) -> dict[str, list[EvidenceDocument]]:
    """Documents with a validity period registered through the request's questions."""
    found: dict[str, list[EvidenceDocument]] = {}
    for document in session.exec(select(EvidenceDocument).where(EvidenceDocument.request_id == request_id,
                                                               col(EvidenceDocument.withdrawn_at).is_(None))):
        found.setdefault(document.question_id or "", []).append(document)
    return found


def submission_errors(questionnaire: Questionnaire, answers: Mapping[str, AnswerValue],
                      documents: Mapping[str, list[EvidenceDocument]],
                      notes: list[QuestionnaireReviewNote]) -> tuple[Scorecard, dict[str, list[Text]]]:
    """The scorecard, and why the answers cannot be submitted yet (question id → reasons; "" for the whole)."""
    card = score_answers(questionnaire, answers)
    errors: dict[str, list[Text]] = {}
    for question_id in card.missing:
        errors.setdefault(question_id, []).append(t("必須の設問です。回答してください", "this question needs an answer"))
    for question in questionnaire.questions():
        if not card.questions[question.id].visible or question.type != "file":
            continue
        answer = answers.get(question.id)
        if not answer or not answer.files or not question.file.validity_required:
            continue
        dated = {d.file_id for d in documents.get(question.id, []) if d.valid_until is not None}
        undated = [f for f in answer.files if f not in dated]
        if undated:
            errors.setdefault(question.id, []).append(
                t("添付した文書の有効期限を入力してください", "enter the expiry date of the attached document"))
    for note in notes:
        if not (note.response or "").strip():
            key = note.question_id or ""
            errors.setdefault(key, []).append(t("確認者からの指摘に回答してください", "respond to the reviewer's note"))
    return card, errors


def record_submission(session: Session, request: QuestionnaireRequest, questionnaire: Questionnaire,
                      answers: Mapping[str, AnswerValue], card: Scorecard, *, actor: str, via: str,
                      clock: Clock) -> QuestionnaireSubmission:
    """Freeze the answers as a submission, with what checks read (control, result, observable), and close notes."""
    assert request.id is not None
    now = clock.now()
    submission = QuestionnaireSubmission(
        request_id=request.id, vendor_id=request.vendor_id, questionnaire_id=request.questionnaire_id,
        version_id=request.version_id, number=request.submissions + 1, submitted_at=now, submitted_by=actor, via=via,
        score=card.percent, result=card.result,
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None
    for question in questionnaire.questions():
        scored = card.questions[question.id]
        answer = answers.get(question.id)
        session.add(QuestionnaireSubmittedAnswer(
            submission_id=submission.id, request_id=request.id, vendor_id=request.vendor_id,
            questionnaire_id=request.questionnaire_id, question_id=question.id, control_id=question.control_id,
            item_id=question.item_id, observable=question.observable, visible=scored.visible,
            answered=scored.answered and scored.visible, result=scored.result, score=scored.score,
            value=answer.model_dump(mode="json") if answer is not None else None,
            display_ja=answer.display(question, "ja") if answer is not None else None,
            display_en=answer.display(question, "en") if answer is not None else None,
        ))
    for note in open_notes(session, request.id):
        note.closed_at = now
        session.add(note)
    session.flush()
    return submission
