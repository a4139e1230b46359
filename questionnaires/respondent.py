"""What a vendor contact can do, scoped to the contact's own vendor: the domain the portal calls.

- the contact's requests, plus the status (only the status) of the requests of its sub-vendors, whom the
  vendor supervises (3.2.7);
- a request looked up by id *within the contact's vendor*: another vendor's id is "not found", never
  "forbidden", so ids reveal nothing;
- save draft answers (validated against the question types; resume later), upload evidence, submit (every
  visible required question answered, else errors per question), respond to a reviewer's note and submit
  again, the history of the vendor's submissions.

Every change is audited in the caller's transaction. Denied lookups and refused uploads are security events,
audited so that they stay recorded when the caller's request fails (:mod:`questionnaires.security_events`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from sqlmodel import Session, col, select

from questionnaires.answers import AnswerValue, RawAnswer, validate_answer
from questionnaires.campaigns import lock_request, transition
from questionnaires.conditions import explain_condition, visible_questions
from questionnaires.definition import DOCUMENT_KINDS, Questionnaire
from questionnaires.errors import (
    AnswersInvalidError,
    EvidenceRefusedError,
    QuestionnaireError,
    RequestNotFoundError,
    TransitionRefusedError,
)
from questionnaires.evidence import DocumentDetails, register_document, store_file
from questionnaires.evidence_store import EvidenceStore
from questionnaires.security_events import record_security_event
from questionnaires.states import EDITABLE, STATE_LABELS
from questionnaires.submission import (
    documents_by_question,
    load_answers,
    open_notes,
    record_submission,
    submission_errors,
)
from questionnaires.versions import load_version
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import (
    EvidenceDocument,
    EvidenceFile,
    QuestionnaireAnswer,
    QuestionnaireCampaign,
    QuestionnaireRequest,
    QuestionnaireReviewNote,
    QuestionnaireSubmission,
)
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import Registry


@dataclass(frozen=True)
class Respondent:
    """A signed-in vendor contact: which vendor they answer for, and who they are (for the audit log)."""

    vendor_id: str
    email: str
    via: str = "portal"
    recorded_by: str | None = None  # the firm's staff member entering answers on the contact's behalf (workbook)

    @property
    def actor(self) -> str:
        """The audit log's actor."""
        return f"contact:{self.email}"

    def audit_details(self) -> dict[str, Any]:
        """What every audit entry of this respondent carries."""
        details: dict[str, Any] = {"vendor": self.vendor_id, "via": self.via}
        if self.recorded_by:
            details["recorded_by"] = self.recorded_by
        return details


def respondent_for(registry: Registry, vendor_id: str, email: str, *, via: str = "portal",
                   recorded_by: str | None = None) -> Respondent:
    """The respondent for a contact of the registry; refused when the e-mail is not a contact of that vendor."""
    try:
        vendor = registry.vendor(vendor_id)
    except KeyError:
        raise QuestionnaireError(t(f"委託先 {vendor_id} は台帳にありません",
                                   f"vendor {vendor_id} is not in the registry")) from None
    wanted = email.strip().lower()
    if not any(str(c.email).lower() == wanted for c in vendor.contacts):
        raise QuestionnaireError(t(f"{email} は {vendor_id} の連絡先（contacts）に登録されていません",
                                   f"{email} is not a contact of {vendor_id} in the registry"))
    return Respondent(vendor_id, wanted, via, recorded_by)


def _own_request(session: Session, respondent: Respondent, request_id: int, clock: Clock, *,
                 for_update: bool = False) -> QuestionnaireRequest:
    request = lock_request(session, request_id) if for_update else session.get(QuestionnaireRequest, request_id)
    if request is None or request.vendor_id != respondent.vendor_id:
        record_security_event(session, actor=respondent.actor, action="questionnaire.request.not_found",
                       target=f"request:{request_id}", details=respondent.audit_details(), clock=clock)
        raise RequestNotFoundError(request_id)
    return request


# --- listing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestSummary:
    """One of the contact's own requests, as a list shows it."""

    request_id: int
    campaign: str
    questionnaire_id: str
    version: str
    title: Text
    state: str
    state_label: Text
    due_at: datetime
    submitted_at: datetime | None
    editable: bool


@dataclass(frozen=True)
class SubVendorRequestStatus:
    """A sub-vendor's request as its parent sees it: the status, never the answers."""

    vendor_id: str
    vendor_name: Text
    campaign: str
    title: Text
    state: str
    state_label: Text
    due_at: datetime
    submitted_at: datetime | None


@dataclass
class RequestList:
    """What a contact's home page lists."""

    own: list[RequestSummary] = field(default_factory=list)
    sub_vendors: list[SubVendorRequestStatus] = field(default_factory=list)


def descendants(registry: Registry, vendor_id: str) -> list[str]:
    """Every sub-vendor below a vendor, at any tier (the vendor answers for its whole chain, 3.2.7)."""
    children: dict[str, list[str]] = {}
    for vendor in registry.vendors:
        if vendor.parent:
            children.setdefault(vendor.parent, []).append(vendor.id)
    found: list[str] = []
    queue = list(children.get(vendor_id, []))
    while queue:
        current = queue.pop(0)
        if current in found or current == vendor_id:
            continue
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def _rows(session: Session, vendor_ids: list[str]) -> list[tuple[QuestionnaireRequest, QuestionnaireCampaign]]:
    if not vendor_ids:
        return []
    return list(session.exec(
        select(QuestionnaireRequest, QuestionnaireCampaign)
        .join(QuestionnaireCampaign, col(QuestionnaireCampaign.id) == QuestionnaireRequest.campaign_id)
        .where(col(QuestionnaireRequest.vendor_id).in_(vendor_ids))
        .order_by(col(QuestionnaireCampaign.due_at).desc(), col(QuestionnaireRequest.id).desc())
    ).all())


def requests_for(session: Session, registry: Registry, respondent: Respondent) -> RequestList:
    """The contact's own requests and the status of its sub-vendors' requests."""
    listing = RequestList()
    for request, campaign in _rows(session, [respondent.vendor_id]):
        version, questionnaire = load_version(session, request.version_id)
        assert request.id is not None
        listing.own.append(RequestSummary(
            request.id, campaign.name, version.questionnaire_id, version.version, questionnaire.title, request.state,
            STATE_LABELS[request.state], request.due_at, request.submitted_at, request.state in EDITABLE))
    names = {v.id: v.name.text() for v in registry.vendors}
    for request, campaign in _rows(session, descendants(registry, respondent.vendor_id)):
        _, questionnaire = load_version(session, request.version_id)
        listing.sub_vendors.append(SubVendorRequestStatus(
            request.vendor_id, names.get(request.vendor_id, t(request.vendor_id, request.vendor_id)), campaign.name,
            questionnaire.title, request.state, STATE_LABELS[request.state], request.due_at, request.submitted_at))
    return listing


# --- one request --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileView:
    """An evidence file attached to a question (metadata only; managers download the content as an attachment)."""

    file_id: int
    filename: str
    size: int
    media_type: str
    uploaded_at: datetime
    document_kind: str | None = None
    valid_until: str | None = None


@dataclass(frozen=True)
class NoteView:
    """A reviewer's note and the contact's response."""

    note_id: int
    question_id: str | None
    note: str
    created_at: datetime
    response: str | None
    open: bool


@dataclass
class RequestView:
    """Everything a page needs to show one request to its vendor's contact."""

    request: QuestionnaireRequest
    campaign: QuestionnaireCampaign
    questionnaire: Questionnaire
    answers: dict[str, AnswerValue]
    visible: set[str]
    files: dict[str, list[FileView]]
    notes: list[NoteView]
    missing: list[str]
    conditions: dict[str, Text]

    @property
    def editable(self) -> bool:
        """Whether answers may still change (submitted and accepted requests are locked)."""
        return self.request.state in EDITABLE

    @property
    def state_label(self) -> Text:
        """The state in words."""
        return STATE_LABELS[self.request.state]


def _files(session: Session, request_id: int) -> dict[str, list[FileView]]:
    documents = {d.file_id: d for d in session.exec(select(EvidenceDocument).where(
        EvidenceDocument.request_id == request_id, col(EvidenceDocument.withdrawn_at).is_(None)))}
    found: dict[str, list[FileView]] = {}
    for row in session.exec(select(EvidenceFile).where(EvidenceFile.request_id == request_id)
                            .order_by(col(EvidenceFile.id))):
        assert row.id is not None
        document = documents.get(row.id)
        found.setdefault(row.question_id or "", []).append(FileView(
            row.id, row.filename, row.size, row.media_type, row.uploaded_at,
            document.kind if document else None,
            document.valid_until.isoformat() if document and document.valid_until else None))
    return found


def _view(session: Session, request: QuestionnaireRequest) -> RequestView:
    assert request.id is not None
    _, questionnaire = load_version(session, request.version_id)
    campaign = session.get(QuestionnaireCampaign, request.campaign_id)
    assert campaign is not None
    answers = load_answers(session, request.id)
    visible = visible_questions(questionnaire, answers)
    files = _files(session, request.id)
    for question_id, answer in answers.items():  # only files still attached to the answer
        if question_id in files:
            files[question_id] = [f for f in files[question_id] if f.file_id in answer.files]
    notes = [NoteView(n.id or 0, n.question_id, n.note, n.created_at, n.response, n.closed_at is None)
             for n in session.exec(select(QuestionnaireReviewNote).where(QuestionnaireReviewNote.request_id == request.id)
                                   .order_by(col(QuestionnaireReviewNote.id)))]
    _, errors = submission_errors(questionnaire, answers, documents_by_question(session, request.id), [])
    conditions = {q.id: text for q in questionnaire.questions() if (text := explain_condition(questionnaire, q))}
    return RequestView(request, campaign, questionnaire, answers, visible, files, notes, sorted(errors), conditions)


def open_request(session: Session, respondent: Respondent, request_id: int, *, clock: Clock) -> RequestView:
    """One of the contact's requests with its answers; another vendor's id raises ``RequestNotFoundError``."""
    return _view(session, _own_request(session, respondent, request_id, clock))


def request_questionnaire(session: Session, respondent: Respondent, request_id: int, *,
                          clock: Clock) -> Questionnaire:
    """The questionnaire of one of the contact's requests, scoped like ``open_request`` but without reading the
    answers (what a form post needs to read its fields)."""
    request = _own_request(session, respondent, request_id, clock)
    return load_version(session, request.version_id)[1]


# --- changes ------------------------------------------------------------------------------------------------


@dataclass
class SaveOutcome:
    """What a save did: questions saved, questions cleared, and errors per question (those were not saved)."""

    saved: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    errors: dict[str, list[Text]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Everything given was saved."""
        return not self.errors


def _editable(request: QuestionnaireRequest) -> None:
    if request.state not in EDITABLE:
        label = STATE_LABELS[request.state]
        raise TransitionRefusedError(t(f"この依頼は「{label.ja}」のため変更できません", f"this request is {label.en} and locked"))


def _start(session: Session, request: QuestionnaireRequest, respondent: Respondent, clock: Clock) -> None:
    if request.state == "not_started":
        transition(session, request, "start", actor=respondent.actor, clock=clock, details=respondent.audit_details())


def _put_answer(session: Session, request_id: int, question_id: str, value: AnswerValue, actor: str, clock: Clock,
                existing: QuestionnaireAnswer | None) -> None:
    row = existing or QuestionnaireAnswer(request_id=request_id, question_id=question_id, updated_at=clock.now(),
                                          updated_by=actor)
    row.value = value.model_dump(mode="json")
    row.updated_at = clock.now()
    row.updated_by = actor
    session.add(row)


def save_answers(session: Session, respondent: Respondent, request_id: int, answers: Mapping[str, RawAnswer], *,
                 clock: Clock) -> SaveOutcome:
    """Save draft answers: each valid answer is stored (an empty one clears), each invalid one is reported."""
    request = _own_request(session, respondent, request_id, clock, for_update=True)
    _editable(request)
    _, questionnaire = load_version(session, request.version_id)
    existing = {row.question_id: row for row in session.exec(
        select(QuestionnaireAnswer).where(QuestionnaireAnswer.request_id == request_id))}
    outcome = SaveOutcome()
    for question_id, raw in answers.items():
        try:
            question = questionnaire.question(question_id)
        except KeyError:
            outcome.errors[question_id] = [t("この質問票にない設問です", "no such question in this questionnaire")]
            continue
        row = existing.get(question_id)
        if question.type == "file":  # files come and go through upload / remove only
            kept = AnswerValue.model_validate(row.value).files if row is not None else []
            raw = raw.model_copy(update={"files": kept})
        value, problems = validate_answer(question, raw)
        if problems:
            outcome.errors[question_id] = problems
            continue
        if value is None:
            if row is not None:
                session.delete(row)
                outcome.cleared.append(question_id)
            continue
        if row is not None and AnswerValue.model_validate(row.value) == value:
            continue  # unchanged: nothing to write or audit
        _put_answer(session, request_id, question_id, value, respondent.actor, clock, row)
        outcome.saved.append(question_id)
    if outcome.saved or outcome.cleared:
        _start(session, request, respondent, clock)
        audit.record(session, actor=respondent.actor, action="questionnaire.answers.save", target=f"request:{request_id}",
                     details={**respondent.audit_details(), "saved": outcome.saved, "cleared": outcome.cleared,
                              "refused": sorted(outcome.errors)}, clock=clock)
    session.flush()
    return outcome


@dataclass(frozen=True)
class UploadOutcome:
    """An accepted upload (its file row) or a refusal with why; a refused upload stored nothing."""

    file: EvidenceFile | None = None
    refusal: Text | None = None


def upload_evidence(session: Session, store: EvidenceStore, respondent: Respondent, request_id: int, question_id: str,
                    filename: str, stream: BinaryIO, *, clock: Clock,
                    document: DocumentDetails | None = None) -> UploadOutcome:
    """Attach an evidence file to a file question (with the document's validity where the question asks for it)."""
    request = _own_request(session, respondent, request_id, clock, for_update=True)
    _editable(request)
    _, questionnaire = load_version(session, request.version_id)
    try:
        question = questionnaire.question(question_id)
    except KeyError:
        raise QuestionnaireError(t(f"設問 {question_id} はこの質問票にありません",
                                   f"there is no question {question_id} in this questionnaire")) from None
    if question.type != "file":
        raise QuestionnaireError(t(f"設問 {question_id} はファイル添付の設問ではありません",
                                   f"question {question_id} does not take files"))
    row = session.exec(select(QuestionnaireAnswer).where(QuestionnaireAnswer.request_id == request_id,
                                                         QuestionnaireAnswer.question_id == question_id)).first()
    current = AnswerValue.model_validate(row.value) if row is not None else AnswerValue()
    spec = question.file
    refusal: Text | None = None
    if len(current.files) >= spec.max_files:
        refusal = t(f"この設問に添付できるファイルは {spec.max_files} 件までです",
                    f"this question takes at most {spec.max_files} file(s)")
    elif spec.documents:
        document = document or DocumentDetails(kind=spec.documents[0])
        if document.kind not in spec.documents:
            names = ", ".join(DOCUMENT_KINDS[k].ja for k in spec.documents)
            refusal = t(f"この設問に添付できる文書は {names} です", "this question takes "
                        + ", ".join(DOCUMENT_KINDS[k].en for k in spec.documents))
        elif spec.validity_required and document.valid_until is None:
            refusal = t("文書の有効期限を入力してください", "enter the document's expiry date")
        elif document.problems():
            refusal = t("有効期限が有効開始日より前です", "the document expires before it becomes valid")
    stored: EvidenceFile | None = None
    if refusal is None:
        try:
            stored = store_file(session, store, stream, filename, vendor_id=request.vendor_id, actor=respondent.actor,
                                clock=clock, request_id=request_id, question_id=question_id)
        except EvidenceRefusedError as error:
            refusal = error.message
    if refusal is not None or stored is None:
        record_security_event(session, actor=respondent.actor, action="questionnaire.evidence.refused",
                       target=f"request:{request_id}",
                       details={**respondent.audit_details(), "question": question_id, "filename": filename,
                                "why": refusal.en if refusal else None}, clock=clock)
        return UploadOutcome(refusal=refusal)
    assert stored.id is not None
    if spec.documents and document is not None:
        register_document(session, stored, document, actor=respondent.actor, clock=clock, request_id=request_id,
                          question_id=question_id)
    value = current.model_copy(update={"files": [*current.files, stored.id]})
    _put_answer(session, request_id, question_id, value, respondent.actor, clock, row)
    _start(session, request, respondent, clock)
    audit.record(session, actor=respondent.actor, action="questionnaire.evidence.upload", target=f"request:{request_id}",
                 details={**respondent.audit_details(), "question": question_id, "file": stored.id,
                          "sha256": stored.sha256, "size": stored.size, "media_type": stored.media_type,
                          "filename": stored.filename}, clock=clock)
    session.flush()
    return UploadOutcome(file=stored)


def remove_evidence(session: Session, respondent: Respondent, request_id: int, question_id: str, file_id: int, *,
                    clock: Clock) -> None:
    """Detach a file from a question's answer (the file and its record stay: evidence is never deleted)."""
    request = _own_request(session, respondent, request_id, clock, for_update=True)
    _editable(request)
    row = session.exec(select(QuestionnaireAnswer).where(QuestionnaireAnswer.request_id == request_id,
                                                         QuestionnaireAnswer.question_id == question_id)).first()
    current = AnswerValue.model_validate(row.value) if row is not None else AnswerValue()
    if row is None or file_id not in current.files:
        raise QuestionnaireError(t(f"ファイル {file_id} はこの設問に添付されていません",
                                   f"file {file_id} is not attached to this question"))
    _put_answer(session, request_id, question_id,
                current.model_copy(update={"files": [f for f in current.files if f != file_id]}),
                respondent.actor, clock, row)
    for document in session.exec(select(EvidenceDocument).where(EvidenceDocument.file_id == file_id,
                                                                EvidenceDocument.request_id == request_id,
                                                                col(EvidenceDocument.withdrawn_at).is_(None))):
        document.withdrawn_at = clock.now()
        document.withdrawn_by = respondent.actor
        session.add(document)
    audit.record(session, actor=respondent.actor, action="questionnaire.evidence.remove", target=f"request:{request_id}",
                 details={**respondent.audit_details(), "question": question_id, "file": file_id}, clock=clock)
    session.flush()


def submit(session: Session, respondent: Respondent, request_id: int, *, clock: Clock) -> QuestionnaireSubmission:
    """Submit (or resubmit after changes were requested); refused with errors per question when incomplete."""
    request = _own_request(session, respondent, request_id, clock, for_update=True)
    _editable(request)
    _, questionnaire = load_version(session, request.version_id)
    answers = load_answers(session, request_id)
    notes = open_notes(session, request_id)
    card, errors = submission_errors(questionnaire, answers, documents_by_question(session, request_id), notes)
    if errors:
        raise AnswersInvalidError(t(f"提出できません: {len(errors)} 件の設問に不備があります",
                               f"cannot submit: {len(errors)} question(s) need attention"), errors,
                             questionnaire.numbering())
    _start(session, request, respondent, clock)
    submission = record_submission(session, request, questionnaire, answers, card, actor=respondent.actor,
                                   via=respondent.via, clock=clock)
    transition(session, request, "submit", actor=respondent.actor, clock=clock,
               details={**respondent.audit_details(), "submission": submission.id, "number": submission.number,
                        "score": card.percent, "result": card.result})
    return submission


def respond_to_note(session: Session, respondent: Respondent, request_id: int, note_id: int, response: str, *,
                    clock: Clock) -> QuestionnaireReviewNote:
    """The contact's response to a reviewer's note (while changes are requested)."""
    request = _own_request(session, respondent, request_id, clock, for_update=True)
    if request.state != "changes_requested":
        raise TransitionRefusedError(t("差戻し中の依頼ではありません", "no changes are requested on this request"))
    note = session.get(QuestionnaireReviewNote, note_id)
    if note is None or note.request_id != request_id or note.closed_at is not None:
        raise QuestionnaireError(t(f"指摘 {note_id} はこの依頼の未回答の指摘ではありません",
                                   f"note {note_id} is not an open note of this request"))
    text = response.strip()
    if not text:
        raise QuestionnaireError(t("回答を入力してください", "enter a response"))
    if len(text) > 4000:
        raise QuestionnaireError(t("回答は 4000 文字以内にしてください", "a response must be at most 4000 characters"))
    note.response = text
    note.responded_at = clock.now()
    note.responded_by = respondent.actor
    session.add(note)
    audit.record(session, actor=respondent.actor, action="questionnaire.note.respond", target=f"request:{request_id}",
                 details={**respondent.audit_details(), "note": note_id, "question": note.question_id}, clock=clock)
    session.flush()
    return note


@dataclass(frozen=True)
class SubmissionRecord:
    """One submission in the vendor's history."""

    request_id: int
    campaign: str
    title: Text
    number: int
    submitted_at: datetime
    submitted_by: str
    via: str
    outcome: str | None
    state: str


def submission_history(session: Session, respondent: Respondent) -> list[SubmissionRecord]:
    """Every submission of the contact's vendor, newest first."""
    rows = session.exec(
        select(QuestionnaireSubmission, QuestionnaireRequest, QuestionnaireCampaign)
        .join(QuestionnaireRequest, col(QuestionnaireRequest.id) == QuestionnaireSubmission.request_id)
        .join(QuestionnaireCampaign, col(QuestionnaireCampaign.id) == QuestionnaireRequest.campaign_id)
        .where(QuestionnaireSubmission.vendor_id == respondent.vendor_id)
        .order_by(col(QuestionnaireSubmission.submitted_at).desc(), col(QuestionnaireSubmission.id).desc())
    ).all()
    out = []
    for submission, request, campaign in rows:
        _, questionnaire = load_version(session, request.version_id)
        out.append(SubmissionRecord(submission.request_id, campaign.name, questionnaire.title, submission.number,
                                    submission.submitted_at, submission.submitted_by, submission.via,
                                    submission.outcome, request.state))
    return out
