"""Questionnaires for the screens: where each campaign and request stands, one request's answers beside the
telemetry that contradicts them, and the evidence documents with their expiry.

Built on the questionnaire domain (``questionnaires.campaigns.request_statuses``, ``questionnaires.review.review_view``,
``questionnaires.evidence.document_statuses``), the functions ``vendorwatch campaign`` and ``vendorwatch evidence``
print, turned into plain frozen rows (cacheable, no database objects) with the vendors' free text masked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from questionnaires.campaigns import RequestStatus, request_statuses
from questionnaires.definition import DOCUMENT_KINDS
from questionnaires.evidence import document_statuses
from questionnaires.respondent import descendants
from questionnaires.review import review_view
from questionnaires.states import STATE_LABELS, next_state
from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.clock import Clock, as_utc, local_today
from vendorwatch.db.core_tables import FINDINGS
from vendorwatch.db.tables import EvidenceFile
from vendorwatch.i18n import Text, t
from vendorwatch.masking import mask_email, mask_text
from vendorwatch.registry.models import Registry
from vendorwatch.trail.query import TrailEvent
from vendorwatch.views.evidence import evidence_events
from vendorwatch.views.personal import Masker

ACTIVE = ("open", "acknowledged", "risk_accepted")
CONTRADICTED = "questionnaire.contradicted_"
EVENTS_PER_ANSWER = 20


@dataclass(frozen=True)
class RequestLine(RequestStatus):
    """One request as ``campaign status`` prints it, and how many answers the telemetry contradicts."""

    contradicted: int = 0  # active contradicted_* findings of the vendor on this questionnaire

    @property
    def state_label(self) -> Text:
        """The state in both languages."""
        return STATE_LABELS.get(self.state, t(self.state, self.state))


@dataclass(frozen=True)
class CampaignLine:
    """One campaign: its questionnaire, due date and how its requests stand."""

    campaign_id: int
    name: str
    questionnaire_id: str
    version: str
    due_date: date
    requests: int
    by_state: dict[str, int]
    overdue: int
    contradicted: int

    @property
    def accepted(self) -> int:
        """Requests accepted."""
        return self.by_state.get("accepted", 0)


@dataclass(frozen=True)
class Overview:
    """Every campaign and every request (optionally of some vendors), newest campaign first."""

    campaigns: tuple[CampaignLine, ...]
    requests: tuple[RequestLine, ...]

    def without_accepted(self, vendor_ids: tuple[str, ...]) -> tuple[str, ...]:
        """The vendors given with no accepted request (for sub-vendors: no evidence of supervision, 3.2.7)."""
        accepted = {r.vendor_id for r in self.requests if r.state == "accepted"}
        return tuple(v for v in vendor_ids if v not in accepted)


def family(registry: Registry, vendor_id: str) -> tuple[str, ...]:
    """The vendor and every sub-vendor below it (whose questionnaires its page shows)."""
    return (vendor_id, *descendants(registry, vendor_id))


def _contradicted_counts(session: Session, vendor_ids: list[str] | None) -> Counter[tuple[str, str]]:
    """(vendor, questionnaire) → active contradicted_* findings (their subject is ``answer:<questionnaire>:<q>``)."""
    query = select(FINDINGS.c.vendor_id, FINDINGS.c.subject).where(
        FINDINGS.c.check_id.like(CONTRADICTED + "%"), FINDINGS.c.status.in_(ACTIVE))
    if vendor_ids is not None:
        query = query.where(FINDINGS.c.vendor_id.in_(vendor_ids))
    counts: Counter[tuple[str, str]] = Counter()
    for row in session.execute(query):
        parts = str(row.subject).split(":")
        if len(parts) >= 3 and row.vendor_id:
            counts[(row.vendor_id, parts[1])] += 1
    return counts


def overview(session: Session, registry: Registry, clock: Clock, *, vendor_ids: list[str] | None = None) -> Overview:
    """Where every campaign and request stands (what ``vendorwatch campaign status`` prints)."""
    statuses = request_statuses(session, registry, clock, vendor_ids=vendor_ids)
    contradicted = _contradicted_counts(session, vendor_ids)
    lines = tuple(RequestLine(**vars(s), contradicted=contradicted.get((s.vendor_id, s.questionnaire_id), 0))
                  for s in statuses)
    campaigns: dict[int, list[RequestLine]] = {}
    for line in lines:
        campaigns.setdefault(line.campaign_id, []).append(line)
    return Overview(tuple(CampaignLine(
        campaign_id, group[0].campaign, group[0].questionnaire_id, group[0].version, group[0].due_date, len(group),
        dict(Counter(r.state for r in group)), sum(1 for r in group if r.overdue), sum(r.contradicted for r in group),
    ) for campaign_id, group in campaigns.items()), lines)


@dataclass(frozen=True)
class FileRow:
    """A stored evidence file (its bytes are read only when a manager downloads it)."""

    file_id: int
    vendor_id: str
    filename: str
    size: int
    media_type: str
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    request_id: int | None
    question_id: str | None


def _file(row: EvidenceFile, masker: Masker) -> FileRow:
    assert row.id is not None
    by = mask_email(row.uploaded_by) if masker.masked else row.uploaded_by
    return FileRow(row.id, row.vendor_id, row.filename, row.size, row.media_type, row.sha256, as_utc(row.uploaded_at),
                   by, row.request_id, row.question_id)


def evidence_file(session: Session, file_id: int, masker: Masker) -> FileRow | None:
    """One stored evidence file's facts; None if there is none."""
    row = session.get(EvidenceFile, file_id)
    return _file(row, masker) if row is not None else None


@dataclass(frozen=True)
class FindingLine:
    """A finding beside an answer (a declared gap, or a contradiction by the telemetry)."""

    finding_id: int
    check_id: str
    title: Text
    severity: str
    status: str


@dataclass(frozen=True)
class ContradictionView:
    """What the telemetry shows against a compliant answer: the claim, the facts, the findings and the events."""

    claim: Text
    facts: tuple[Text, ...]
    finding_ids: tuple[int, ...]  # the findings of other checks that contradict the claim
    principals: tuple[str, ...]
    events: tuple[TrailEvent, ...]
    event_count: int


@dataclass(frozen=True)
class NoteLine:
    """A reviewer's note (on one question, or on the whole request) and the vendor's response."""

    note_id: int
    question_id: str | None
    note: str
    author: str
    created_at: datetime
    response: str | None
    responded_at: datetime | None
    open: bool


@dataclass(frozen=True)
class AnswerLine:
    """One visible question of the request with its answer, its score and what stands beside it."""

    question_id: str
    number: str
    section: Text
    control_id: str
    question: Text
    answer: Text | None  # None: not answered
    comment: str
    result: str | None
    score: float | None
    files: tuple[FileRow, ...]
    contradiction: ContradictionView | None
    findings: tuple[FindingLine, ...]
    notes: tuple[NoteLine, ...]


@dataclass(frozen=True)
class HistoryLine:
    """One state change of the request."""

    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    note: str


@dataclass(frozen=True)
class Review:
    """A request as the reviewer reads it (``vendorwatch campaign review show``)."""

    request_id: int
    vendor_id: str
    campaign: str
    questionnaire_id: str
    title: Text
    version: str
    state: str
    due_date: date
    submission_number: int | None
    submitted_at: datetime | None
    submitted_by: str
    via: str
    percent: float | None
    result: str | None
    answers: tuple[AnswerLine, ...]
    general_notes: tuple[NoteLine, ...]
    history: tuple[HistoryLine, ...]
    contradictions: int

    def can(self, action: str) -> bool:
        """Whether the reviewer's action (request_changes, accept, reopen) is allowed in the request's state."""
        return next_state(action, self.state) is not None  # type: ignore[arg-type]


def _masked(masker: Masker, value: str | None) -> str:
    """Vendors' free text: principals, e-mail addresses, phone numbers and account-like numbers masked."""
    if not value:
        return ""
    return mask_text(masker.text(value)) if masker.masked else value


def _findings_beside(session: Session, vendor_id: str, questionnaire_id: str) -> dict[str, list[FindingLine]]:
    """Active questionnaire findings (declared gaps, contradictions) of the vendor, by question id."""
    rows = session.execute(select(FINDINGS.c.id, FINDINGS.c.check_id, FINDINGS.c.severity, FINDINGS.c.status,
                                  FINDINGS.c.subject)
                           .where(FINDINGS.c.vendor_id == vendor_id, FINDINGS.c.status.in_(ACTIVE),
                                  FINDINGS.c.subject.like(f"answer:{questionnaire_id}:%"))
                           .order_by(FINDINGS.c.id))
    checks = checks_by_id()
    found: dict[str, list[FindingLine]] = {}
    for row in rows:
        check = checks.get(row.check_id)
        title = check.meta.title if check else t(row.check_id, row.check_id)
        found.setdefault(str(row.subject).split(":", 2)[2], []).append(
            FindingLine(row.id, row.check_id, title, row.severity, row.status))
    return found


def review(session: Session, registry: Registry, request_id: int, clock: Clock, masker: Masker) -> Review:
    """One request's answers beside the telemetry (contradictions with their events), notes and history."""
    view = review_view(session, registry, request_id, clock=clock)
    request, questionnaire = view.request, view.questionnaire
    assert request.id is not None
    numbers = questionnaire.numbering()
    notes: dict[str | None, list[NoteLine]] = {}
    for note in view.notes:
        assert note.id is not None
        notes.setdefault(note.question_id, []).append(NoteLine(
            note.id, note.question_id, _masked(masker, note.note), _masked(masker, note.author),
            as_utc(note.created_at), _masked(masker, note.response) or None,
            as_utc(note.responded_at) if note.responded_at else None, note.closed_at is None))
    beside = _findings_beside(session, request.vendor_id, questionnaire.id)
    answers: list[AnswerLine] = []
    for question in questionnaire.questions():
        scored = view.scorecard.questions[question.id]
        if not scored.visible:
            continue
        value = view.answers.get(question.id)
        contradiction = view.contradictions.get(question.id)
        shown: ContradictionView | None = None
        if contradiction is not None:
            observation = contradiction.observation
            named = set(observation.principals)
            facts = tuple(Text(ja=masker.text(f.ja, named), en=masker.text(f.en, named)) for f in observation.facts)
            events = evidence_events(session, request.vendor_id, observation.event_ids, masker, limit=EVENTS_PER_ANSWER)
            shown = ContradictionView(contradiction.claim, facts, tuple(observation.finding_ids),
                                      tuple(masker.principal(p) for p in observation.principals), events,
                                      len(observation.event_ids))
        answers.append(AnswerLine(
            question.id, numbers[question.id], questionnaire.section_of(question.id).title, question.control_id,
            question.text,
            Text(ja=_masked(masker, value.display(question, "ja")), en=_masked(masker, value.display(question, "en")))
            if value is not None and value.answered(question) else None,
            _masked(masker, value.comment if value else None), scored.result, scored.score,
            tuple(_file(f, masker) for f in view.files.get(question.id, [])), shown,
            tuple(beside.get(question.id, [])), tuple(notes.get(question.id, [])),
        ))
    submission = view.submission
    return Review(
        request.id, request.vendor_id, view.campaign.name, questionnaire.id, questionnaire.title, questionnaire.version,
        request.state, view.campaign.due_date, submission.number if submission else None,
        as_utc(submission.submitted_at) if submission else None,
        (mask_email(submission.submitted_by) if masker.masked else submission.submitted_by) if submission else "",
        submission.via if submission else "", view.scorecard.percent, view.scorecard.result, tuple(answers),
        tuple(notes.get(None, [])),
        tuple(HistoryLine(as_utc(h.at), h.from_state, h.to_state,
                          mask_email(h.actor) if masker.masked else h.actor, _masked(masker, h.note))
              for h in view.history),
        sum(1 for a in answers if a.contradiction is not None),
    )


@dataclass(frozen=True)
class DocumentLine:
    """An evidence document in force (certificate, test report) and where it stands today."""

    document_id: int
    vendor_id: str
    kind: str
    kind_label: Text
    title: str
    valid_from: date | None
    valid_until: date | None
    days_left: int | None
    expired: bool
    superseded: bool
    file: FileRow | None
    registered_at: datetime


def documents(session: Session, registry: Registry, clock: Clock, masker: Masker, *,
              vendor_ids: list[str] | None = None) -> tuple[DocumentLine, ...]:
    """Documents not withdrawn (what ``vendorwatch evidence list`` prints), soonest expiry first."""
    today = local_today(clock, registry.organization.timezone)
    statuses = [s for s in document_statuses(session, today)
                if vendor_ids is None or s.document.vendor_id in vendor_ids]
    file_ids = [s.document.file_id for s in statuses]
    files = {f.id: _file(f, masker) for f in session.scalars(select(EvidenceFile).where(
        col(EvidenceFile.id).in_(file_ids)))} if file_ids else {}
    lines = []
    for status in statuses:
        document = status.document
        assert document.id is not None
        lines.append(DocumentLine(
            document.id, document.vendor_id, document.kind, DOCUMENT_KINDS.get(document.kind, t(document.kind,
                                                                                                 document.kind)),
            document.title, document.valid_from, document.valid_until, status.days_left, status.expired,
            status.superseded, files.get(document.file_id), as_utc(document.registered_at)))
    far = date.max.toordinal()
    return tuple(sorted(lines, key=lambda d: (d.superseded, d.valid_until.toordinal() if d.valid_until else far,
                                              d.vendor_id, d.document_id)))
