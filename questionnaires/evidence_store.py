"""The evidence directory: uploaded files stored once by SHA-256, outside anything a web server serves.

An upload is streamed to a temporary file inside the evidence directory while it is hashed and counted; it
is refused (and the temporary file removed, so nothing is stored) when it passes the size limit, when its
content is not one of the allowed types, or when its content does not match its name. Accepted content
is renamed to ``<dir>/<aa>/<bb>/<sha256>`` (readable by the owner only); the same content twice is stored once.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from questionnaires.errors import EvidenceRefusedError
from vendorwatch.i18n import t
from vendorwatch.settings import Settings

CHUNK = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class FileType:
    """An evidence type: its media type and the names it may carry."""

    name: str
    media_type: str
    extensions: tuple[str, ...]


FILE_TYPES: dict[str, FileType] = {
    f.name: f
    for f in (
        FileType("pdf", "application/pdf", (".pdf",)),
        FileType("png", "image/png", (".png",)),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
        FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
        FileType("txt", "text/plain", (".txt", ".csv", ".log")),
    )
}


@dataclass(frozen=True)
class EvidenceSettings:
    """Where evidence goes, how large an upload may be, and which types are accepted."""

    directory: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    allowed_types: tuple[str, ...] = ("pdf", "png", "jpeg", "xlsx", "docx")

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidenceSettings:
        """From ``VENDORWATCH_EVIDENCE_DIR``, ``VENDORWATCH_EVIDENCE_MAX_MB`` and ``VENDORWATCH_EVIDENCE_TYPES``."""
        unknown = [name for name in settings.evidence_types if name not in FILE_TYPES]
        if unknown:
            raise EvidenceRefusedError(t(f"不明な証跡ファイル形式です: {', '.join(unknown)}（{', '.join(FILE_TYPES)}）",
                                    f"unknown evidence types: {', '.join(unknown)} (known: {', '.join(FILE_TYPES)})"))
        return cls(settings.evidence_dir, int(settings.evidence_max_mb * 1024 * 1024), tuple(settings.evidence_types))


@dataclass(frozen=True)
class StoredContent:
    """What was stored: the content's hash, size, type, and the file name as given (cleaned)."""

    sha256: str
    size: int
    file_type: FileType
    filename: str

    @property
    def media_type(self) -> str:
        """The media type detected from the content."""
        return self.file_type.media_type


def clean_filename(name: str) -> str:
    """The last path part of a name, without control characters, at most 200 characters (kept for display only)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    base = base.lstrip(".") or "evidence"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def _ooxml(path: Path) -> str | None:
    """``xlsx`` or ``docx`` for an Office Open XML package without macros; None otherwise (names only, no extraction)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        return None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return None


def _text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a character cut at the end of the sample is fine
            return False
        sample = head[: error.start].decode("utf-8")
    lowered = sample.lstrip().lower()
    return not lowered.startswith(("<!doctype html", "<html", "<svg", "<?xml", "<script"))


def sniff(head: bytes, path: Path) -> str | None:
    """The evidence type of some content, from its bytes (never from its name)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml(path)
    if head and _text(head):
        return "txt"
    return None


class EvidenceStore:
    """Store and read evidence content in the evidence directory."""

    def __init__(self, settings: EvidenceSettings) -> None:
        self.settings = settings
        self.directory = settings.directory

    def path_of(self, sha256: str) -> Path:
        """Where content with this hash lives."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.directory / sha256[:2] / sha256[2:4] / sha256

    def _limit_text(self) -> str:
        return f"{self.settings.max_bytes / (1024 * 1024):.3g} MB"

    def store(self, stream: BinaryIO, filename: str) -> StoredContent:
        """Stream an upload into the store, or refuse it having stored nothing."""
        name = clean_filename(filename)
        extension = Path(name).suffix.lower()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=self.directory)
        temp_path = Path(temporary)
        try:
            digest = hashlib.sha256()
            size = 0
            head = b""
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.settings.max_bytes:
                        raise EvidenceRefusedError(t(f"ファイルが大きすぎます（上限 {self._limit_text()}）: {name}",
                                                f"the file is too large (limit {self._limit_text()}): {name}"))
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise EvidenceRefusedError(t(f"空のファイルは添付できません: {name}", f"the file is empty: {name}"))
            detected = sniff(head, temp_path)
            allowed = ", ".join(self.settings.allowed_types)
            if detected is None or detected not in self.settings.allowed_types:
                raise EvidenceRefusedError(t(f"この形式のファイルは添付できません: {name}（添付できる形式: {allowed}）",
                                        f"this kind of file is not accepted: {name} (accepted: {allowed})"))
            file_type = FILE_TYPES[detected]
            if extension not in file_type.extensions:
                shown = extension or "拡張子なし"
                raise EvidenceRefusedError(t(f"ファイルの内容（{detected}）と名前（{shown}）が一致しません: {name}",
                                             f"the file's content ({detected}) does not match its name "
                                             f"({extension or 'no extension'}): {name}"))
            sha256 = digest.hexdigest()
            final = self.path_of(sha256)
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if final.exists():
                temp_path.unlink()
            else:
                os.chmod(temp_path, 0o600)
                os.replace(temp_path, final)
            return StoredContent(sha256, size, file_type, name)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise

    def read(self, sha256: str) -> bytes:
        """The stored content, checked against its hash (a changed file on disk is an error, not evidence)."""
        data = self.path_of(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceRefusedError(t(f"証跡ファイル {sha256} の内容がハッシュと一致しません（改ざんの可能性）",
                                    f"evidence {sha256} does not match its hash (it may have been altered)"))
        return data

    def exists(self, sha256: str) -> bool:
        """Whether content with this hash is stored."""
        return self.path_of(sha256).exists()
