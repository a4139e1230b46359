"""A real SMTP server for tests (aiosmtpd): STARTTLS required, optional AUTH, every message kept as received.

Bound to a port chosen here and passed explicitly (``Controller(port=0)`` is broken in aiosmtpd 1.4.6).
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers.certificates import CertificateFiles, make_server_certificate

USERNAME = "vendorwatch"
PASSWORD = "smtp-test-password"  # a test server's, never a real secret


@dataclass
class Received:
    """One message as the server got it: envelope and the exact bytes of DATA."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern e-mail API."""
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Collector:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 OK: queued as TEST"


class _Authenticator:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == USERNAME.encode() \
            and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    """A running test SMTP server and what it received."""

    host: str
    port: int
    certificates: CertificateFiles
    collector: _Collector
    controller: Controller

    @property
    def messages(self) -> list[Received]:
        """Every message received, oldest first."""
        return self.collector.messages

    @property
    def ca_file(self) -> str:
        """The CA that signed the server's certificate (for the client's ``ca_file``)."""
        return str(self.certificates.ca)

    def mail_settings(self, **overrides: Any) -> dict[str, Any]:
        """The registry's ``organization.mail`` for this server, signing in with the test account."""
        return {"host": self.host, "port": self.port, "security": "starttls", "username": USERNAME,
                "password_env": "VW_TEST_SMTP_PASSWORD", "sender": "vendorwatch@example-sec.co.jp",
                "ca_file": self.ca_file, **overrides}

    def stop(self) -> None:
        """Stop the server."""
        self.controller.stop()


def start_smtp_server(folder: Path) -> SmtpServer:
    """Start a STARTTLS SMTP server with a certificate made in ``folder``."""
    certificates = make_server_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.certificate, certificates.key)
    collector = _Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=_Authenticator(), auth_require_tls=True)
    controller.start()
    return SmtpServer("127.0.0.1", port, certificates, collector, controller)
