"""Evidence handed to the firm's staff: always as an attachment, never for a browser to render.

``attachment(session, store, file_id, actor=...)`` reads the stored content (checked against its SHA-256), and
gives the headers any web page that serves it must send — ``Content-Disposition: attachment`` with the name as
uploaded (RFC 6266 / 5987, so Japanese names survive), the media type detected from the content when it was
stored, ``nosniff`` and a sandboxing CSP. Each download is audited. The CLI (``vendorwatch evidence get``) and
the dashboard call it; the portal never serves evidence back to contacts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlmodel import Session

from questionnaires.errors import QuestionnaireError
from questionnaires.evidence_store import EvidenceStore, clean_filename
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import EvidenceFile
from vendorwatch.i18n import t


@dataclass(frozen=True)
class Attachment:
    """An evidence file's content and how to hand it over."""

    file: EvidenceFile
    content: bytes

    @property
    def filename(self) -> str:
        """The name as uploaded (cleaned: no path, no control characters)."""
        return clean_filename(self.file.filename)

    def headers(self) -> dict[str, str]:
        """The response headers of a download."""
        ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", self.filename) or "evidence"
        return {
            "Content-Type": self.file.media_type,
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(self.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
        }


def attachment(session: Session, store: EvidenceStore, file_id: int, *, actor: str, clock: Clock) -> Attachment:
    """An evidence file for the firm's staff (audited as ``evidence.file.download``)."""
    row = session.get(EvidenceFile, file_id)
    if row is None:
        raise QuestionnaireError(t(f"証跡ファイル {file_id} はありません", f"there is no evidence file {file_id}"))
    content = store.read(row.sha256)
    audit.record(session, actor=actor, action="evidence.file.download", target=f"evidence:{file_id}",
                 details={"vendor": row.vendor_id, "sha256": row.sha256, "request": row.request_id}, clock=clock)
    return Attachment(row, content)
