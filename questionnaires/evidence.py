"""Evidence in the database: uploaded files and documents with a validity period, and their expiry.

Content lives in the evidence directory (:mod:`questionnaires.evidence_store`); these rows say whose it is,
which request and question it answers, and for documents (ISO/IEC 27001 certificate, penetration-test report,
SOC 2 report) until when it is valid. An expired document with no valid successor of the same kind is a
3.2.1 finding (``evidence.document_expired``); reminders go out before that (:mod:`questionnaires.reminders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlmodel import Session, col, select

from questionnaires.definition import DOCUMENT_KINDS
from questionnaires.errors import QuestionnaireError
from questionnaires.evidence_store import EvidenceStore
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import EvidenceDocument, EvidenceFile
from vendorwatch.db.tables import Vendor as VendorRow
from vendorwatch.i18n import t


@dataclass(frozen=True)
class DocumentDetails:
    """What a document upload says about the document: its kind and validity period."""

    kind: str
    valid_until: date | None = None
    valid_from: date | None = None
    title: str | None = None

    def problems(self) -> list[str]:
        """Inconsistencies (English keys, translated by callers)."""
        out = []
        if self.kind not in DOCUMENT_KINDS:
            out.append("kind")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            out.append("order")
        return out


def store_file(session: Session, store: EvidenceStore, stream: BinaryIO, filename: str, *, vendor_id: str,
               actor: str, clock: Clock, request_id: int | None = None, question_id: str | None = None) -> EvidenceFile:
    """Store an upload's content (or raise ``EvidenceRefusedError`` having stored nothing) and record whose it is."""
    content = store.store(stream, filename)
    row = EvidenceFile(sha256=content.sha256, size=content.size, media_type=content.media_type,
                       filename=content.filename, vendor_id=vendor_id, request_id=request_id, question_id=question_id,
                       uploaded_at=clock.now(), uploaded_by=actor)
    session.add(row)
    session.flush()
    return row


def register_document(session: Session, file: EvidenceFile, details: DocumentDetails, *, actor: str, clock: Clock,
                      request_id: int | None = None, question_id: str | None = None) -> EvidenceDocument:
    """Record a stored file as a document with a validity period (audited)."""
    problems = details.problems()
    if "kind" in problems:
        raise QuestionnaireError(t(f"不明な文書の種類です: {details.kind}（{', '.join(DOCUMENT_KINDS)}）",
                                   f"unknown document kind: {details.kind} (one of {', '.join(DOCUMENT_KINDS)})"))
    if "order" in problems:
        raise QuestionnaireError(t("有効期限が有効開始日より前です", "the document expires before it becomes valid"))
    assert file.id is not None
    document = EvidenceDocument(
        vendor_id=file.vendor_id, kind=details.kind, title=details.title or DOCUMENT_KINDS[details.kind].ja,
        file_id=file.id, valid_from=details.valid_from, valid_until=details.valid_until, request_id=request_id,
        question_id=question_id, registered_at=clock.now(), registered_by=actor,
    )
    session.add(document)
    session.flush()
    audit.record(session, actor=actor, action="evidence.document.register", target=f"document:{document.id}",
                 details={"vendor": file.vendor_id, "kind": details.kind, "file": file.id, "sha256": file.sha256,
                          "valid_from": details.valid_from.isoformat() if details.valid_from else None,
                          "valid_until": details.valid_until.isoformat() if details.valid_until else None,
                          "request": request_id, "question": question_id}, clock=clock)
    return document


def add_document(session: Session, store: EvidenceStore, stream: BinaryIO, filename: str, details: DocumentDetails, *,
                 vendor_id: str, actor: str, clock: Clock) -> EvidenceDocument:
    """A document the firm received outside a questionnaire (by mail, at an audit): stored and registered."""
    vendor = session.get(VendorRow, vendor_id)
    if vendor is None or vendor.retired_at is not None:
        raise QuestionnaireError(t(f"委託先 {vendor_id} は台帳にありません", f"vendor {vendor_id} is not in the registry"))
    if details.problems():  # checked before anything is stored
        raise QuestionnaireError(t("文書の種類または有効期間が正しくありません", "the document kind or validity period is wrong"),
                                 details=details.problems())
    file = store_file(session, store, stream, filename, vendor_id=vendor_id, actor=actor, clock=clock)
    audit.record(session, actor=actor, action="evidence.file.store", target=f"evidence:{file.id}",
                 details={"vendor": vendor_id, "sha256": file.sha256, "size": file.size, "media_type": file.media_type,
                          "filename": file.filename}, clock=clock)
    return register_document(session, file, details, actor=actor, clock=clock)


def withdraw_document(session: Session, document_id: int, *, actor: str, reason: str, clock: Clock) -> EvidenceDocument:
    """Withdraw a document registered by mistake (kept, marked withdrawn; it no longer counts)."""
    document = session.get(EvidenceDocument, document_id)
    if document is None:
        raise QuestionnaireError(t(f"文書 {document_id} はありません", f"there is no document {document_id}"))
    if not reason.strip():
        raise QuestionnaireError(t("取下げの理由を入力してください", "give a reason"))
    document.withdrawn_at = clock.now()
    document.withdrawn_by = actor
    session.add(document)
    audit.record(session, actor=actor, action="evidence.document.withdraw", target=f"document:{document_id}",
                 details={"vendor": document.vendor_id, "kind": document.kind, "reason": reason.strip()}, clock=clock)
    return document


@dataclass(frozen=True)
class DocumentStatus:
    """A document and where it stands on a given day."""

    document: EvidenceDocument
    days_left: int | None
    superseded: bool

    @property
    def expired(self) -> bool:
        """Past its valid-until date."""
        return self.days_left is not None and self.days_left < 0


def document_statuses(session: Session, today: date, *, vendor_id: str | None = None) -> list[DocumentStatus]:
    """Every document in force (not withdrawn), with its days left; superseded when a later one of the same kind
    for the same vendor is valid longer."""
    query = select(EvidenceDocument).where(col(EvidenceDocument.withdrawn_at).is_(None))
    if vendor_id is not None:
        query = query.where(EvidenceDocument.vendor_id == vendor_id)
    documents = list(session.exec(query.order_by(col(EvidenceDocument.vendor_id), col(EvidenceDocument.kind),
                                                 col(EvidenceDocument.id))))
    best: dict[tuple[str, str], date] = {}
    for document in documents:
        if document.valid_until is not None:
            key = (document.vendor_id, document.kind)
            best[key] = max(best.get(key, document.valid_until), document.valid_until)
    out = []
    for document in documents:
        until = document.valid_until
        days = (until - today).days if until is not None else None
        newest = best.get((document.vendor_id, document.kind))
        superseded = until is not None and newest is not None and newest > until
        out.append(DocumentStatus(document, days, superseded))
    return out
