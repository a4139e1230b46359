"""Import exported CloudTrail files (a file, or a folder searched recursively) as one ``import`` run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.aws.cloudtrail_files import find_files, iter_path
from connectors.aws.cloudtrail_parse import transform_for_source
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import Text, t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.objects import FAILED, ObjectOutcome, ObjectSink, ingested_keys
from vendorwatch.ingest.runs import Count, RunRecorder

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
    failures: list[tuple[str, Text]] = field(default_factory=list)  # (file, why) of each file that failed
    rejected_accounts: dict[str, int] = field(default_factory=dict)  # events rejected per undeclared account

    def summary(self) -> dict[str, Any]:
        """The counts users and scripts read, each failed file with its reason, the accounts rejected."""
        return {"read": self.read, "stored": self.stored, "duplicate": self.duplicate, "rejected": self.rejected,
                "files": self.files, "failed_files": self.failed_files, "skipped_files": self.skipped_files,
                "failed": [{"file": file, "reason": why.en, "reason_ja": why.ja} for file, why in self.failures],
                "rejected_accounts": dict(self.rejected_accounts), "run": self.run.id, "status": self.run.status}


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
    sink = ObjectSink(context, recorder, batch_size=batch_size)
    failed = skipped = 0
    known = ingested_keys(context) if skip_known else {}
    try:
        for path in files:
            outcome = ObjectOutcome(key=str(path.resolve()))
            try:
                stat = path.stat()
                outcome.size = stat.st_size
                outcome.etag = f"{stat.st_size}-{stat.st_mtime_ns}"  # a file's version, as S3's ETag is
                if skip_known and known.get(outcome.key) == outcome.etag:
                    skipped += 1
                    if progress is not None:
                        progress(outcome.size)
                    continue
                sink.store(outcome, transform_for_source(iter_path(path), context))
            except OSError as exc:
                outcome.reason = t(f"読めません: {exc}", f"cannot read: {exc}")
                sink.skip_failed(outcome)
            failed += outcome.status == FAILED
            if progress is not None:
                progress(outcome.size or 0)
        counts = sink.close()
    except BaseException as exc:
        detail = f"{type(exc).__name__}: {exc}"[:2000]
        recorder.finish("failed", error_text=t(f"取り込みが中断しました: {detail}", f"the import stopped: {detail}"))
        raise
    recorder.count(Count.FILES, len(files))
    if skipped:
        recorder.count(Count.SKIPPED_OBJECTS, skipped)
    if failed:
        recorder.count(Count.FAILED_FILES, failed)
    run = recorder.finish("failed" if failed == len(files) else None)
    return ImportResult(sink.read, counts.stored, counts.duplicate, sink.rejected, len(files), failed, run,
                        skipped, [(o.key, o.reason or t("読めません", "not read")) for o in sink.failed],
                        dict(sink.rejected_accounts))
