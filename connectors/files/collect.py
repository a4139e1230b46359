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

from connectors.aws import cloudtrail_files
from connectors.aws import import_files as cloudtrail_import
from connectors.files.readiness import changed, split_ready
from connectors.ldap import importer as slapd_import
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.objects import ingested_keys
from vendorwatch.ingest.runs import Count, RunRecorder
from vendorwatch.registry.models import FilesSource

log = logging.getLogger(__name__)


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
    recorder = RunRecorder(context.engine, source.id, context.clock)
    try:
        root = _folder(source)
        files = slapd_import.find_files(root) if slapd else cloudtrail_files.find_files(root)
        read = ingested_keys(context)  # files read completely before, with their version (source_objects)
        ready, deferred = split_ready(changed(files, read), context.clock.now(), source.settle_seconds)
    except ConfigError as error:
        return recorder.finish("failed", error_text=error.message.both())
    except OSError as error:
        return recorder.finish("failed", error_text=f"cannot list {source.path}: {error}")
    for item in deferred:
        log.info("%s: %s left for the next run: %s", source.id, item.path, item.reason)
    recorder.count(Count.FILES_SEEN, len(files))
    recorder.count(Count.SKIPPED_OBJECTS, len(files) - len(ready) - len(deferred))
    if deferred:
        recorder.count(Count.DEFERRED_FILES, len(deferred))
    if not ready:
        return recorder.finish()
    paths = [c.path for c in ready]
    if slapd:
        return slapd_import.import_path(context, root, files=paths, recorder=recorder).run
    return cloudtrail_import.import_path(context, root, files=paths, recorder=recorder).run
