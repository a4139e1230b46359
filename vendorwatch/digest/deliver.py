"""Mail a digest to the registry's recipients (PDF attached, charts inline, S/MIME-signed when configured), and
send a delivered one again byte for byte. Every attempt is stored, failed ones too."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage

from sqlmodel import Session

from vendorwatch.clock import Clock
from vendorwatch.db.tables import DigestDelivery, DigestRecord
from vendorwatch.digest.errors import DigestError
from vendorwatch.digest.render import RenderedDigest
from vendorwatch.digest.store import record_delivery, record_of
from vendorwatch.i18n import t
from vendorwatch.mail.errors import MailError
from vendorwatch.mail.message import Attachment, InlineImage, build_message
from vendorwatch.mail.send import envelope_recipients, render, send_raw
from vendorwatch.registry.models import MailSettings, Registry


def mail_settings(registry: Registry) -> tuple[MailSettings, list[str]]:
    """The SMTP server and the recipients; a clear error (exit 2) when either is missing."""
    mail = registry.organization.mail
    if mail is None:
        raise DigestError(t("台帳に organization.mail（SMTP サーバ）がないため送信できません（docs/registry.md）",
                            "cannot send: the registry has no organization.mail (SMTP server); see docs/registry.md"))
    recipients = [str(r) for r in registry.organization.digest.recipients]
    if not recipients:
        raise DigestError(t("台帳の organization.digest.recipients に宛先がありません",
                            "cannot send: organization.digest.recipients in the registry is empty"))
    return mail, recipients


def attachment_name(record: DigestRecord) -> str:
    """``vendorwatch-digest-2026-11-ja.pdf``."""
    return f"vendorwatch-digest-{record.month}-{record.language}.pdf"


def compose(record: DigestRecord, rendered: RenderedDigest, mail: MailSettings, recipients: list[str],
            clock: Clock) -> EmailMessage:
    """The message: plain text and HTML (charts inline), the PDF attached, a header naming the digest."""
    return build_message(
        sender=mail.sender, sender_name=mail.sender_name, to=recipients, subject=rendered.subject,
        text=rendered.text, html=rendered.mail_html,
        inline=[InlineImage(rendered.cid(chart), chart.png, "image/png", f"{chart.name}.png")
                for chart in rendered.charts],
        attachments=[Attachment(attachment_name(record), rendered.pdf, "application/pdf")],
        headers={"X-VendorWatch-Digest": f"{record.month}; lang={record.language}; revision={record.revision}; "
                                         f"pdf-sha256={record.pdf_sha256}",
                 "Auto-Submitted": "auto-generated"},
        date=clock.now(),
    )


def send_digest(session: Session, record: DigestRecord, rendered: RenderedDigest, registry: Registry, clock: Clock,
                *, actor: str, environ: Mapping[str, str] | None = None) -> DigestDelivery:
    """Sign (when configured) and send; the attempt is stored whatever happens, then a failure is raised."""
    mail, recipients = mail_settings(registry)
    message = compose(record, rendered, mail, recipients, clock)
    raw = render(message, mail, environ)
    try:
        delivery = send_raw(mail, raw, recipients=envelope_recipients(message), clock=clock, environ=environ)
    except MailError as failure:
        record_delivery(session, record, kind="send", actor=actor, sender=mail.sender, recipients=recipients, raw=raw,
                        clock=clock, error="; ".join([failure.message.en, *failure.details])[:1000])
        session.commit()
        raise
    delivery.message_id = message["Message-ID"]
    delivery.signed = mail.smime is not None
    return record_delivery(session, record, kind="send", actor=actor, sender=mail.sender, recipients=recipients,
                           raw=raw, clock=clock, delivery=delivery)


def resend(session: Session, previous: DigestDelivery, registry: Registry, clock: Clock, *, actor: str,
           environ: Mapping[str, str] | None = None) -> DigestDelivery:
    """Send the exact bytes of an earlier delivery again, to its recipients, through the registry's server."""
    mail = registry.organization.mail
    if mail is None:
        raise DigestError(t("台帳に organization.mail（SMTP サーバ）がないため再送できません",
                            "cannot resend: the registry has no organization.mail (SMTP server)"))
    record = record_of(session, previous.digest_id)
    assert record is not None
    raw = bytes(previous.raw)
    try:
        delivery = send_raw(mail, raw, recipients=list(previous.recipients), clock=clock, environ=environ)
    except MailError as failure:
        record_delivery(session, record, kind="resend", actor=actor, sender=mail.sender,
                        recipients=list(previous.recipients), raw=raw, clock=clock,
                        error="; ".join([failure.message.en, *failure.details])[:1000])
        session.commit()
        raise
    delivery.message_id = previous.message_id
    delivery.signed = previous.signed
    return record_delivery(session, record, kind="resend", actor=actor, sender=mail.sender,
                           recipients=list(previous.recipients), raw=raw, clock=clock, delivery=delivery)
