"""What the firm's reviewer does with a submitted request: read it beside the telemetry, return it with a note per
question, accept it, reopen it. The CLI (``campaign review``) and the dashboard call these same functions.

Beside each answer that claims something the vendor's systems can show (a question with an ``observable``),
the reviewer gets the contradicting evidence: the finding ids, the events and the principals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from questionnaires.answers import AnswerValue
from questionnaires.campaigns import get_request, local_today, transition
from questionnaires.definition import Question, Questionnaire
from questionnaires.errors import QuestionnaireError
from questionnaires.scoring import Scorecard, score_answers
from questionnaires.submission import load_answers
from questionnaires.versions import load_version
from vendorwatch.checks.knowledge import Knowledge
from vendorwatch.checks.observables import OBSERVABLES, Observation, observe
from vendorwatch.clock import Clock
from vendorwatch.db.tables import (
    EvidenceFile,
    QuestionnaireCampaign,
    QuestionnaireRequest,
    QuestionnaireRequestHistory,
    QuestionnaireReviewNote,
    QuestionnaireSubmission,
    QuestionnaireSubmittedAnswer,
)
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import Registry

MAX_NOTE = 4000


@dataclass(frozen=True)
class Contradiction:
    """A compliant answer the telemetry contradicts, with the evidence."""

    question_id: str
    observable: str
    claim: Text
    answer: str
    observation: Observation


@dataclass
class ReviewView:
    """A request as the reviewer reads it: the submitted answers, scores, notes, history and contradictions."""

    request: QuestionnaireRequest
    campaign: QuestionnaireCampaign
    questionnaire: Questionnaire
    submission: QuestionnaireSubmission | None
    answers: dict[str, AnswerValue]
    scorecard: Scorecard
    notes: list[QuestionnaireReviewNote]
    history: list[QuestionnaireRequestHistory]
    files: dict[str, list[EvidenceFile]]
    contradictions: dict[str, Contradiction] = field(default_factory=dict)


def submitted_answers(session: Session, submission_id: int) -> dict[str, AnswerValue]:
    """The answers frozen in a submission."""
    rows = session.exec(select(QuestionnaireSubmittedAnswer)
                        .where(QuestionnaireSubmittedAnswer.submission_id == submission_id))
    return {r.question_id: AnswerValue.model_validate(r.value) for r in rows if r.value is not None}


def latest_submission(session: Session, request_id: int) -> QuestionnaireSubmission | None:
    """The request's most recent submission."""
    return session.exec(select(QuestionnaireSubmission).where(QuestionnaireSubmission.request_id == request_id)
                        .order_by(col(QuestionnaireSubmission.number).desc())).first()


def contradictions(session: Session, registry: Registry, questionnaire: Questionnaire, vendor_id: str,
                   answers: Mapping[str, AnswerValue], clock: Clock) -> dict[str, Contradiction]:
    """Each visible compliant answer to a question with an observable that the telemetry contradicts."""
    card = score_answers(questionnaire, answers)
    knowledge = Knowledge(registry)
    today = local_today(clock, registry.organization.timezone)
    found: dict[str, Contradiction] = {}
    for question in questionnaire.questions():
        scored = card.questions[question.id]
        if question.observable is None or not scored.visible or scored.result != "compliant":
            continue
        observation = observe(session, knowledge, question.observable, vendor_id, today)
        if observation.contradicted:
            answer = answers[question.id]
            found[question.id] = Contradiction(question.id, question.observable,
                                               OBSERVABLES[question.observable].claim,
                                               answer.display(question, "ja"), observation)
    return found


def review_view(session: Session, registry: Registry, request_id: int, *, clock: Clock) -> ReviewView:
    """The reviewer's view of a request: the latest submission (or the draft before any), with contradictions."""
    request = get_request(session, request_id)
    assert request.id is not None
    campaign = session.get(QuestionnaireCampaign, request.campaign_id)
    assert campaign is not None
    _, questionnaire = load_version(session, request.version_id)
    submission = latest_submission(session, request.id)
    answers = submitted_answers(session, submission.id) if submission and submission.id else load_answers(session, request.id)
    notes = list(session.exec(select(QuestionnaireReviewNote).where(QuestionnaireReviewNote.request_id == request.id)
                              .order_by(col(QuestionnaireReviewNote.id))))
    history = list(session.exec(select(QuestionnaireRequestHistory)
                                .where(QuestionnaireRequestHistory.request_id == request.id)
                                .order_by(col(QuestionnaireRequestHistory.id))))
    files: dict[str, list[EvidenceFile]] = {}
    attached = {f for a in answers.values() for f in a.files}
    for row in session.exec(select(EvidenceFile).where(EvidenceFile.request_id == request.id)
                            .order_by(col(EvidenceFile.id))):
        if row.id in attached:
            files.setdefault(row.question_id or "", []).append(row)
    return ReviewView(request, campaign, questionnaire, submission, answers, score_answers(questionnaire, answers),
                      notes, history, files,
                      contradictions(session, registry, questionnaire, request.vendor_id, answers, clock))


def _question(questionnaire: Questionnaire, question_id: str) -> Question:
    try:
        return questionnaire.question(question_id)
    except KeyError:
        raise QuestionnaireError(t(f"設問 {question_id} はこの質問票にありません",
                                   f"there is no question {question_id} in this questionnaire")) from None


def _reviewed(submission: QuestionnaireSubmission | None, outcome: str | None, actor: str, now: datetime) -> None:
    if submission is not None:
        submission.outcome = outcome
        submission.reviewed_at = now if outcome else None
        submission.reviewed_by = actor if outcome else None


def request_changes(session: Session, request_id: int, notes: Mapping[str | None, str], *, actor: str,
                    clock: Clock) -> list[QuestionnaireReviewNote]:
    """Return a submitted request with a note per question (``None`` for a note on the whole request)."""
    request = get_request(session, request_id, for_update=True)
    _, questionnaire = load_version(session, request.version_id)
    cleaned = {q: n.strip() for q, n in notes.items() if n and n.strip()}
    if not cleaned:
        raise QuestionnaireError(t("差し戻す理由（設問ごとの指摘）を 1 件以上入力してください",
                                   "give at least one note saying what to change"))
    for question_id, text in cleaned.items():
        if question_id is not None:
            _question(questionnaire, question_id)
        if len(text) > MAX_NOTE:
            raise QuestionnaireError(t(f"指摘は {MAX_NOTE} 文字以内にしてください",
                                       f"a note must be at most {MAX_NOTE} characters"))
    submission = latest_submission(session, request_id)
    transition(session, request, "request_changes", actor=actor, clock=clock,
               details={"notes": {q or "": n for q, n in cleaned.items()}})
    assert submission is not None and submission.id is not None
    now = clock.now()
    _reviewed(submission, "changes_requested", actor, now)
    session.add(submission)
    created = []
    for question_id, text in cleaned.items():
        note = QuestionnaireReviewNote(request_id=request_id, submission_id=submission.id, question_id=question_id,
                                       note=text, author=actor, created_at=now)
        session.add(note)
        created.append(note)
    session.flush()
    return created


def accept(session: Session, request_id: int, *, actor: str, clock: Clock, note: str | None = None) -> QuestionnaireRequest:
    """Accept a submitted request: the answers stand as the vendor's declaration for this cycle."""
    request = get_request(session, request_id, for_update=True)
    transition(session, request, "accept", actor=actor, clock=clock, note=(note or "").strip() or None)
    submission = latest_submission(session, request_id)
    _reviewed(submission, "accepted", actor, clock.now())
    if submission is not None:
        session.add(submission)
    session.flush()
    return request


def reopen(session: Session, request_id: int, *, actor: str, reason: str, clock: Clock) -> QuestionnaireRequest:
    """Reopen an accepted request for review again (a reason is required); it can then be returned or accepted."""
    if not reason.strip():
        raise QuestionnaireError(t("再開の理由を入力してください", "give a reason for reopening"))
    request = get_request(session, request_id, for_update=True)
    transition(session, request, "reopen", actor=actor, clock=clock, note=reason.strip())
    submission = latest_submission(session, request_id)
    _reviewed(submission, None, actor, clock.now())
    if submission is not None:
        session.add(submission)
    session.flush()
    return request
