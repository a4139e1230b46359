"""Derive the ``transfers`` table (control 3.2.4) from access events, and link each to its approval.

A transfer is data leaving one environment for another or for another account: an S3 copy, a bucket
replication set up, a snapshot / image / DB snapshot shared. Only acts count (a failed share moved
nothing). Approval links are recomputed on every evaluation, so an approval registered after the fact
is picked up, and one withdrawn from the registry no longer covers anything.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select, update
from sqlmodel import Session

from vendorwatch.checks.knowledge import Knowledge
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, TRANSFERS
from vendorwatch.registry.models import Registry, TransferApproval

TRANSFER_ACTIONS: dict[str, str] = {
    "CopyObject": "s3_copy",
    "UploadPartCopy": "s3_copy",
    "PutBucketReplication": "s3_replication",
    "ModifySnapshotAttribute": "snapshot_share",
    "ModifyImageAttribute": "image_share",
    "ModifyDBSnapshotAttribute": "db_snapshot_share",
    "ModifyDBClusterSnapshotAttribute": "db_snapshot_share",
}
SHARE_KINDS = ("snapshot_share", "image_share", "db_snapshot_share")


@dataclass
class DerivedTransfer:
    """A transfer as read from one event."""

    access_event_id: int
    vendor_id: str
    kind: str
    occurred_at: datetime
    from_environment_id: str | None
    to_environment_id: str | None
    from_account: str | None
    to_account: str | None
    resource: str | None


def _copy_source(details: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(bucket, key) of ``x-amz-copy-source`` (``/bucket/key`` or ``bucket/key?versionId=...``, URL-encoded)."""
    source = (details or {}).get("copy_source")
    if not source:
        return None, None
    text = unquote(str(source)).lstrip("/").split("?", 1)[0]
    bucket, _, key = text.partition("/")
    return bucket or None, key or None


def _share_arn(kind: str, region: str | None, account: str | None, resource: str | None) -> str | None:
    if not resource:
        return None
    if resource.startswith("arn:"):
        return resource
    if kind == "snapshot_share":
        return f"arn:aws:ec2:{region or ''}:{account or ''}:snapshot/{resource}"
    if kind == "image_share":
        return f"arn:aws:ec2:{region or ''}::image/{resource}"
    return f"arn:aws:rds:{region or ''}:{account or ''}:snapshot:{resource}"


def derive(row: Any, knowledge: Knowledge, bucket_environment: dict[str, str]) -> DerivedTransfer | None:
    """The transfer one event records, or None when it moves nothing between environments or accounts."""
    kind = TRANSFER_ACTIONS[row.action]
    occurred = as_utc(row.event_time)
    assert occurred is not None
    account = row.account_id
    home = row.environment_id or knowledge.account_environment.get(account or "")
    if kind == "s3_copy":
        source_bucket, source_key = _copy_source(row.details)
        if source_bucket is None:
            return None
        from_env = bucket_environment.get(source_bucket) or home
        to_env = bucket_environment.get(row.bucket or "") or home
        resource = f"arn:aws:s3:::{source_bucket}/{source_key or ''}"
        if from_env == to_env and from_env is not None:
            return None  # a copy inside one environment is not a transfer between environments
        return DerivedTransfer(row.id, row.vendor_id, kind, occurred, from_env, to_env, account, account, resource)
    if kind == "s3_replication":
        from_env = bucket_environment.get(row.bucket or "") or home
        # The destination is in the replication configuration, which the event summary does not keep:
        # the transfer is recorded with an unknown destination, and only an approval can cover it.
        return DerivedTransfer(row.id, row.vendor_id, kind, occurred, from_env, None, account, None,
                               f"arn:aws:s3:::{row.bucket}" if row.bucket else row.resource)
    target = row.target_account
    if not target:
        added = (row.details or {}).get("added_accounts") or []
        target = str(added[0]) if added else None
    if not target:
        return None  # a share that only removed accounts, or a no-op
    to_env = knowledge.account_environment.get(target)
    if to_env == home and home is not None:
        return None
    return DerivedTransfer(row.id, row.vendor_id, kind, occurred, home, to_env, account, target,
                           _share_arn(kind, row.region, account, row.resource))


def covering_approval(transfer: DerivedTransfer | Any, approvals: list[TransferApproval]) -> str | None:
    """The id of the first approval that covers a transfer: vendor, from/to environment, resource, window."""
    occurred = as_utc(transfer.occurred_at)
    for approval in approvals:
        if approval.vendor != transfer.vendor_id:
            continue
        if approval.from_ != transfer.from_environment_id or approval.to != transfer.to_environment_id:
            continue
        if not (approval.window.start <= occurred <= approval.window.end):
            continue
        if transfer.resource and any(fnmatch.fnmatchcase(transfer.resource, p) for p in approval.resources):
            return approval.id
    return None


def derive_transfers(session: Session, registry: Registry) -> int:
    """Add transfers for events not derived yet and refresh every approval link; returns how many were added."""
    knowledge = Knowledge(registry)
    bucket_environment = {b.name: e.id for v in registry.vendors for e in v.environments for b in e.buckets}
    known = {e.id for v in registry.vendors for e in v.environments}
    done = select(TRANSFERS.c.access_event_id)
    rows = session.execute(
        select(EVENTS.c.id, EVENTS.c.vendor_id, EVENTS.c.action, EVENTS.c.event_time, EVENTS.c.environment_id,
               EVENTS.c.account_id, EVENTS.c.region, EVENTS.c.bucket, EVENTS.c.resource, EVENTS.c.target_account,
               EVENTS.c.details)
        .where(EVENTS.c.action.in_(list(TRANSFER_ACTIONS)), EVENTS.c.outcome == "success", EVENTS.c.id.not_in(done))
    ).all()
    added = 0
    for row in rows:
        derived = derive(row, knowledge, bucket_environment)
        if derived is None:
            continue
        values = derived.__dict__ | {"approval_id": covering_approval(derived, registry.transfers)}
        # Environments retired from the registry stay referenced by old events; keep the FK valid.
        for column in ("from_environment_id", "to_environment_id"):
            if values[column] is not None and values[column] not in known:
                values[column] = None
        session.execute(TRANSFERS.insert().values(**values))
        added += 1
    for transfer in session.execute(select(TRANSFERS)).all():
        approval = covering_approval(transfer, registry.transfers)
        if approval != transfer.approval_id:
            session.execute(update(TRANSFERS).where(TRANSFERS.c.id == transfer.id).values(approval_id=approval))
    session.flush()
    return added
