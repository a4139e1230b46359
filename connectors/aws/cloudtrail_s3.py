"""Read a trail's log files from its S3 bucket, incrementally.

Keys under ``<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`` sort in delivery order, so the
checkpoint is, per region, the last key up to which *every* key was ingested and committed. Listing starts
after it. A file that fails (truncated, unreadable, access denied) holds the checkpoint where it is; files
after it are still read, recorded in ``source_objects`` and skipped on the next run before being parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.cloudtrail_files import iter_hashed
from connectors.aws.cloudtrail_parse import transform_for_source
from connectors.aws.errors import call_failed
from connectors.aws.session import AwsAccess
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.objects import INGESTED, ObjectOutcome, ObjectSink, ingested_keys
from vendorwatch.ingest.runs import Count, RunRecorder

CHECKPOINT_KEY = "s3"


def log_prefix(prefix: str, account: str, region: str) -> str:
    """Where a trail delivers one account's and region's log files."""
    base = prefix.strip("/")
    return f"{base + '/' if base else ''}AWSLogs/{account}/CloudTrail/{region}/"


@dataclass
class RegionProgress:
    """Keys of one region in listing order and which of them are done, to move the checkpoint safely."""

    start_after: str | None
    order: list[str] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)

    def checkpoint(self) -> str | None:
        """The last key such that it and every key before it are done."""
        last = self.start_after
        for key in self.order:
            if key not in self.done:
                break
            last = key
        return last


@dataclass
class S3Progress:
    """Every region's progress, and which region each key belongs to."""

    regions: dict[str, RegionProgress] = field(default_factory=dict)
    region_of: dict[str, str] = field(default_factory=dict)

    def committed(self, outcomes: list[ObjectOutcome]) -> None:
        """Mark the keys whose events were committed (called in the writer's thread; only marks keys)."""
        for outcome in outcomes:
            region = self.region_of.get(outcome.key)
            if region is not None:
                here = self.regions[region]
                (here.done if outcome.status == INGESTED else here.failed).add(outcome.key)

    def checkpoints(self) -> dict[str, str]:
        """Per region, the key up to which everything is done."""
        return {region: point for region, here in self.regions.items() if (point := here.checkpoint())}


def list_log_keys(access: AwsAccess, bucket: str, prefix: str, start_after: str | None,
                  region: str | None = None) -> Iterator[dict[str, Any]]:
    """Objects under a prefix after ``start_after``, in key order (S3 lists lexicographically)."""
    arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if start_after:
        arguments["StartAfter"] = start_after
    paginator = access.client("s3", region).get_paginator("list_objects_v2")
    for page in paginator.paginate(**arguments):
        yield from page.get("Contents", [])


def get_log_file(access: AwsAccess, bucket: str, key: str) -> bytes:
    """The bytes of one log file, as stored (usually gzipped)."""
    body: bytes = access.call(lambda: access.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    return body


def collect_s3(context: CollectContext, access: AwsAccess, sink: ObjectSink, *, bucket: str, prefix: str,
               account: str, regions: list[str]) -> None:
    """Ingest every new log file of every region; keeps the checkpoint per region in the run."""
    recorder = sink.recorder
    state: dict[str, Any] = dict((recorder.checkpoint or {}).get(CHECKPOINT_KEY) or {})
    progress = S3Progress()
    sink.on_commit = progress.committed
    known = ingested_keys(context)
    saved: dict[str, str] = dict(state)
    for region in regions:
        where = log_prefix(prefix, account, region)
        progress.regions[region] = here = RegionProgress(start_after=state.get(region))
        try:
            for item in list_log_keys(access, bucket, where, here.start_after):
                key = item["Key"]
                if not key.endswith((".json.gz", ".json")):
                    continue
                etag = str(item.get("ETag", "")).strip('"') or None
                here.order.append(key)
                progress.region_of[key] = region
                if key in known and known[key] == etag:
                    here.done.add(key)  # ingested by an earlier run: skipped before any parsing
                    recorder.count(Count.SKIPPED_OBJECTS)
                    continue
                load_log_file(context, access, sink, bucket, key, item.get("Size"), etag)
                saved = _save_if_moved(recorder, state, progress, saved)
        except (ClientError, BotoCoreError) as exc:
            recorder.error(f"s3://{bucket}/{where}", call_failed(exc, t("ログファイルを一覧できません",
                                                                         "cannot list the log files")))
    sink.close()
    _save(recorder, state, progress)


def load_log_file(context: CollectContext, access: AwsAccess, sink: ObjectSink, bucket: str, key: str,
                  size: int | None, etag: str | None) -> None:
    """Get one log file, transform its records and hand them to the sink with the file's row."""
    outcome = ObjectOutcome(key=key, size=size, etag=etag)
    try:
        body = get_log_file(access, bucket, key)
    except (ClientError, BotoCoreError) as exc:
        outcome.reason = call_failed(exc, t(f"s3://{bucket}/{key} を読めません", f"cannot read s3://{bucket}/{key}"))
        sink.skip_failed(outcome)
        return
    # The hash CloudTrail digests hold is of the uncompressed log content: computed as the file is read (a file
    # held inflated would cost the process its memory budget), kept once the whole file was read.
    hasher = hashlib.sha256()

    def read_to_the_end() -> None:
        outcome.sha256 = hasher.hexdigest()

    sink.store(outcome, transform_for_source(iter_hashed(body, hasher, read_to_the_end), context))
    del body


def _save_if_moved(recorder: RunRecorder, state: dict[str, Any], progress: S3Progress,
                   saved: dict[str, str]) -> dict[str, str]:
    """Save the checkpoint when a region's has moved since it was last saved (so a crash loses little)."""
    if any(saved.get(region) != point for region, point in progress.checkpoints().items()):
        _save(recorder, state, progress)
        return dict(state)
    return saved


def _save(recorder: RunRecorder, state: dict[str, Any], progress: S3Progress) -> None:
    state.update(progress.checkpoints())
    checkpoint = dict(recorder.checkpoint or {})
    checkpoint[CHECKPOINT_KEY] = dict(state)
    recorder.save_checkpoint(checkpoint)
