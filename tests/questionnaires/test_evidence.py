"""Evidence uploads: stored by SHA-256 outside anything served, size and type limits checked on the content, a
refused upload stores nothing and says why; documents carry their validity period."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, col, select

from questionnaires.answers import RawAnswer
from questionnaires.errors import EvidenceRefusedError
from questionnaires.evidence import DocumentDetails, add_document, document_statuses
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore, clean_filename
from questionnaires.respondent import open_request, remove_evidence, save_answers, submit, upload_evidence
from tests.questionnaires.conftest import GOOD_ANSWERS, Campaigns
from vendorwatch.db.tables import AuditEntry, EvidenceDocument, EvidenceFile
from vendorwatch.settings import Settings

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def xlsx_bytes(*, macros: bool = False) -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "棚卸し記録"
    buffer = io.BytesIO()
    book.save(buffer)
    if not macros:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"macro")
    return out.getvalue()


def stored_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def test_content_is_stored_once_by_its_sha256_readable_by_the_owner_only(tmp_path: Path) -> None:
    store = EvidenceStore(EvidenceSettings(tmp_path / "evidence"))
    first = store.store(io.BytesIO(PDF), "ISMS認証書.pdf")
    again = store.store(io.BytesIO(PDF), "copy.PDF")
    digest = hashlib.sha256(PDF).hexdigest()
    assert first.sha256 == again.sha256 == digest and first.media_type == "application/pdf"
    [path] = stored_files(tmp_path / "evidence")
    assert path == tmp_path / "evidence" / digest[:2] / digest[2:4] / digest
    assert path.stat().st_mode & 0o777 == 0o600 and store.read(digest) == PDF
    path.write_bytes(PDF + b"tampered")
    with pytest.raises(EvidenceRefusedError):
        store.read(digest)


@pytest.mark.parametrize(("content", "name", "why"), [
    (b"<html><script>alert(1)</script></html>", "report.pdf", "not accepted"),  # HTML dressed as a PDF
    (b"MZ\x90\x00\x03" + b"\x00" * 100, "setup.pdf", "not accepted"),  # an executable
    (PDF, "report.png", "does not match its name"),
    (PNG, "scan.pdf", "does not match its name"),
    (b"", "empty.pdf", "empty"),
    (None, "book.xlsm.xlsx", "not accepted"),  # a workbook with macros
    (b"plain text is not on the default list", "notes.txt", "not accepted"),
])
def test_refused_uploads_store_nothing(tmp_path: Path, content: bytes | None, name: str, why: str) -> None:
    store = EvidenceStore(EvidenceSettings(tmp_path / "evidence"))
    data = xlsx_bytes(macros=True) if content is None else content
    with pytest.raises(EvidenceRefusedError) as refused:
        store.store(io.BytesIO(data), name)
    assert why in refused.value.message.en and refused.value.message.ja
    assert stored_files(tmp_path / "evidence") == []


def test_the_size_limit_is_configurable_and_checked_while_streaming(tmp_path: Path) -> None:
    settings = EvidenceSettings.from_settings(Settings(evidence_dir=tmp_path / "ev", evidence_max_mb=0.5))
    assert settings.max_bytes == 512 * 1024
    store = EvidenceStore(settings)
    with pytest.raises(EvidenceRefusedError) as refused:  # streamed in 1 MiB chunks: refused in the first one
        store.store(io.BytesIO(PDF + b"x" * (512 * 1024)), "big.pdf")
    assert "too large (limit 0.5 MB)" in refused.value.message.en
    assert stored_files(tmp_path / "ev") == []
    assert store.store(io.BytesIO(PDF), "small.pdf").size == len(PDF)
    assert EvidenceSettings.from_settings(Settings()).max_bytes == 20 * 1024 * 1024
    assert store.store(io.BytesIO(xlsx_bytes()), "棚卸し.xlsx").file_type.name == "xlsx"


def test_file_names_are_kept_for_display_only_and_cleaned() -> None:
    assert clean_filename("..\\..\\etc/passwd") == "passwd"
    assert clean_filename("report\x00\n.pdf") == "report.pdf"
    assert clean_filename(".hidden.pdf") == "hidden.pdf"
    assert len(clean_filename("あ" * 300 + ".pdf")) == 200


def test_a_certificate_upload_needs_its_expiry_and_becomes_a_tracked_document(campaigns: Campaigns) -> None:
    c = campaigns
    [request_id] = c.send("acme")
    acme = c.contact("acme")
    answers = {**GOOD_ANSWERS, "certification": RawAnswer(choices=["iso27001"])}
    with Session(c.engine) as session:
        save_answers(session, acme, request_id, answers, clock=c.clock)
        refused = upload_evidence(session, c.store, acme, request_id, "iso-certificate", "cert.pdf", io.BytesIO(PDF),
                                  clock=c.clock, document=DocumentDetails("iso27001_certificate"))
        session.commit()
    assert refused.file is None and refused.refusal is not None
    assert refused.refusal.en == "enter the document's expiry date"
    assert stored_files(c.store.directory) == []
    with Session(c.engine) as session:
        accepted = upload_evidence(session, c.store, acme, request_id, "iso-certificate", "cert.pdf", io.BytesIO(PDF),
                                   clock=c.clock,
                                   document=DocumentDetails("iso27001_certificate", valid_until=date(2027, 3, 31)))
        session.commit()
        assert accepted.file is not None and accepted.file.media_type == "application/pdf"
    with Session(c.engine) as session:
        view = open_request(session, acme, request_id, clock=c.clock)
        [shown] = view.files["iso-certificate"]
        assert (shown.filename, shown.document_kind, shown.valid_until) == ("cert.pdf", "iso27001_certificate", "2027-03-31")
        [status] = document_statuses(session, date(2026, 11, 26))
        assert status.days_left == 125 and not status.expired
        submit(session, acme, request_id, clock=c.clock)
        session.commit()
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
    assert "questionnaire.evidence.refused" in actions and "questionnaire.evidence.upload" in actions
    assert "evidence.document.register" in actions


def test_a_refused_upload_is_audited_even_when_the_caller_rolls_back(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    acme = c.contact("acme")
    with Session(c.engine) as session:
        save_answers(session, acme, request_id, {"certification": RawAnswer(choices=["iso27001"])}, clock=c.clock)
        session.commit()
    with Session(c.engine) as session:
        outcome = upload_evidence(session, c.store, acme, request_id, "iso-certificate", "x.pdf",
                                  io.BytesIO(b"<html>"), clock=c.clock,
                                  document=DocumentDetails("iso27001_certificate", valid_until=date(2027, 1, 1)))
        session.rollback()
    assert outcome.refusal is not None and "not accepted" in outcome.refusal.en
    with Session(c.engine) as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "questionnaire.evidence.refused")).all()
        assert entry.details["question"] == "iso-certificate" and entry.details["filename"] == "x.pdf"
        assert session.exec(select(EvidenceFile)).all() == []


def test_files_come_off_an_answer_but_are_never_deleted(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    acme = c.contact("acme")
    with Session(c.engine) as session:
        save_answers(session, acme, request_id, {"pentest": RawAnswer(choices=["within-12-months"])}, clock=c.clock)
        uploaded = upload_evidence(session, c.store, acme, request_id, "pentest-report", "report.pdf", io.BytesIO(PDF),
                                   clock=c.clock, document=DocumentDetails("pentest_report", valid_until=date(2027, 6, 1)))
        assert uploaded.file is not None and uploaded.file.id is not None
        file_id = uploaded.file.id
        session.commit()
    with Session(c.engine) as session:
        remove_evidence(session, acme, request_id, "pentest-report", file_id, clock=c.clock)
        session.commit()
    with Session(c.engine) as session:
        view = open_request(session, acme, request_id, clock=c.clock)
        assert view.files.get("pentest-report", []) == [] and "pentest-report" in view.missing
        assert session.get(EvidenceFile, file_id) is not None
        [document] = session.exec(select(EvidenceDocument)).all()
        assert document.withdrawn_at is not None
    assert len(stored_files(c.store.directory)) == 1


def test_the_firm_can_register_a_document_received_outside_a_questionnaire(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    with Session(c.engine) as session:
        document = add_document(session, c.store, io.BytesIO(PDF), "soc2.pdf",
                                DocumentDetails("soc2_report", valid_until=date(2026, 12, 1), title="SOC 2 Type 2 (2025)"),
                                vendor_id="beta", actor="manager@firm", clock=c.clock)
        session.commit()
        assert document.vendor_id == "beta" and document.title == "SOC 2 Type 2 (2025)"
