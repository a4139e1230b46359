"""Trail health for control 3.2.3: is logging on, multi-region, validated, and are data events selected for
the buckets that hold customer data. One ``SettingRecord`` of kind ``aws.trail`` per trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.errors import describe_error
from connectors.aws.session import AwsAccess
from vendorwatch.records import SettingRecord

S3_OBJECT = "AWS::S3::Object"


@dataclass
class TrailSnapshot:
    """What the API said about one trail."""

    trail: dict[str, Any]
    status: dict[str, Any] | None = None
    selectors: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)



def get_trails(access: AwsAccess, regions: Iterable[str]) -> tuple[list[TrailSnapshot], dict[str, str]]:
    """Every trail visible from the regions (deduplicated by ARN), with status and event selectors."""
    seen: dict[str, TrailSnapshot] = {}
    errors: dict[str, str] = {}
    for region in regions:
        client = access.client("cloudtrail", region)
        try:
            trails = access.call(partial(client.describe_trails, includeShadowTrails=True))["trailList"]
        except (ClientError, BotoCoreError) as exc:
            errors[f"cloudtrail:DescribeTrails {region}"] = describe_error(exc)
            continue
        for trail in trails:
            arn = trail.get("TrailARN") or trail.get("Name")
            if arn in seen:
                continue
            snapshot = seen[arn] = TrailSnapshot(trail)
            # Status and selectors are answered by the trail's home region.
            home = access.client("cloudtrail", trail.get("HomeRegion") or region)
            try:
                snapshot.status = access.call(partial(home.get_trail_status, Name=arn))
            except (ClientError, BotoCoreError) as exc:
                snapshot.errors["GetTrailStatus"] = describe_error(exc)
            try:
                snapshot.selectors = access.call(partial(home.get_event_selectors, TrailName=arn))
            except (ClientError, BotoCoreError) as exc:
                snapshot.errors["GetEventSelectors"] = describe_error(exc)
    return list(seen.values()), errors


def data_event_buckets(selectors: dict[str, Any] | None) -> tuple[list[str], bool]:
    """(buckets whose object-level events are selected, whether every bucket is) from a trail's selectors."""
    if not selectors:
        return [], False
    buckets: set[str] = set()
    every = False
    for selector in selectors.get("EventSelectors") or []:
        for resource in selector.get("DataResources") or []:
            if resource.get("Type") != S3_OBJECT:
                continue
            for value in resource.get("Values") or []:
                if value in ("arn:aws:s3", "arn:aws:s3:::"):
                    every = True
                elif value.startswith("arn:aws:s3:::"):
                    buckets.add(value[len("arn:aws:s3:::"):].split("/", 1)[0])
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        kind = fields.get("resources.type", {})
        if S3_OBJECT not in (kind.get("Equals") or []):
            continue
        arn_field = fields.get("resources.ARN")
        if arn_field is None:
            every = True
            continue
        for value in (arn_field.get("StartsWith") or []) + (arn_field.get("Equals") or []):
            if value.startswith("arn:aws:s3:::"):
                buckets.add(value[len("arn:aws:s3:::"):].split("/", 1)[0])
    return sorted(b for b in buckets if b), every


def transform_trails(snapshots: Iterable[TrailSnapshot]) -> list[SettingRecord]:
    """One ``aws.trail`` setting per trail."""
    records: list[SettingRecord] = []
    for snapshot in snapshots:
        trail = snapshot.trail
        buckets, every = data_event_buckets(snapshot.selectors)
        status = snapshot.status or {}
        records.append(SettingRecord(kind="aws.trail", subject=trail.get("TrailARN") or trail["Name"], data={
            "name": trail.get("Name"),
            "home_region": trail.get("HomeRegion"),
            "logging": status.get("IsLogging") if snapshot.status is not None else None,
            "multi_region": bool(trail.get("IsMultiRegionTrail")),
            "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
            "organization_trail": bool(trail.get("IsOrganizationTrail")),
            "s3_bucket": trail.get("S3BucketName"),
            "s3_prefix": trail.get("S3KeyPrefix"),
            "data_event_buckets": buckets,
            "all_buckets_data_events": every,
            "latest_delivery_error": status.get("LatestDeliveryError"),
            "errors": snapshot.errors,
        }))
    return records
