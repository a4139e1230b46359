"""Every digest produced and every delivery attempted, kept as the evidence of 3.2.6 (append-only tables).

Producing and delivering are each written with their audit entry in one transaction. The listing functions are
what the dashboard's board page reads; they never load the documents unless asked for one digest.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import Session, col, select

from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import DigestDelivery, DigestRecord
from vendorwatch.digest.model import Digest
from vendorwatch.digest.render import RenderedDigest
from vendorwatch.mail.send import Delivery

DELIVERED = ("delivered", "partial")


def sha256(content: str | bytes) -> str:
    """Hex SHA-256 of a document (text as UTF-8)."""
    return hashlib.sha256(content.encode("utf-8") if isinstance(content, str) else content).hexdigest()


class DeliverySummary(BaseModel):
    """One delivery attempt, without its bytes."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    digest_id: int
    month: str
    kind: str
    attempted_at: datetime
    sent_at: datetime | None
    actor: str
    sender: str
    recipients: list[str]
    accepted: list[str]
    refused: dict[str, str]
    status: str
    response: str | None
    error: str | None
    message_id: str | None
    signed: bool
    raw_sha256: str


class DigestSummary(BaseModel):
    """One stored digest, without its documents, with its deliveries."""

    model_config = ConfigDict(frozen=True)

    id: int
    month: str
    language: str
    revision: int
    produced_at: datetime
    produced_by: str
    as_of: datetime
    provisional: bool
    subject: str
    html_sha256: str
    text_sha256: str
    pdf_sha256: str
    audit_entries: int
    audit_head: str
    deliveries: list[DeliverySummary]

    @property
    def delivered(self) -> bool:
        """Whether any delivery reached at least one recipient."""
        return any(d.status in DELIVERED for d in self.deliveries)


class StoredDigest(DigestSummary):
    """One stored digest with its documents."""

    html: str
    text: str
    pdf: bytes

    def intact(self) -> bool:
        """Whether the documents still match the hashes recorded when they were made."""
        return (sha256(self.html), sha256(self.text), sha256(self.pdf)) == (self.html_sha256, self.text_sha256,
                                                                            self.pdf_sha256)


_SUMMARY_COLUMNS = (DigestRecord.id, DigestRecord.month, DigestRecord.language, DigestRecord.revision,
                    DigestRecord.produced_at, DigestRecord.produced_by, DigestRecord.as_of, DigestRecord.provisional,
                    DigestRecord.subject, DigestRecord.html_sha256, DigestRecord.text_sha256, DigestRecord.pdf_sha256,
                    DigestRecord.audit_entries, DigestRecord.audit_head)


def save_digest(session: Session, digest: Digest, rendered: RenderedDigest, *, actor: str,
                clock: Clock) -> DigestRecord:
    """Store a produced digest as the month's next revision in that language, with its audit entry."""
    latest = session.exec(select(func.max(DigestRecord.revision)).where(
        DigestRecord.month == digest.month, DigestRecord.language == rendered.language)).one()
    record = DigestRecord(
        month=digest.month, language=rendered.language, revision=(latest or 0) + 1, produced_at=clock.now(),
        produced_by=actor, period_start=digest.period_start, period_end=digest.period_end, as_of=digest.as_of,
        provisional=digest.provisional, subject=rendered.subject, html=rendered.html, text=rendered.text,
        pdf=rendered.pdf, html_sha256=sha256(rendered.html), text_sha256=sha256(rendered.text),
        pdf_sha256=sha256(rendered.pdf), content=digest.model_dump(mode="json"),
        audit_entries=digest.audit.entries, audit_head=digest.audit.hash,
    )
    session.add(record)
    session.flush()
    audit.record(session, actor=actor, action="digest.produce", target=f"digest:{record.id}",
                 details={"month": record.month, "language": record.language, "revision": record.revision,
                          "provisional": record.provisional, "html_sha256": record.html_sha256,
                          "text_sha256": record.text_sha256, "pdf_sha256": record.pdf_sha256,
                          "audit_anchor": {"entries": record.audit_entries, "hash": record.audit_head}},
                 clock=clock)
    return record


def record_delivery(session: Session, record: DigestRecord | DigestSummary, *, kind: str, actor: str, sender: str,
                    recipients: list[str], raw: bytes, clock: Clock, delivery: Delivery | None = None,
                    error: str | None = None) -> DigestDelivery:
    """Store one delivery attempt (sent, or failed with why) and its audit entry."""
    assert record.id is not None
    status = ("partial" if delivery.refused else "delivered") if delivery is not None else "failed"
    row = DigestDelivery(
        digest_id=record.id, month=record.month, kind=kind, attempted_at=clock.now(),
        sent_at=delivery.sent_at if delivery else None, actor=actor, sender=sender, recipients=list(recipients),
        accepted=delivery.accepted if delivery else [], refused=dict(delivery.refused) if delivery else {},
        status=status, response=delivery.response if delivery else None, error=error,
        message_id=delivery.message_id if delivery else None, signed=bool(delivery and delivery.signed), raw=raw,
        raw_sha256=sha256(raw),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action=f"digest.{kind}", target=f"digest:{record.id}",
                 details={"month": record.month, "language": record.language, "delivery": row.id, "status": status,
                          "recipients": row.recipients, "refused": row.refused, "response": row.response,
                          "error": error, "raw_sha256": row.raw_sha256, "signed": row.signed},
                 clock=clock)
    return row


def _deliveries(session: Session, digest_ids: list[int]) -> dict[int, list[DeliverySummary]]:
    found: dict[int, list[DeliverySummary]] = {i: [] for i in digest_ids}
    if not digest_ids:
        return found
    columns = [getattr(DigestDelivery, name) for name in DeliverySummary.model_fields]
    for row in session.exec(select(*columns).where(col(DigestDelivery.digest_id).in_(digest_ids))
                            .order_by(col(DigestDelivery.id))):
        summary = DeliverySummary.model_validate(row._asdict())
        found[summary.digest_id].append(summary)
    return found


def list_digests(session: Session, *, month: str | None = None, language: str | None = None) -> list[DigestSummary]:
    """Stored digests, newest month first, then language and newest revision; with their deliveries."""
    query = select(*_SUMMARY_COLUMNS)  # type: ignore[call-overload]
    if month is not None:
        query = query.where(DigestRecord.month == month)
    if language is not None:
        query = query.where(DigestRecord.language == language)
    rows = [row._asdict() for row in session.exec(query)]
    deliveries = _deliveries(session, [r["id"] for r in rows])
    summaries = [DigestSummary(**row, deliveries=deliveries[row["id"]]) for row in rows]
    return sorted(summaries, key=lambda s: (s.month, s.language == "ja", s.revision), reverse=True)


def get_digest(session: Session, digest_id: int) -> StoredDigest | None:
    """One stored digest with its documents and deliveries; None if there is none."""
    record = session.get(DigestRecord, digest_id)
    if record is None or record.id is None:
        return None
    values = {name: getattr(record, name) for name in DigestSummary.model_fields if name != "deliveries"}
    return StoredDigest(**values, deliveries=_deliveries(session, [record.id])[record.id], html=record.html,
                        text=record.text, pdf=bytes(record.pdf))


def record_of(session: Session, digest_id: int) -> DigestRecord | None:
    """The table row of a stored digest."""
    return session.get(DigestRecord, digest_id)


def last_delivery(session: Session, month: str, *, language: str | None = None) -> DigestDelivery | None:
    """The newest delivery of a month that reached someone (optionally in one language)."""
    query = select(DigestDelivery).where(DigestDelivery.month == month, col(DigestDelivery.status).in_(DELIVERED))
    if language is not None:
        query = query.join(DigestRecord, col(DigestRecord.id) == col(DigestDelivery.digest_id)).where(
            DigestRecord.language == language)
    return session.exec(query.order_by(col(DigestDelivery.id).desc())).first()
