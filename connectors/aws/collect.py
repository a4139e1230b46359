"""Collect one AWS source: IAM inventory, trail health, then CloudTrail events (S3 bucket or LookupEvents).

Used by ``vendorwatch collect``. Every failure of one API or one object is recorded on the run with where
and why, and the rest is collected; only a source that cannot be reached at all fails the whole run.
"""

from __future__ import annotations

from collections.abc import Mapping

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.cloudtrail_lookup import collect_lookup
from connectors.aws.cloudtrail_s3 import collect_s3
from connectors.aws.iam import IamSnapshot, get_iam, transform_iam
from connectors.aws.session import AwsAccess, open_access
from connectors.aws.trail_health import get_trails, transform_trails
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import SourceError, VendorWatchError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.inventory import InventoryBatch, store_inventory
from vendorwatch.ingest.objects import ObjectSink
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.registry.models import AwsSource

S3_BATCH_SIZE = 5_000


def collect(context: CollectContext, *, environ: Mapping[str, str] | None = None,
            base_session: boto3.Session | None = None,
            digest_public_keys: Mapping[str, bytes] | None = None) -> CollectionRun:
    """Collect the source of ``context``; returns the finished run (status success, partial or failed).

    ``environ`` (where the external id is read), ``base_session`` (the firm's own credentials) and
    ``digest_public_keys`` (instead of ``ListPublicKeys``) are for callers that supply their own.
    """
    source = context.source
    if not isinstance(source, AwsSource):
        raise SourceError(t(f"ソース {source.id} は AWS ではありません", f"source {source.id} is not an AWS source"))
    recorder = RunRecorder(context.engine, source.id, context.clock)
    try:
        # Credential expiry is judged on the wall clock AWS uses, not the run's clock (which tests may fix).
        access = open_access(source, environ, base_session)
        account = collect_inventory(context, access, recorder, source)
        if source.cloudtrail is not None:  # the trail bucket is read next: IAM's models are not needed again
            access.release("iam", "cloudtrail", "sts")
        collect_events(context, access, recorder, source, account, digest_public_keys)
    except VendorWatchError as error:
        return recorder.finish("failed", error_text=error.message)
    except (ClientError, BotoCoreError) as exc:
        detail = f"{type(exc).__name__}: {exc}"[:2000]
        return recorder.finish("failed", error_text=t(f"AWS の呼び出しが失敗しました: {detail}", detail))
    return recorder.finish()


def _fallback_account(context: CollectContext, source: AwsSource) -> str | None:
    if source.cloudtrail and source.cloudtrail.account_id:
        return source.cloudtrail.account_id
    for environment in context.vendor.environments:
        if environment.id == source.environment and environment.aws_accounts:
            return environment.aws_accounts[0]
    return None


def _unreachable(snapshot: IamSnapshot) -> bool:
    """Nothing answered: the account cannot be reached with these credentials."""
    return ("sts:GetCallerIdentity" in snapshot.failed and len(snapshot.failed) >= 3
            and not snapshot.authorization)


def collect_inventory(context: CollectContext, access: AwsAccess, recorder: RunRecorder,
                      source: AwsSource) -> str | None:
    """IAM and trail settings into principals, grants and observed settings; returns the account id."""
    snapshot = get_iam(access)
    for part, reason in snapshot.failed.items():
        recorder.error(part, t(f"読み取れませんでした: {reason}", reason))
    if _unreachable(snapshot):
        raise SourceError(
            t(f"AWS アカウントに接続できません（ソース {source.id}）",
              f"the AWS account cannot be reached (source {source.id})"),
            details=[f"{k}: {v}" for k, v in list(snapshot.failed.items())[:3]],
        )
    inventory = transform_iam(snapshot)
    trails, trail_errors = get_trails(access, source.regions)
    for part, reason in trail_errors.items():
        recorder.error(part, t(f"読み取れませんでした: {reason}", reason))
    setting_kinds = set(inventory.complete_setting_kinds) | ({"aws.trail"} if not trail_errors else set())
    store_inventory(context, recorder, InventoryBatch(
        principals=inventory.principals, grants=inventory.grants,
        settings=inventory.settings + transform_trails(trails),
        complete_principal_kinds=inventory.complete_principal_kinds,
        complete_grant_kinds=inventory.complete_grant_kinds,
        complete_setting_kinds=frozenset(setting_kinds),
    ))
    return snapshot.account_id or _fallback_account(context, source)


def collect_events(context: CollectContext, access: AwsAccess, recorder: RunRecorder, source: AwsSource,
                   account: str | None, digest_public_keys: Mapping[str, bytes] | None = None) -> None:
    """CloudTrail events from the trail bucket when one is configured, else from LookupEvents."""
    # Smaller batches than a file import's: boto3 and its service models share the process (about 40 MB), and
    # the S3 calls, not the writes, set the pace (docs/performance.md, "Ingest memory budget").
    sink = ObjectSink(context, recorder, batch_size=S3_BATCH_SIZE)
    if source.cloudtrail is not None:
        trail_account = source.cloudtrail.account_id or account
        if trail_account is None:
            recorder.error("cloudtrail", t("アカウント ID が不明なため、ログファイルの場所がわかりません",
                                           "account id unknown: cannot find the log files"))
            return
        collect_s3(context, access, sink, bucket=source.cloudtrail.bucket, prefix=source.cloudtrail.prefix,
                   account=trail_account, regions=source.regions)
        if source.cloudtrail.digest:
            from connectors.aws.digest import verify_source

            verify_source(access, context, recorder, bucket=source.cloudtrail.bucket,
                          prefix=source.cloudtrail.prefix, account=trail_account, regions=source.regions,
                          public_keys=digest_public_keys)
    elif source.lookup_events:
        collect_lookup(context, access, sink, source.regions)
