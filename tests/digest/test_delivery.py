"""The digest goes to the board by SMTP (STARTTLS, sign-in, S/MIME) and every production and delivery is kept:
read back from a real aiosmtpd server, verified with openssl, sent again byte for byte, never sent twice."""

from __future__ import annotations

import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from tests.checks.world import World, at
from tests.digest.seed import RECIPIENTS, seed_half_year
from tests.servers.certificates import make_smime_certificate
from tests.servers.smtp import SmtpServer
from vendorwatch import audit
from vendorwatch.db.tables import AuditEntry, DigestDelivery, DigestRecord
from vendorwatch.digest.errors import DigestError
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.service import deliver_month, get_digest, list_digests, produce, resend_month, send
from vendorwatch.mail.errors import MailError
from vendorwatch.registry.models import MailSettings, Registry

NOVEMBER = DigestMonth.parse("2026-11")


def _with_mail(world: World, smtp_server: SmtpServer) -> Registry:
    organization = world.registry.organization.model_copy(update={"mail": MailSettings(**smtp_server.mail_settings())})
    return world.registry.model_copy(update={"organization": organization})


def _signed_mail(smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], Path]:
    signer = make_smime_certificate(tmp_path / "smime", "vendorwatch@example-sec.co.jp", password=b"key-pass")
    monkeypatch.setenv("VW_TEST_SMIME_PASSWORD", "key-pass")
    mail = smtp_server.mail_settings(sender_name="VendorWatch 委託先管理", smime={
        "certificate_file": str(signer.certificate), "key_file": str(signer.key),
        "key_password_env": "VW_TEST_SMIME_PASSWORD"})
    return mail, signer.ca


def _openssl_verify(raw: bytes, ca: Path, folder: Path) -> bytes:
    (folder / "received.eml").write_bytes(raw)
    verified = subprocess.run(["openssl", "smime", "-verify", "-in", str(folder / "received.eml"), "-CAfile", str(ca),
                               "-purpose", "any", "-out", str(folder / "content.eml")], capture_output=True, text=True,
                              check=False)
    assert verified.returncode == 0 and "Verification successful" in verified.stderr, verified.stderr
    return (folder / "content.eml").read_bytes()


def test_the_digest_is_mailed_signed_with_both_parts_and_the_pdf_and_read_back(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mail, ca = _signed_mail(smtp_server, tmp_path, monkeypatch)
    world = seed_half_year(engine, mail)  # SQLite and PostgreSQL
    produced = produce(engine, world.registry, NOVEMBER, world.clock, actor="tanaka.cio")
    delivery = send(engine, produced, world.registry, world.clock, actor="tanaka.cio")
    assert delivery.status == "delivered" and delivery.accepted == RECIPIENTS and delivery.signed
    assert delivery.response.startswith("250") and "queued as TEST" in delivery.response  # type: ignore[union-attr]

    [received] = smtp_server.messages
    assert received.rcpt_tos == RECIPIENTS and received.mail_from == "vendorwatch@example-sec.co.jp"
    parsed = received.parsed()
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed["Subject"] == "[VendorWatch] 委託先リスク月次報告（2026年11月）総合リスク：重大（84）"
    assert "VendorWatch 委託先管理" in str(parsed["From"])
    content = _openssl_verify(received.data, ca, tmp_path)
    inner = message_from_bytes(content, policy=policy.default)
    assert isinstance(inner, EmailMessage)
    plain = inner.get_body(("plain",))
    html = inner.get_body(("html",))
    assert plain is not None and "【経営層に報告・判断をお願いする事項】" in plain.get_content()
    assert html is not None and "経営層に報告・判断をお願いする事項" in html.get_content()
    images = [part for part in inner.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:  # every chart the HTML shows is in the message, referred to by its Content-ID
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html.get_content()
    [pdf] = [part for part in inner.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "vendorwatch-digest-2026-11-ja.pdf"
    stored = get_digest(Session(engine), produced.record.id or 0)
    assert stored is not None and pdf.get_content() == stored.pdf and stored.intact()
    assert stored.html == produced.rendered.html and "data:image/png;base64," in stored.html
    # The delivery keeps the exact bytes the server received.
    with Session(engine) as session:
        row = session.exec(select(DigestDelivery)).one()
        assert bytes(row.raw) == received.data
    # A signature over altered content fails.
    tampered = received.data.replace(b"vendorwatch-digest-2026-11-ja.pdf", b"vendorwatch-digest-2026-12-ja.pdf")
    (tmp_path / "tampered.eml").write_bytes(tampered)
    refused = subprocess.run(["openssl", "smime", "-verify", "-in", str(tmp_path / "tampered.eml"), "-CAfile", str(ca),
                              "-purpose", "any", "-out", str(tmp_path / "x.eml")], capture_output=True, check=False)
    assert refused.returncode != 0


def test_resend_sends_the_same_bytes_again_and_records_it(engine: Engine, smtp_server: SmtpServer) -> None:
    world = seed_half_year(engine, smtp_server.mail_settings())
    produced = produce(engine, world.registry, NOVEMBER, world.clock, actor="tester")
    first = send(engine, produced, world.registry, world.clock, actor="tester")
    world.clock.set(at("2026-12-08 00:00"))
    again = resend_month(engine, world.registry, NOVEMBER, world.clock, actor="board-office")
    assert again.kind == "resend" and again.raw_sha256 == first.raw_sha256 and again.digest_id == first.digest_id
    assert len(smtp_server.messages) == 2 and smtp_server.messages[0].data == smtp_server.messages[1].data
    assert smtp_server.messages[1].rcpt_tos == RECIPIENTS
    [summary] = list_digests(Session(engine), month="2026-11")
    assert [d.kind for d in summary.deliveries] == ["send", "resend"] and summary.delivered


def test_every_production_and_delivery_is_in_the_audit_log_with_the_anchor(half_year: World, smtp_server: SmtpServer,
                                                                          tmp_path: Path) -> None:
    engine = half_year.engine
    registry = _with_mail(half_year, smtp_server)
    with Session(engine) as session:
        head = audit.head(session, until=at("2026-11-30 15:00"))
    produced = produce(engine, registry, NOVEMBER, half_year.clock, actor="tanaka.cio")
    assert (produced.record.audit_entries, produced.record.audit_head) == (head.entries, head.hash)
    send(engine, produced, registry, half_year.clock, actor="tanaka.cio")
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).where(col(AuditEntry.action).startswith("digest."))
                               .order_by(col(AuditEntry.id))).all()
    assert [e.action for e in entries] == ["digest.produce", "digest.send"]
    assert entries[0].actor == "tanaka.cio" and entries[0].details["pdf_sha256"] == produced.record.pdf_sha256
    assert entries[0].details["audit_anchor"] == {"entries": head.entries, "hash": head.hash}
    assert entries[1].details["status"] == "delivered" and entries[1].details["recipients"] == RECIPIENTS


def test_the_scheduler_step_delivers_a_month_once_and_never_twice(engine: Engine, smtp_server: SmtpServer) -> None:
    world = seed_half_year(engine, smtp_server.mail_settings())
    first = deliver_month(engine, world.registry, world.clock)  # 2 December: November is due
    assert first.month == "2026-11" and first.outcome == "delivered"
    second = deliver_month(engine, world.registry, world.clock)
    assert second.outcome == "already_delivered" and second.digest_id == first.digest_id
    assert len(smtp_server.messages) == 1
    with Session(engine) as session:
        assert len(session.exec(select(DigestRecord)).all()) == 1  # nothing produced again either


def test_a_failed_delivery_is_kept_and_the_next_step_tries_again(half_year: World, smtp_server: SmtpServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _with_mail(half_year, smtp_server)
    monkeypatch.setenv("VW_TEST_SMTP_PASSWORD", "not-the-password")
    failed = deliver_month(half_year.engine, registry, half_year.clock)
    assert failed.outcome == "failed" and "sign-in" in (failed.error or "")
    with Session(half_year.engine) as session:
        row = session.exec(select(DigestDelivery)).one()
        assert row.status == "failed" and row.sent_at is None and "not-the-password" not in (row.error or "")
        assert row.raw  # what would have been sent is kept
    monkeypatch.setenv("VW_TEST_SMTP_PASSWORD", "smtp-test-password")
    assert deliver_month(half_year.engine, registry, half_year.clock).outcome == "delivered"
    assert len(smtp_server.messages) == 1


def test_without_a_mail_server_or_recipients_sending_is_a_clear_error(half_year: World) -> None:
    with pytest.raises(DigestError, match=r"organization\.mail"):
        deliver_month(half_year.engine, half_year.registry, half_year.clock)
    with pytest.raises(DigestError, match="nothing to resend"):
        resend_month(half_year.engine, half_year.registry, NOVEMBER, half_year.clock, actor="x")


def test_a_month_not_over_is_never_delivered_by_the_scheduler_step(half_year: World) -> None:
    with pytest.raises(DigestError, match="not over"):
        deliver_month(half_year.engine, half_year.registry, half_year.clock, DigestMonth.parse("2026-12"))


def test_stored_digests_and_deliveries_cannot_be_changed_or_deleted(engine: Engine, smtp_server: SmtpServer) -> None:
    world = seed_half_year(engine, smtp_server.mail_settings())
    deliver_month(engine, world.registry, world.clock)
    for statement in ("UPDATE digests SET pdf_sha256 = 'x'", "DELETE FROM digests",
                      "UPDATE digest_deliveries SET status = 'delivered'", "DELETE FROM digest_deliveries"):
        with engine.connect() as connection, pytest.raises(Exception, match="append-only"):
            connection.execute(text(statement))
            connection.commit()


def test_the_board_page_lists_stored_digests_and_fetches_one(half_year: World) -> None:
    first = produce(half_year.engine, half_year.registry, NOVEMBER, half_year.clock, actor="a")
    second = produce(half_year.engine, half_year.registry, NOVEMBER, half_year.clock, actor="b", language="en")
    third = produce(half_year.engine, half_year.registry, DigestMonth.parse("2026-10"), half_year.clock, actor="c")
    with Session(half_year.engine) as session:
        listed = list_digests(session)
        assert [(d.month, d.language, d.revision) for d in listed] == [("2026-11", "ja", 1), ("2026-11", "en", 1),
                                                                       ("2026-10", "ja", 1)]
        assert not listed[0].delivered and listed[0].deliveries == []
        fetched = get_digest(session, second.record.id or 0)
        assert fetched is not None and fetched.language == "en" and fetched.pdf.startswith(b"%PDF")
        assert fetched.intact() and "Monthly vendor risk digest" in fetched.html
        assert get_digest(session, 999) is None
    again = produce(half_year.engine, half_year.registry, NOVEMBER, half_year.clock, actor="a")
    assert again.record.revision == 2 and first.record.id != third.record.id


def test_sending_a_month_twice_by_hand_is_recorded_as_two_deliveries(half_year: World, smtp_server: SmtpServer) -> None:
    registry = _with_mail(half_year, smtp_server)
    produced = produce(half_year.engine, registry, NOVEMBER, half_year.clock, actor="a")
    send(half_year.engine, produced, registry, half_year.clock, actor="a")
    with pytest.raises(MailError):
        refusing = registry.model_copy(update={"organization": registry.organization.model_copy(
            update={"mail": MailSettings(**smtp_server.mail_settings(port=1))})})
        send(half_year.engine, produced, refusing, half_year.clock, actor="a")
    with Session(half_year.engine) as session:
        statuses = [d.status for d in session.exec(select(DigestDelivery).order_by(col(DigestDelivery.id)))]
    assert statuses == ["delivered", "failed"]
