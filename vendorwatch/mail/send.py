"""Send a message over SMTP (STARTTLS by default) and keep what the server answered, as evidence of delivery."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses

from vendorwatch.clock import Clock
from vendorwatch.i18n import t
from vendorwatch.mail.errors import MailError
from vendorwatch.registry.models import MailSettings


@dataclass
class Delivery:
    """One message handed to the SMTP server: the bytes sent, who was accepted or refused, the server's answer."""

    sent_at: datetime
    sender: str
    recipients: list[str]
    raw: bytes
    message_id: str | None
    response: str
    refused: dict[str, str] = field(default_factory=dict)
    signed: bool = False

    @property
    def accepted(self) -> list[str]:
        """Recipients the server took."""
        return [r for r in self.recipients if r not in self.refused]


def envelope_recipients(message: EmailMessage) -> list[str]:
    """Every address of the To, Cc and Bcc headers."""
    headers = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(headers) if address]


def render(message: EmailMessage, settings: MailSettings, environ: Mapping[str, str] | None = None) -> bytes:
    """The bytes that will be sent: S/MIME-signed when the registry configures a certificate."""
    if settings.smime is not None:
        # Imported here: cryptography costs every process that may send mail (the scheduler, each collection's
        # alerts) several MB, and only a firm that signs its mail needs it.
        from vendorwatch.mail.smime import load_signer, sign

        return sign(message, load_signer(settings.smime, environ))
    return message.as_bytes(policy=SMTP)


def send_message(settings: MailSettings, message: EmailMessage, *, clock: Clock,
                 environ: Mapping[str, str] | None = None) -> Delivery:
    """Sign (when configured) and send a message to the addresses in its headers."""
    raw = render(message, settings, environ)
    delivery = send_raw(settings, raw, recipients=envelope_recipients(message), clock=clock, environ=environ)
    delivery.message_id = message["Message-ID"]
    delivery.signed = settings.smime is not None
    return delivery


def _password(settings: MailSettings, environ: Mapping[str, str] | None) -> str | None:
    if not settings.password_env:
        return None
    value = (os.environ if environ is None else environ).get(settings.password_env)
    if not value:
        raise MailError(t(f"環境変数 {settings.password_env}（SMTP パスワード）が設定されていません",
                          f"the environment variable {settings.password_env} (SMTP password) is not set"))
    return value


def _tls_context(settings: MailSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                context=_tls_context(settings))
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    if settings.security == "starttls":
        client.ehlo()
        if not client.has_extn("starttls"):
            client.close()
            raise MailError(t(f"SMTP サーバ {settings.host} は STARTTLS に対応していません",
                              f"the SMTP server {settings.host} does not offer STARTTLS"))
        client.starttls(context=_tls_context(settings))
        client.ehlo()
    return client


def send_raw(settings: MailSettings, raw: bytes, *, recipients: Sequence[str], clock: Clock,
             environ: Mapping[str, str] | None = None) -> Delivery:
    """Send bytes as they are (a stored message sent again byte for byte); the answer of DATA is kept."""
    if not recipients:
        raise MailError(t("宛先がありません", "the message has no recipient"))
    password = _password(settings, environ)
    where = f"{settings.host}:{settings.port}"
    try:
        client = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:  # ssl.SSLError is an OSError
        raise MailError(t(f"SMTP サーバ {where} に接続できません", f"cannot connect to the SMTP server {where}"),
                        details=[f"{type(exc).__name__}: {exc}"[:300]]) from None
    try:
        if settings.username:
            client.login(settings.username, password or "")
        code, answer = client.mail(settings.sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, settings.sender)
        refused: dict[str, str] = {}
        for recipient in recipients:
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = f"{code} {answer.decode(errors='replace')}"
        if len(refused) == len(recipients):
            client.rset()
            raise MailError(t("すべての宛先が拒否されました", "every recipient was refused"),
                            details=[f"{k}: {v}" for k, v in refused.items()][:10])
        code, answer = client.data(raw)
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)
        response = f"{code} {answer.decode(errors='replace')}"
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(t(f"SMTP サーバ {where} へのサインインに失敗しました", f"sign-in to the SMTP server {where} failed"),
                        details=[f"{exc.smtp_code}"]) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(t(f"SMTP サーバ {where} への送信に失敗しました", f"sending through {where} failed"),
                        details=[f"{type(exc).__name__}: {exc}"[:300]]) from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return Delivery(sent_at=clock.now(), sender=settings.sender, recipients=list(recipients), raw=raw,
                    message_id=None, response=response, refused=refused)
