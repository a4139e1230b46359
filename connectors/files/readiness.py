"""Is a delivered file complete? A vendor's upload that is still being written must be read next time, not now.

A file is not ready while it was modified within the source's ``settle_seconds``, while its size or modification
time changes between two looks a moment apart, or while it is a gzip stream that breaks off (an upload cut short
or still in progress). Only files that are new or changed since they were last read completely are looked at.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connectors.aws.inflate import GZIP_MAGIC, BombError, BoundedGunzip, InflateError, TooLargeError

SECOND_LOOK_SECONDS = 0.5
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Candidate:
    """A file seen in the folder: its size and modification time (the version, as an ETag is for S3)."""

    path: Path
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """How the file is known in the source's records (its absolute path)."""
        return str(self.path.resolve())

    @property
    def version(self) -> str:
        """Size and modification time, as the import commands record them."""
        return f"{self.size}-{self.mtime_ns}"


@dataclass(frozen=True)
class Deferred:
    """A file left for the next run, and why."""

    path: Path
    reason: str


def look(path: Path) -> Candidate:
    """The file as it is now."""
    stat = path.stat()
    return Candidate(path, stat.st_size, stat.st_mtime_ns)


def changed(files: Sequence[Path], read: Mapping[str, str | None]) -> list[Candidate]:
    """The files that are new or whose version differs from the one read completely before."""
    found = []
    for path in files:
        try:
            candidate = look(path)
        except OSError:
            continue  # gone between listing and looking: nothing to read
        if read.get(candidate.key) != candidate.version:
            found.append(candidate)
    return found


def truncated_gzip(path: Path) -> str | None:
    """Why a gzip file cannot be read to its end, or ``None`` (also for a file that is not gzip).

    The file is inflated with the import's ceilings (connectors/aws/inflate.py): a decompression bomb stops at
    its ceiling and is ready, for the import to fail it with that reason, instead of being inflated to its end
    here on every run (and, if a cut-short member followed it, left for the next run forever).
    """
    try:
        with path.open("rb") as raw:
            if raw.read(2) != GZIP_MAGIC:
                return None
            raw.seek(0)
            stream = BoundedGunzip(raw)
            buffer = memoryview(bytearray(_CHUNK))
            while stream.readinto(buffer):
                pass
    except (BombError, TooLargeError):
        return None  # complete or not, it cannot be read: the import says why
    except InflateError as exc:
        return exc.reason.en
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def split_ready(candidates: Sequence[Candidate], now: datetime, settle_seconds: int, *,
                pause: Callable[[float], None] = time.sleep) -> tuple[list[Candidate], list[Deferred]]:
    """(ready, deferred): the candidates that are complete, and those still being delivered with the reason."""
    ready: list[Candidate] = []
    deferred: list[Deferred] = []
    settled: list[Candidate] = []
    limit_ns = int(now.timestamp() * 1e9) - settle_seconds * 1_000_000_000
    for candidate in candidates:
        if settle_seconds and candidate.mtime_ns > limit_ns:
            deferred.append(Deferred(candidate.path, f"modified less than {settle_seconds} s ago / 配送中の可能性"))
        else:
            settled.append(candidate)
    if settled:
        pause(SECOND_LOOK_SECONDS)
    for candidate in settled:
        try:
            again = look(candidate.path)
        except OSError as exc:
            deferred.append(Deferred(candidate.path, f"cannot read: {exc}"))
            continue
        if again != candidate:
            deferred.append(Deferred(candidate.path, "still growing / 書込み中"))
            continue
        problem = truncated_gzip(candidate.path)
        if problem is not None:
            deferred.append(Deferred(candidate.path, f"truncated gzip, read next time / 不完全な gzip: {problem}"))
            continue
        ready.append(candidate)
    return ready, deferred
