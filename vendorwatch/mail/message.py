"""Build a mail message: plain text and optional HTML alternatives, attachments, standard headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formatdate, make_msgid


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML part shows through ``cid:`` (mail clients block ``data:`` images)."""

    content_id: str  # without angle brackets; the HTML refers to it as ``cid:<content_id>``
    content: bytes
    mime_type: str = "image/png"
    filename: str | None = None


def _address(email: str, name: str | None) -> str:
    if not name:
        return email
    local, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def build_message(*, sender: str, to: Sequence[str], subject: str, text: str, html: str | None = None,
                  attachments: Sequence[Attachment] = (), inline: Sequence[InlineImage] = (),
                  sender_name: str | None = None,
                  reply_to: str | None = None, headers: dict[str, str] | None = None,
                  date: datetime | None = None) -> EmailMessage:
    """A complete message (SMTP line endings, UTF-8 where needed); ``to`` must not be empty.

    ``date`` (aware) is the Date header, from the caller's clock; without it, now. ``inline`` images go with the
    HTML part in a ``multipart/related``.
    """
    if not to:
        raise ValueError("a message needs at least one recipient")
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(sender, sender_name)
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(date) if date is not None else formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if reply_to:
        message["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, cte="quoted-printable" if not text.isascii() else "7bit")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable" if not html.isascii() else "7bit")
        if inline:
            html_part = message.get_body(("html",))
            assert html_part is not None
            for image in inline:
                main, _, sub = image.mime_type.partition("/")
                html_part.add_related(image.content, maintype=main, subtype=sub or "octet-stream",
                                      cid=f"<{image.content_id}>", disposition="inline", filename=image.filename)
    for attachment in attachments:
        main, _, sub = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=main, subtype=sub or "octet-stream",
                               filename=attachment.filename)
    return message
