"""Reading a growing, rotating log file from where the last run stopped.

The position is (inode, offset). Only complete lines are consumed, so a line slapd is still writing is read next
time. When the inode changed, the file was rotated: the rest of the old file is read first (found among its
siblings by inode, e.g. ``stats.log.1``), then the new one from the start. When the file shrank under the same
inode it was truncated in place (``copytruncate``), and it is read from the start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vendorwatch.i18n import Text, t

READ_BUFFER = 1 << 20


@dataclass
class FilePosition:
    """How far a log file has been read."""

    path: str
    inode: int
    offset: int

    def to_json(self) -> dict[str, Any]:
        """For the checkpoint."""
        return {"path": self.path, "inode": self.inode, "offset": self.offset}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> FilePosition | None:
        """Back from a checkpoint."""
        if not data or "inode" not in data:
            return None
        return cls(str(data["path"]), int(data["inode"]), int(data["offset"]))


@dataclass
class Segment:
    """One stretch of one file to read: from ``offset``; ``finished`` when the file will not grow any more."""

    path: Path
    inode: int
    offset: int
    finished: bool
    notes: list[Text] = field(default_factory=list)


def _rotated_sibling(path: Path, inode: int) -> Path | None:
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return None
    for sibling in siblings:
        if sibling != path and sibling.name.startswith(path.name):
            try:
                if sibling.stat().st_ino == inode and sibling.is_file():
                    return sibling
            except OSError:
                continue
    return None


def plan(path: Path, position: FilePosition | None) -> list[Segment]:
    """What to read this time, in order. Raises ``OSError`` when the file cannot be read at all."""
    status = path.stat()
    if position is None:
        return [Segment(path, status.st_ino, 0, finished=False)]
    if position.inode == status.st_ino:
        if status.st_size < position.offset:
            note = t("ファイルが切り詰められたため先頭から読み直しました", "truncated in place; read again from the start")
            return [Segment(path, status.st_ino, 0, finished=False, notes=[note])]
        return [Segment(path, status.st_ino, position.offset, finished=False)]
    segments: list[Segment] = []
    old = _rotated_sibling(path, position.inode)
    notes: list[Text] = []
    if old is not None:
        segments.append(Segment(old, position.inode, position.offset, finished=True))
    else:
        notes.append(t("ローテーション後の旧ファイルが見つからず、前回の実行からローテーションまでに書かれた行は読めませんでした",
                       "rotated, and the rotated file was not found: lines written after the last run and before "
                       "the rotation could not be read"))
    segments.append(Segment(path, status.st_ino, 0, finished=False, notes=notes))
    return segments


def complete_lines(segment: Segment) -> Iterator[tuple[bytes, int]]:
    """Each complete line of a segment with the offset just after it.

    A last line without its newline is held back unless the file is finished (rotated away), in which case it is
    returned as it is (and will likely be reported as garbled).
    """
    with segment.path.open("rb", buffering=READ_BUFFER) as stream:
        stream.seek(segment.offset)
        offset = segment.offset
        for line in stream:
            if not line.endswith(b"\n") and not segment.finished:
                return
            offset += len(line)
            yield line, offset


def complete_chunks(segment: Segment, size: int = READ_BUFFER) -> Iterator[tuple[list[bytes], int]]:
    """The segment's complete lines in blocks of about ``size`` bytes, each with the offset just after it.

    Same rule as :func:`complete_lines` for a last line without newline; faster for large files.
    """
    with segment.path.open("rb", buffering=0) as stream:
        stream.seek(segment.offset)
        offset = segment.offset
        carry = b""
        while True:
            block = stream.read(size)
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n")
            if cut < 0:
                carry = block
                continue
            carry = block[cut + 1:]
            lines = block[:cut].split(b"\n")
            offset += cut + 1
            yield lines, offset
        if carry and segment.finished:
            yield [carry], offset + len(carry)


def file_identity(path: Path) -> int:
    """The inode of a file (its identity across renames)."""
    return os.stat(path).st_ino
