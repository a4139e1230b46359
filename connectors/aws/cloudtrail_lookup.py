"""Read management events with ``LookupEvents`` when no trail bucket can be read.

LookupEvents keeps 90 days of management events per region and serves them late (up to ~15 minutes), so
each run reads from the previous run's end minus an overlap; the events read twice are duplicates the
unique event id drops. The checkpoint (per region, the end of the window) moves only once the whole
window was read and committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.cloudtrail_files import RecordProblem
from connectors.aws.cloudtrail_parse import transform_for_source
from connectors.aws.errors import call_failed
from connectors.aws.session import AwsAccess
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.objects import FAILED, INGESTED, ObjectOutcome, ObjectSink

CHECKPOINT_KEY = "lookup"
OVERLAP = timedelta(minutes=20)
FIRST_WINDOW = timedelta(days=7)


def get_lookup_records(access: AwsAccess, region: str, start: datetime,
                       end: datetime) -> Iterator[dict[str, Any] | RecordProblem]:
    """The CloudTrail records of a region between two times, read page by page with the paginator."""
    paginator = access.client("cloudtrail", region).get_paginator("lookup_events")
    position = 0
    for page in paginator.paginate(StartTime=start, EndTime=end):
        for event in page.get("Events", []):
            raw = event.get("CloudTrailEvent")
            try:
                record = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                record = None
            if isinstance(record, dict):
                yield record
            else:
                yield RecordProblem(position, f"event {event.get('EventId')}: CloudTrailEvent is not a JSON object")
            position += 1


def collect_lookup(context: CollectContext, access: AwsAccess, sink: ObjectSink, regions: list[str]) -> None:
    """Read each region's window since its checkpoint; move a region's checkpoint only after a full read."""
    recorder = sink.recorder
    state: dict[str, str] = dict((recorder.checkpoint or {}).get(CHECKPOINT_KEY) or {})
    end = context.clock.now()
    finished: dict[str, str] = {}
    for region in regions:
        previous = state.get(region)
        start = (datetime.fromisoformat(previous) - OVERLAP) if previous else end - FIRST_WINDOW
        outcome = ObjectOutcome(key=f"lookup:{region}:{start.isoformat()}/{end.isoformat()}")
        records = get_lookup_records(access, region, start, end)
        try:
            sink.store(outcome, transform_for_source(records, context))
        except (ClientError, BotoCoreError) as exc:
            outcome.status = FAILED
            outcome.reason = call_failed(exc, t("LookupEvents が失敗しました", "LookupEvents failed"))
            recorder.error(f"cloudtrail:LookupEvents {region}", outcome.reason)
            continue
        if outcome.status == INGESTED:
            finished[region] = end.isoformat()
    sink.close()  # commits the events; only then does the window count as read
    state.update(finished)
    checkpoint = dict(recorder.checkpoint or {})
    checkpoint[CHECKPOINT_KEY] = state
    recorder.save_checkpoint(checkpoint)
