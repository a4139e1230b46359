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

from connectors.aws.cloudtrail_files import FileReadError, decompress, iter_bytes
from connectors.aws.cloudtrail_ingest import EventSink, FileOutcome, ingested_keys
from connectors.aws.errors import describe_error
from connectors.aws.session import AwsAccess
from vendorwatch.ingest.runs import RunRecorder

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


def list_log_keys(access: AwsAccess, bucket: str, prefix: str, start_after: str | None,
                  region: str | None = None) -> Iterator[dict[str, Any]]:
    """Objects under a prefix after ``start_after``, in key order (S3 lists lexicographically)."""
    arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if start_after:
        arguments["StartAfter"] = start_after
    paginator = access.client("s3", region).get_paginator("list_objects_v2")
    for page in paginator.paginate(**arguments):
        yield from page.get("Contents", [])


def collect_s3(access: AwsAccess, sink: EventSink, recorder: RunRecorder, *, bucket: str, prefix: str,
               account: str, regions: list[str]) -> None:
    """Ingest every new log file of every region; keeps the checkpoint per region in the run."""
    state: dict[str, Any] = dict((recorder.checkpoint or {}).get(CHECKPOINT_KEY) or {})
    progress: dict[str, RegionProgress] = {}
    owner: dict[str, str] = {}

    def committed(outcomes: list[FileOutcome]) -> None:
        # Runs in the writer's thread: only marks keys; the checkpoint is saved from this thread below.
        for outcome in outcomes:
            region = owner.get(outcome.key)
            if region is None:
                continue
            (progress[region].done if outcome.status == "ingested" else progress[region].failed).add(outcome.key)

    sink.on_commit = committed
    with sink.engine.connect() as connection:
        known = ingested_keys(connection, sink.source_id)
    saved: dict[str, str] = dict(state)
    for region in regions:
        where = log_prefix(prefix, account, region)
        progress[region] = here = RegionProgress(start_after=state.get(region))
        try:
            for item in list_log_keys(access, bucket, where, here.start_after):
                key = item["Key"]
                if not key.endswith((".json.gz", ".json")):
                    continue
                etag = str(item.get("ETag", "")).strip('"') or None
                here.order.append(key)
                owner[key] = region
                if key in known and known[key] == etag:
                    here.done.add(key)  # ingested by an earlier run: skipped before any parsing
                    recorder.count("skipped_objects")
                    continue
                _ingest_object(access, sink, bucket, key, item.get("Size"), etag)
                saved = _save_if_moved(recorder, state, progress, saved)
        except (ClientError, BotoCoreError) as exc:
            recorder.error(f"s3://{bucket}/{where}", describe_error(exc))
    sink.close()
    _save(recorder, state, progress)


def _ingest_object(access: AwsAccess, sink: EventSink, bucket: str, key: str, size: int | None,
                   etag: str | None) -> None:
    outcome = FileOutcome(key=key, size=size, etag=etag)
    try:
        body: bytes = access.call(lambda: access.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    except (ClientError, BotoCoreError) as exc:
        outcome.reason = f"cannot read s3://{bucket}/{key}: {describe_error(exc)}"
        sink.skip_failed(outcome)
        return
    try:
        content = decompress(body)
    except FileReadError as exc:
        outcome.status, outcome.reason = "failed", str(exc)
        sink.skip_failed(outcome)
        return
    # The hash CloudTrail digests hold is of the uncompressed log content: keep that one for verification.
    outcome.sha256 = hashlib.sha256(content).hexdigest()
    sink.ingest(outcome, iter_bytes(content))


def _save_if_moved(recorder: RunRecorder, state: dict[str, Any], progress: dict[str, RegionProgress],
                   saved: dict[str, str]) -> dict[str, str]:
    """Save the checkpoint when a region's has moved since it was last saved (so a crash loses little)."""
    current = {region: point for region, here in progress.items() if (point := here.checkpoint())}
    if any(saved.get(region) != point for region, point in current.items()):
        _save(recorder, state, progress)
        return dict(state)
    return saved


def _save(recorder: RunRecorder, state: dict[str, Any], progress: dict[str, RegionProgress]) -> None:
    for region, here in progress.items():
        point = here.checkpoint()
        if point:
            state[region] = point
    checkpoint = dict(recorder.checkpoint or {})
    checkpoint[CHECKPOINT_KEY] = dict(state)
    recorder.save_checkpoint(checkpoint)

