"""S/MIME signatures (detached, SHA-256) with cryptography's PKCS7 builder.

The signed part is the message body with its MIME headers; the envelope headers (From, To, Subject, Date,
Message-ID) stay outside it, as mail clients expect of a ``multipart/signed`` message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from vendorwatch.i18n import t
from vendorwatch.mail.errors import MailError
from vendorwatch.registry.models import SmimeSettings

_ENVELOPE = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To")


@dataclass(frozen=True)
class Signer:
    """A loaded certificate and its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def load_signer(settings: SmimeSettings, environ: Mapping[str, str] | None = None) -> Signer:
    """Read the certificate and key named in the registry; a clear error (never the password) when they fail."""
    password: bytes | None = None
    if settings.key_password_env:
        value = (os.environ if environ is None else environ).get(settings.key_password_env)
        if not value:
            raise MailError(t(f"環境変数 {settings.key_password_env}（S/MIME 鍵のパスワード）が設定されていません",
                              f"the environment variable {settings.key_password_env} (S/MIME key password) is not set"))
        password = value.encode()
    try:
        certificate = x509.load_pem_x509_certificate(Path(settings.certificate_file).read_bytes())
        key = serialization.load_pem_private_key(Path(settings.key_file).read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise MailError(t("S/MIME 証明書または鍵を読み込めません", "cannot read the S/MIME certificate or key"),
                        details=[f"{type(exc).__name__}: {exc}"[:300]]) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise MailError(t("S/MIME 鍵は RSA か EC である必要があります", "the S/MIME key must be RSA or EC"))
    return Signer(certificate, key)


def sign(message: EmailMessage, signer: Signer) -> bytes:
    """The message as bytes, its body replaced by a detached ``multipart/signed`` S/MIME signature."""
    inner = EmailMessage(policy=SMTP)
    for name, value in message.items():
        if name not in _ENVELOPE and name != "MIME-Version":
            inner[name] = value
    inner.set_payload(message.get_payload())
    body = inner.as_bytes(policy=SMTP)
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(body)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())
        .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
    )
    envelope = b"".join(SMTP.fold_binary(name, message[name]) for name in _ENVELOPE if message[name] is not None)
    # cryptography writes LF line ends; SMTP wants CRLF.
    return envelope + signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
