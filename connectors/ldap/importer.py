"""``vendorwatch import slapd-log``: slapd stats log files a vendor shipped, as bind events of a source.

Files are read oldest first (by modification time, then name; ``.gz`` too). The table of open connections
carries from file to file, and from one import to the next through the run's checkpoint, so a connection opened
in yesterday's file still gives today's binds their client IP. Re-importing a file stores nothing twice.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.ldap.statslog import StatsLogParser, StatsState
from vendorwatch.db.tables import CollectionRun
from vendorwatch.i18n import Text, t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.objects import FAILED, ObjectOutcome, ObjectReadError, ObjectSink
from vendorwatch.ingest.runs import Count, RunRecorder
from vendorwatch.records import AccessEventRecord
from vendorwatch.registry.models import LdapSource

CHECKPOINT_KEY = "slapd_import"
READ_SIZE = 1 << 20


class LogFileReadError(ObjectReadError):
    """A log file that broke off (damaged gzip, I/O error); the lines before the break are kept."""


@dataclass
class ImportResult:
    """What an import did."""

    run: CollectionRun
    files: int
    failed_files: int
    lines: int
    binds: int
    stored: int
    duplicate: int
    garbled: int
    failures: list[tuple[str, Text]] = field(default_factory=list)  # (file, why) of each file that failed

    def summary(self) -> dict[str, Any]:
        """The figures as a JSON-able dict, with each failed file and its reason."""
        return {"run": self.run.id, "status": self.run.status, "files": self.files, "failed_files": self.failed_files,
                "lines": self.lines, "binds": self.binds, "stored": self.stored, "duplicate": self.duplicate,
                "garbled": self.garbled,
                "failed": [{"file": file, "reason": why.en, "reason_ja": why.ja} for file, why in self.failures]}


def find_files(path: Path) -> list[Path]:
    """The log files at a path: the file itself, or every file under a folder, oldest first."""
    if path.is_file():
        return [path]
    files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def get_log_lines(file: Path) -> Iterator[list[bytes]]:
    """The lines of one log file (gunzipped if it ends in ``.gz``), a block at a time."""
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as stream:
            while lines := stream.readlines(READ_SIZE):
                yield lines
    except (OSError, EOFError, zlib.error) as error:
        raise LogFileReadError(t(f"途中で読み込みに失敗しました（それまでの行は取り込み済み）: {error}",
                                 f"read failed midway; lines before it are kept: {error}")) from None


def transform_log_file(context: CollectContext, parser: StatsLogParser, file: Path,
                       default_environment: str | None) -> Iterator[AccessEventRecord]:
    """The bind events of one log file, tagged; the parser's connection table carries to the next file."""
    number = 1
    for lines in get_log_lines(file):
        for event in parser.feed_lines(lines, str(file), number):
            yield context.index.tag(event, default_environment)
        number += len(lines)


def _outcome(file: Path) -> ObjectOutcome:
    outcome = ObjectOutcome(key=str(file.resolve()))
    try:
        stat = file.stat()
    except OSError:
        return outcome
    outcome.size = stat.st_size
    outcome.etag = f"{stat.st_size}-{stat.st_mtime_ns}"  # a file's version, as S3's ETag is
    return outcome


def import_path(context: CollectContext, path: Path, timezone: str | None = None,
                progress: Callable[[int], None] | None = None, *, files: Sequence[Path] | None = None,
                recorder: RunRecorder | None = None) -> ImportResult:
    """Import every stats log file at ``path`` into the context's source; each file gets its
    ``source_objects`` row, committed with its last events.

    ``files`` (found under ``path`` by the caller) and ``recorder`` (a run the caller opened, e.g. a ``files``
    source's scheduled collection) let a caller read only the files it chose, inside its own run.
    """
    source = context.source
    zone_name = timezone or (source.stats_log_timezone if isinstance(source, LdapSource) else "UTC")
    recorder = recorder or RunRecorder(context.engine, source.id, context.clock, kind="import")
    checkpoint: dict[str, Any] = dict(recorder.checkpoint or {})
    parser = StatsLogParser(StatsState.from_json((checkpoint.get(CHECKPOINT_KEY) or {}).get("state")),
                            reference=context.clock.now(), timezone=ZoneInfo(zone_name))
    sink = ObjectSink(context, recorder)
    default_environment = getattr(source, "environment", None)
    files = list(files) if files is not None else (find_files(path) if path.exists() else [])
    if not files:
        recorder.error(str(path), t("取り込むファイルがありません", "no file to import"))
    failed = 0
    for file in files:
        outcome = sink.store(_outcome(file), transform_log_file(context, parser, file, default_environment))
        failed += outcome.status == FAILED
        if progress is not None:
            progress(outcome.size or 0)
    counts = sink.close()
    for garbled in parser.garbled:
        recorder.error(garbled.where, garbled.message())
    recorder.count(Count.FILES, len(files))
    if failed:
        recorder.count(Count.FAILED_FILES, failed)
    recorder.count(Count.LOG_LINES, parser.counts.lines)
    recorder.count(Count.LOG_BINDS, parser.counts.binds)
    if parser.counts.garbled:
        recorder.count(Count.LOG_GARBLED, parser.counts.garbled)
    checkpoint[CHECKPOINT_KEY] = {"state": parser.state.to_json()}
    recorder.save_checkpoint(checkpoint)
    run = recorder.finish("failed" if failed == len(files) else None)
    return ImportResult(run, len(files), failed, parser.counts.lines, parser.counts.binds, counts.stored,
                        counts.duplicate, parser.counts.garbled,
                        [(o.key, o.reason or t("読めません", "not read")) for o in sink.failed])
