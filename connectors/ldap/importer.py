"""``vendorwatch import slapd-log``: slapd stats log files a vendor shipped, as bind events of a source.

Files are read oldest first (by modification time, then name; ``.gz`` too). The table of open connections
carries from file to file, and from one import to the next through the run's checkpoint, so a connection opened
in yesterday's file still gives today's binds their client IP. Re-importing a file stores nothing twice.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.ldap.statslog import StatsLogParser, StatsState
from vendorwatch.db.tables import CollectionRun
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.registry.models import LdapSource

CHECKPOINT_KEY = "slapd_import"


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

    def summary(self) -> dict[str, Any]:
        """The figures as a JSON-able dict."""
        return {"run": self.run.id, "status": self.run.status, "files": self.files, "failed_files": self.failed_files,
                "lines": self.lines, "binds": self.binds, "stored": self.stored, "duplicate": self.duplicate,
                "garbled": self.garbled}


def find_files(path: Path) -> list[Path]:
    """The log files at a path: the file itself, or every file under a folder, oldest first."""
    if path.is_file():
        return [path]
    files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def import_path(context: CollectContext, path: Path, timezone: str | None = None,
                progress: Callable[[int], None] | None = None, *, files: Sequence[Path] | None = None,
                recorder: RunRecorder | None = None) -> ImportResult:
    """Import every stats log file at ``path`` into the context's source.

    ``files`` (found under ``path`` by the caller) and ``recorder`` (a run the caller opened, e.g. a ``files``
    source's scheduled collection) let a caller read only the files it chose, inside its own run.
    """
    source = context.source
    zone_name = timezone or (source.stats_log_timezone if isinstance(source, LdapSource) else "UTC")
    recorder = recorder or RunRecorder(context.engine, source.id, context.clock, kind="import")
    checkpoint: dict[str, Any] = dict(recorder.checkpoint or {})
    parser = StatsLogParser(StatsState.from_json((checkpoint.get(CHECKPOINT_KEY) or {}).get("state")),
                            reference=context.clock.now(), timezone=ZoneInfo(zone_name))
    writer = EventWriter(context.engine, source_id=source.id, vendor_id=context.vendor.id, run_id=recorder.run_id)
    default_environment = getattr(source, "environment", None)
    files = list(files) if files is not None else (find_files(path) if path.exists() else [])
    if not files:
        recorder.error(str(path), "no file to import / 取り込むファイルがありません")
    failed = 0
    for file in files:
        opener = gzip.open if file.suffix == ".gz" else open
        try:
            with opener(file, "rb") as stream:
                number = 1
                while lines := stream.readlines(1 << 20):
                    for event in parser.feed_lines(lines, str(file), number):
                        writer.add(context.index.tag(event, default_environment))
                    number += len(lines)
        except (OSError, EOFError, zlib.error) as error:
            failed += 1
            recorder.error(str(file), f"read failed midway; lines before it are kept / 途中で読み込みに失敗: {error}")
        if progress is not None:
            progress(file.stat().st_size)
    counts = writer.flush()
    for garbled in parser.garbled:
        recorder.error(garbled.where, f"{garbled.reason}: {garbled.text}")
    recorder.count("files", len(files))
    recorder.count("lines", parser.counts.lines)
    recorder.count("binds", parser.counts.binds)
    recorder.count("stored", counts.stored)
    recorder.count("duplicate", counts.duplicate)
    if parser.counts.garbled:
        recorder.count("garbled", parser.counts.garbled)
    checkpoint[CHECKPOINT_KEY] = {"state": parser.state.to_json()}
    recorder.save_checkpoint(checkpoint)
    run = recorder.finish("failed" if failed == len(files) else None)
    return ImportResult(run, len(files), failed, parser.counts.lines, parser.counts.binds, counts.stored,
                        counts.duplicate, parser.counts.garbled)
