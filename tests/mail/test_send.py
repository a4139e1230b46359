"""Mail goes out through a real SMTP server (aiosmtpd) over STARTTLS, signed with S/MIME when configured."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.servers.certificates import make_smime_certificate
from tests.servers.smtp import SmtpServer
from vendorwatch.clock import FixedClock
from vendorwatch.mail.errors import MailError
from vendorwatch.mail.message import Attachment, build_message
from vendorwatch.mail.send import send_message, send_raw
from vendorwatch.registry.models import MailSettings

BOARD = "board-office@example-sec.co.jp"


def _message(**extra: object) -> object:
    return build_message(sender="vendorwatch@example-sec.co.jp", to=[BOARD], subject="月次リスク報告 2026-11",
                         text="本文です。\nbody", html="<p>本文です。</p>",
                         attachments=[Attachment("digest-2026-11.pdf", b"%PDF-1.7 test", "application/pdf")],
                         **extra)  # type: ignore[arg-type]


def test_a_message_goes_out_over_starttls_with_sign_in_and_the_answer_is_kept(smtp_server: SmtpServer,
                                                                                clock: FixedClock) -> None:
    settings = MailSettings(**smtp_server.mail_settings())
    delivery = send_message(settings, _message(), clock=clock)  # type: ignore[arg-type]
    assert delivery.accepted == [BOARD]
    assert delivery.response.startswith("250") and "queued as TEST" in delivery.response
    assert delivery.sent_at == clock.now()
    [received] = smtp_server.messages
    assert received.rcpt_tos == [BOARD]
    assert received.data.replace(b"\r\n", b"\n") == delivery.raw.replace(b"\r\n", b"\n")
    parsed = received.parsed()
    assert parsed["Subject"] == "月次リスク報告 2026-11"
    assert parsed.get_body(("plain",)).get_content().startswith("本文です。")  # type: ignore[union-attr]
    assert parsed.get_body(("html",)).get_content().strip() == "<p>本文です。</p>"  # type: ignore[union-attr]
    [pdf] = list(parsed.iter_attachments())
    assert pdf.get_filename() == "digest-2026-11.pdf" and pdf.get_content() == b"%PDF-1.7 test"


def test_stored_bytes_are_sent_again_byte_for_byte(smtp_server: SmtpServer, clock: FixedClock) -> None:
    settings = MailSettings(**smtp_server.mail_settings())
    first = send_message(settings, _message(), clock=clock)  # type: ignore[arg-type]
    again = send_raw(settings, first.raw, recipients=first.recipients, clock=clock)
    assert again.raw == first.raw
    assert smtp_server.messages[0].data == smtp_server.messages[1].data


def test_a_wrong_password_is_a_clear_error_that_never_shows_the_password(smtp_server: SmtpServer, clock: FixedClock,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VW_TEST_SMTP_PASSWORD", "wrong-secret-value")
    settings = MailSettings(**smtp_server.mail_settings())
    with pytest.raises(MailError) as raised:
        send_message(settings, _message(), clock=clock)  # type: ignore[arg-type]
    text = raised.value.message.both() + " ".join(raised.value.details)
    assert "sign-in" in text and "wrong-secret-value" not in text
    assert smtp_server.messages == []


def test_a_missing_password_variable_is_named(smtp_server: SmtpServer, clock: FixedClock,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VW_TEST_SMTP_PASSWORD")
    with pytest.raises(MailError, match="VW_TEST_SMTP_PASSWORD"):
        send_message(MailSettings(**smtp_server.mail_settings()), _message(), clock=clock)  # type: ignore[arg-type]


def test_a_server_certificate_that_is_not_trusted_is_refused(smtp_server: SmtpServer, clock: FixedClock) -> None:
    settings = MailSettings(**smtp_server.mail_settings(ca_file=None))
    with pytest.raises(MailError, match=r"cannot connect|failed"):
        send_message(settings, _message(), clock=clock)  # type: ignore[arg-type]
    assert smtp_server.messages == []


def test_an_unreachable_server_is_a_mail_error(clock: FixedClock) -> None:
    from tests.servers.smtp import free_port

    settings = MailSettings(host="127.0.0.1", port=free_port(), sender="vw@example-sec.co.jp", timeout_seconds=5)
    with pytest.raises(MailError, match="cannot connect"):
        send_message(settings, _message(), clock=clock)  # type: ignore[arg-type]


def test_credentials_are_never_configured_over_an_unencrypted_connection() -> None:
    with pytest.raises(ValueError, match="never sent without encryption"):
        MailSettings(host="mail", security="none", username="u", password_env="P", sender="vw@example-sec.co.jp")


def test_an_smime_signature_verifies_with_openssl(smtp_server: SmtpServer, clock: FixedClock, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    signer = make_smime_certificate(tmp_path / "smime", "vendorwatch@example-sec.co.jp", password=b"key-pass")
    monkeypatch.setenv("VW_TEST_SMIME_PASSWORD", "key-pass")
    settings = MailSettings(**smtp_server.mail_settings(smime={
        "certificate_file": str(signer.certificate), "key_file": str(signer.key),
        "key_password_env": "VW_TEST_SMIME_PASSWORD"}))
    delivery = send_message(settings, _message(), clock=clock)  # type: ignore[arg-type]
    assert delivery.signed
    [received] = smtp_server.messages
    parsed = received.parsed()
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed["Subject"] == "月次リスク報告 2026-11"
    mail_file = tmp_path / "received.eml"
    mail_file.write_bytes(received.data)
    verified = subprocess.run(["openssl", "smime", "-verify", "-in", str(mail_file), "-CAfile", str(signer.ca),
                               "-purpose", "any", "-out", str(tmp_path / "content.eml")],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    content = (tmp_path / "content.eml").read_bytes()
    assert b"digest-2026-11.pdf" in content
    # A signature over altered content fails.
    tampered = received.data.replace(b"digest-2026-11.pdf", b"digest-2026-12.pdf")
    mail_file.write_bytes(tampered)
    refused = subprocess.run(["openssl", "smime", "-verify", "-in", str(mail_file), "-CAfile", str(signer.ca),
                              "-purpose", "any", "-out", str(tmp_path / "x.eml")], capture_output=True, text=True,
                             check=False)
    assert refused.returncode != 0
