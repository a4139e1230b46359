"""Evidence goes to the firm's staff only as an attachment, hash checked and audited (``vendorwatch evidence get``)."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, select

from questionnaires.answers import RawAnswer
from questionnaires.errors import EvidenceRefusedError
from questionnaires.evidence import DocumentDetails
from questionnaires.evidence_download import attachment
from questionnaires.respondent import save_answers, upload_evidence
from tests.portal.conftest import Portal
from vendorwatch.db.tables import AuditEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_download_is_an_attachment_with_the_stored_type_and_is_audited(sqlite_portal: Portal) -> None:
    portal = sqlite_portal
    request_id = portal.send("acme")[0]
    contact = portal.contact("acme")
    with Session(portal.engine, expire_on_commit=False) as session:
        save_answers(session, contact, request_id, {"certification": RawAnswer(choices=["iso27001"])}, clock=portal.clock)
        stored = upload_evidence(session, portal.store, contact, request_id, "iso-certificate", "ISMS認証書.pdf",
                                 io.BytesIO(PDF), clock=portal.clock,
                                 document=DocumentDetails("iso27001_certificate", valid_until=portal.clock.now().date()))
        session.commit()
        assert stored.file is not None and stored.file.id is not None
        taken = attachment(session, portal.store, stored.file.id, actor="sato", clock=portal.clock)
        session.commit()
    headers = taken.headers()
    assert taken.content == PDF
    assert headers["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''ISMS%E8%AA%8D%E8%A8%BC%E6%9B%B8.pdf" in headers["Content-Disposition"]
    assert headers["Content-Type"] == "application/pdf" and headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    with Session(portal.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "evidence.file.download")).one()
    assert entry.actor == "sato" and entry.details["sha256"] == stored.file.sha256

    portal.store.path_of(stored.file.sha256).write_bytes(PDF + b"changed")  # altered on disk: not evidence
    with Session(portal.engine) as session, pytest.raises(EvidenceRefusedError):
        attachment(session, portal.store, stored.file.id, actor="sato", clock=portal.clock)
