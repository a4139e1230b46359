"""Import exported CloudTrail files (a file, or a folder searched recursively) as one ``import`` run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors.aws.cloudtrail_files import find_files, iter_path
from connectors.aws.cloudtrail_ingest import EventSink, FileOutcome, ingested_keys
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.runs import RunRecorder

Progress = Callable[[int], None]  # called with the bytes of each file done


@dataclass
class ImportResult:
    """What an import did, as ``--json`` prints it (plus the run and the files)."""

    read: int
    stored: int
    duplicate: int
    rejected: int
    files: int
    failed_files: int
    run: CollectionRun
    skipped_files: int = 0

    def summary(self) -> dict[str, int]:
        """The counts users and scripts read."""
        return {"read": self.read, "stored": self.stored, "duplicate": self.duplicate, "rejected": self.rejected}


def import_path(context: CollectContext, root: Path, *, progress: Progress | None = None,
                batch_size: int | None = None, skip_known: bool = False, files: Sequence[Path] | None = None,
                recorder: RunRecorder | None = None) -> ImportResult:
    """Ingest every CloudTrail file at ``root`` into the context's source; one run of kind ``import``.

    With ``skip_known``, a file already ingested completely with the same size and modification time is
    skipped before it is read (a scheduled re-collection of a folder); without it every event is read
    again and counted as a duplicate (what a person re-importing expects to see).
    """
    if not root.exists():
        raise ConfigError(t(f"{root} がありません", f"{root} does not exist"))
    files = list(files) if files is not None else find_files(root)
    if not files:
        raise ConfigError(
            t(f"{root} に CloudTrail ファイル（.json / .json.gz / .ndjson / .jsonl）がありません",
              f"no CloudTrail files (.json, .json.gz, .ndjson, .jsonl) under {root}")
        )
    recorder = recorder or RunRecorder(context.engine, context.source.id, context.clock, kind="import")
    sink = EventSink(context.engine, context.source.id, context.vendor.id, context.source.environment,
                     context.index, recorder, context.clock, batch_size=batch_size)
    failed = skipped = 0
    known: dict[str, str | None] = {}
    if skip_known:
        with context.engine.connect() as connection:
            known = ingested_keys(connection, context.source.id)
    try:
        for path in files:
            outcome = FileOutcome(key=str(path.resolve()))
            try:
                stat = path.stat()
                outcome.size = stat.st_size
                outcome.etag = f"{stat.st_size}-{stat.st_mtime_ns}"  # a file's version, as S3's ETag is
                if skip_known and known.get(outcome.key) == outcome.etag:
                    skipped += 1
                    if progress is not None:
                        progress(outcome.size)
                    continue
                sink.ingest(outcome, iter_path(path))
            except OSError as exc:
                outcome.reason = f"cannot read: {exc}"
                sink.skip_failed(outcome)
            failed += outcome.status == "failed"
            if progress is not None:
                progress(outcome.size or 0)
        counts = sink.close()
    except BaseException as exc:
        recorder.finish("failed", error_text=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    recorder.count("files", len(files))
    if skipped:
        recorder.count("skipped_objects", skipped)
    if failed:
        recorder.count("failed_files", failed)
    run = recorder.finish("failed" if failed == len(files) else None)
    return ImportResult(sink.read, counts.stored, counts.duplicate, sink.rejected, len(files), failed, run,
                        skipped)
