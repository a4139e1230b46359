"""Collect a ``files`` source: a folder into which a vendor ships CloudTrail exports or slapd stats logs.

Each run reads the files that are new or changed since they were last read completely, through the same import
functions as ``vendorwatch import cloudtrail|slapd-log`` (same parsing, checkpoints and ``source_objects``
integrity records), inside one run of kind ``collect``. A file still being delivered (modified too recently,
growing, or a gzip that breaks off) is left for the next run and counted as ``deferred_files``, never recorded as
read. A grown file is read again from its start; the events already stored are skipped as duplicates.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from connectors.aws import cloudtrail_files
from connectors.aws import import_files as cloudtrail_import
from connectors.aws.cloudtrail_ingest import ingested_keys
from connectors.files.readiness import Candidate, changed, split_ready
from connectors.ldap import importer as slapd_import
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.registry.models import FilesSource

log = logging.getLogger(__name__)
FILES_READ = "files_read"  # checkpoint key of slapd sources: file key -> version read completely


class _SlapdRecorder(RunRecorder):
    """A run that, when the importer saves its checkpoint, adds the files it read to their end."""

    chosen: list[Candidate]

    def save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        failed = {error["where"] for error in self.errors}
        read = dict(checkpoint.get(FILES_READ) or {})
        read.update({c.key: c.version for c in self.chosen if str(c.path) not in failed})
        super().save_checkpoint({**checkpoint, FILES_READ: read})


def _folder(source: FilesSource) -> Path:
    if not source.path:
        raise ConfigError(t(f"ソース {source.id} に path がありません", f"source {source.id} has no path"))
    root = Path(source.path)
    if not root.exists():
        raise ConfigError(t(f"{root} がありません（ソース {source.id}）", f"{root} does not exist (source {source.id})"))
    return root


def collect(context: CollectContext) -> CollectionRun:
    """Read the source's folder: the new and changed files that are complete, in one run."""
    source = context.source
    assert isinstance(source, FilesSource)
    slapd = source.format == "slapd_stats"
    recorder: RunRecorder = (_SlapdRecorder if slapd else RunRecorder)(context.engine, source.id, context.clock)
    try:
        root = _folder(source)
        if slapd:
            files = slapd_import.find_files(root)
            read: dict[str, str | None] = dict((recorder.checkpoint or {}).get(FILES_READ) or {})
        else:
            files = cloudtrail_files.find_files(root)
            with context.engine.connect() as connection:
                read = ingested_keys(connection, source.id)
        ready, deferred = split_ready(changed(files, read), context.clock.now(), source.settle_seconds)
    except ConfigError as error:
        return recorder.finish("failed", error_text=error.message.both())
    except OSError as error:
        return recorder.finish("failed", error_text=f"cannot list {source.path}: {error}")
    for item in deferred:
        log.info("%s: %s left for the next run: %s", source.id, item.path, item.reason)
    recorder.count("files_seen", len(files))
    recorder.count("skipped_objects", len(files) - len(ready) - len(deferred))
    if deferred:
        recorder.count("deferred_files", len(deferred))
    if not ready:
        return recorder.finish()
    paths = [c.path for c in ready]
    if isinstance(recorder, _SlapdRecorder):
        recorder.chosen = ready
        return slapd_import.import_path(context, root, files=paths, recorder=recorder).run
    return cloudtrail_import.import_path(context, root, files=paths, recorder=recorder).run
