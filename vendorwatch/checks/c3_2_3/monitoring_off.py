"""3.2.3 the monitoring beyond CloudTrail switched off: flow logs, GuardDuty, Config, CloudWatch Logs, S3 access
logs, the trail bucket's lifecycle, Security Hub, the organization. Each says how long it stayed off.

Only successful calls are acts (``vendorwatch.checks.outages``); the failed ones are reported by
``aws.monitoring.disable_attempt``. "Off" and "on" are matched per account and region for the services that
exist once there (GuardDuty, Config, Security Hub, flow logs: a deleted flow log is restored by any new one
in the same account and region), per log group and per bucket otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from vendorwatch.checks.attempts import attempt_drafts
from vendorwatch.checks.model import EvaluationContext, FindingDraft, check
from vendorwatch.checks.outages import Scope, Switch, in_account_region, outage_drafts
from vendorwatch.checks.policies import as_list
from vendorwatch.db.core_tables import EVENTS, SETTINGS
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import AwsSource


def _always(label: str) -> Any:
    return lambda _row, _scope: label


def _restores(_row: Any, _scope: Scope) -> bool:
    return True


def _flow_log_ids(row: Any, _scope: Scope) -> str | None:
    request = (row.details or {}).get("DeleteFlowLogsRequest") or {}
    ids = [str(i.get("content")) if isinstance(i, dict) else str(i) for i in as_list(request.get("FlowLogId"))]
    return ", ".join(ids) or "(flow logs)"


FLOW_LOGS = Switch(("VPC フローログ", "VPC flow logs"), off={"DeleteFlowLogs": _flow_log_ids},
                   on={"CreateFlowLogs": _restores})


def _detector(row: Any, _scope: Scope) -> str | None:
    details = row.details or {}
    detector = str(details.get("detectorId") or "(detector)")
    if row.action == "UpdateDetector":
        return detector if str(details.get("enable", "true")).lower() == "false" else None
    if row.action == "DeleteDetector":
        return detector
    members = ", ".join(str(a) for a in as_list(details.get("accountIds")))
    return f"{detector} members {members}"


def _detector_on(row: Any, _scope: Scope) -> bool:
    return str((row.details or {}).get("enable", "true")).lower() != "false"


def _guardduty_key(row: Any) -> str:
    members = "members" if row.action in ("DeleteMembers", "DisassociateMembers", "StopMonitoringMembers",
                                          "CreateMembers", "StartMonitoringMembers") else "detector"
    return f"{in_account_region(row)}/{members}"


GUARDDUTY = Switch(("GuardDuty", "GuardDuty"),
                   off={"DeleteDetector": _detector, "UpdateDetector": _detector, "DeleteMembers": _detector,
                        "DisassociateMembers": _detector, "StopMonitoringMembers": _detector},
                   on={"CreateDetector": _detector_on, "UpdateDetector": _detector_on, "CreateMembers": _restores,
                       "StartMonitoringMembers": _restores},
                   key=_guardduty_key)


def _recorder(row: Any, _scope: Scope) -> str | None:
    details = row.details or {}
    if row.action == "DeleteDeliveryChannel":
        return f"delivery channel {details.get('deliveryChannelName') or 'default'}"
    return f"recorder {details.get('configurationRecorderName') or 'default'}"


def _config_key(row: Any) -> str:
    part = "channel" if "DeliveryChannel" in row.action else "recorder"
    return f"{in_account_region(row)}/{part}"


CONFIG = Switch(("AWS Config", "AWS Config"),
                off={"StopConfigurationRecorder": _recorder, "DeleteConfigurationRecorder": _recorder,
                     "DeleteDeliveryChannel": _recorder},
                on={"StartConfigurationRecorder": _restores, "PutDeliveryChannel": _restores}, key=_config_key)


def _min_retention(row: Any, scope: Scope) -> int:
    return int(scope.params(row.vendor_id)["min_retention_days"])  # type: ignore[arg-type]


def _log_group_off(row: Any, scope: Scope) -> str | None:
    details = row.details or {}
    group = str(details.get("logGroupName") or "(log group)")
    if row.action == "DeleteLogGroup":
        return group
    days = details.get("retentionInDays")
    if days is not None and int(days) < _min_retention(row, scope):
        return f"{group} (retention {int(days)} days)"
    return None


def _log_group_on(row: Any, scope: Scope) -> bool:
    if row.action == "PutRetentionPolicy":
        days = (row.details or {}).get("retentionInDays")
        return days is not None and int(days) >= _min_retention(row, scope)
    return True  # CreateLogGroup (no expiry), DeleteRetentionPolicy (kept for ever)


def _log_group_key(row: Any) -> str:
    return f"{row.account_id}/{row.region}/{(row.details or {}).get('logGroupName')}"


LOG_GROUPS = Switch(("CloudWatch ロググループ", "CloudWatch log group"),
                    off={"DeleteLogGroup": _log_group_off, "PutRetentionPolicy": _log_group_off},
                    on={"CreateLogGroup": _log_group_on, "PutRetentionPolicy": _log_group_on,
                        "DeleteRetentionPolicy": _log_group_on},
                    key=_log_group_key)


def _logging_enabled(row: Any) -> bool:
    status = (row.details or {}).get("BucketLoggingStatus") or {}
    return isinstance(status, dict) and bool(status.get("LoggingEnabled"))


def _access_logging_off(row: Any, _scope: Scope) -> str | None:
    return str(row.bucket) if row.customer_data and not _logging_enabled(row) else None


def _bucket(row: Any) -> str:
    return str(row.bucket)


ACCESS_LOGGING = Switch(("S3 サーバーアクセスログ", "S3 server access logging of"),
                        off={"PutBucketLogging": _access_logging_off},
                        on={"PutBucketLogging": lambda row, _scope: _logging_enabled(row)}, key=_bucket)


def _trail_buckets(ctx: EvaluationContext) -> set[str]:
    """Buckets trails deliver to: the registry's sources, the trail inventory, and CreateTrail / UpdateTrail."""
    buckets = {s.cloudtrail.bucket for v in ctx.vendors for s in v.sources
               if isinstance(s, AwsSource) and s.cloudtrail is not None}
    for (data,) in ctx.session.execute(select(SETTINGS.c.data).where(SETTINGS.c.kind == "aws.trail")):
        if (data or {}).get("s3_bucket"):
            buckets.add(str(data["s3_bucket"]))
    for (details,) in ctx.session.execute(
            select(EVENTS.c.details).where(EVENTS.c.action.in_(("CreateTrail", "UpdateTrail")),
                                           EVENTS.c.outcome == "success")):
        if (details or {}).get("s3_bucket"):
            buckets.add(str(details["s3_bucket"]))
    return buckets


def _short_expirations(row: Any, scope: Scope) -> list[str]:
    limit = int(scope.params(row.vendor_id)["min_expiration_days"])  # type: ignore[arg-type]
    configuration = (row.details or {}).get("LifecycleConfiguration") or {}
    short: list[str] = []
    for rule in as_list(configuration.get("Rule") if isinstance(configuration, dict) else None):
        if not isinstance(rule, dict) or str(rule.get("Status", "")).lower() != "enabled":
            continue
        expiration = rule.get("Expiration") or {}
        days = expiration.get("Days") if isinstance(expiration, dict) else None
        if days is not None and int(days) < limit:
            short.append(f"{rule.get('ID') or 'rule'}: {int(days)} days")
    return short


def _expiring(row: Any, scope: Scope) -> str | None:
    if row.bucket not in scope.facts:
        return None
    short = _short_expirations(row, scope)
    return f"{row.bucket} ({'; '.join(short)})" if short else None


TRAIL_BUCKET_LIFECYCLE = Switch(("証跡バケットのライフサイクル", "trail bucket lifecycle of"),
                                off={"PutBucketLifecycle": _expiring},
                                on={"PutBucketLifecycle": lambda row, scope: not _short_expirations(row, scope),
                                    "DeleteBucketLifecycle": _restores},
                                key=_bucket, prepare=_trail_buckets)

SECURITY_HUB = Switch(("Security Hub", "Security Hub"), off={"DisableSecurityHub": _always("Security Hub")},
                      on={"EnableSecurityHub": _restores})


def _left(row: Any, _scope: Scope) -> str | None:
    if row.action == "LeaveOrganization":
        return f"account {row.account_id}"
    return f"account {(row.details or {}).get('accountId')}"


def _organization_key(row: Any) -> str:
    if row.action == "RemoveAccountFromOrganization":
        return str((row.details or {}).get("accountId"))
    return str(row.account_id)  # LeaveOrganization and AcceptHandshake are called by the member account


ORGANIZATION = Switch(("組織（AWS Organizations）からの離脱", "the organization membership of"),
                      off={"LeaveOrganization": _left, "RemoveAccountFromOrganization": _left},
                      on={"AcceptHandshake": _restores}, key=_organization_key)

_STOPPED = t("直ちに再開し、停止した主体と理由を確認してください。停止中の活動は記録・検知されていません。",
             "Switch it back on at once and find out who switched it off and why; activity meanwhile was neither "
             "recorded nor detected.")


def _remediation(what_ja: str, what_en: str) -> Text:
    return t(f"{what_ja}{_STOPPED.ja}", f"{what_en}{_STOPPED.en}")


@check(id="aws.vpc.flow_logs_deleted", control="3.2.3", severity="high", kind="act",
       title=t("VPC フローログの削除", "VPC flow logs deleted"),
       remediation=_remediation("フローログを再作成してください（CreateFlowLogs）。",
                                "Recreate the flow logs (CreateFlowLogs). "))
def flow_logs_deleted(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful DeleteFlowLogs; restored by the next CreateFlowLogs in the same account and region."""
    yield from outage_drafts(ctx, FLOW_LOGS)


@check(id="aws.guardduty.disabled", control="3.2.3", severity="high", kind="act",
       title=t("GuardDuty の削除・停止・メンバー解除", "GuardDuty detector deleted, disabled or members removed"),
       remediation=_remediation("GuardDuty の検出器とメンバーを元に戻してください。",
                                "Restore the GuardDuty detector and its members. "))
def guardduty_disabled(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """DeleteDetector, UpdateDetector(enable=false), DeleteMembers / DisassociateMembers / StopMonitoringMembers."""
    yield from outage_drafts(ctx, GUARDDUTY)


@check(id="aws.config.recording_stopped", control="3.2.3", severity="high", kind="act",
       title=t("AWS Config の記録停止・配信チャネル削除", "AWS Config recorder stopped or delivery channel deleted"),
       remediation=_remediation("設定レコーダーを再開し配信チャネルを再作成してください。",
                                "Start the configuration recorder and recreate the delivery channel. "))
def config_recording_stopped(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """StopConfigurationRecorder, DeleteConfigurationRecorder, DeleteDeliveryChannel."""
    yield from outage_drafts(ctx, CONFIG)


@check(id="aws.logs.log_group_deleted_or_shortened", control="3.2.3", severity="medium", kind="act",
       title=t("CloudWatch ロググループの削除・保持期間の短縮", "CloudWatch log group deleted or its retention shortened"),
       remediation=_remediation("ロググループを再作成し、保持期間を規定（min_retention_days）以上に戻してください。",
                                "Recreate the log group and set its retention back to at least min_retention_days. "),
       parameters={"min_retention_days": 365})
def log_group_deleted_or_shortened(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """DeleteLogGroup, and PutRetentionPolicy below ``min_retention_days``."""
    yield from outage_drafts(ctx, LOG_GROUPS)


@check(id="aws.s3.access_logging_removed", control="3.2.3", severity="high", kind="act",
       title=t("顧客データバケットのサーバーアクセスログの無効化",
               "S3 server access logging removed from a customer-data bucket"),
       remediation=_remediation("バケットのサーバーアクセスログを再設定してください（PutBucketLogging）。",
                                "Turn the bucket's server access logging back on (PutBucketLogging). "))
def access_logging_removed(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """PutBucketLogging without ``LoggingEnabled`` on a customer-data bucket."""
    yield from outage_drafts(ctx, ACCESS_LOGGING)


@check(id="aws.s3.trail_bucket_expiring", control="3.2.3", severity="high", kind="act",
       title=t("証跡バケットのオブジェクトを短期間で削除するライフサイクル規則",
               "Lifecycle rule expiring the trail bucket's objects within days"),
       remediation=_remediation("ライフサイクル規則を削除するか、保存期間を規定（min_expiration_days）以上にしてください。",
                                "Delete the lifecycle rule or make it keep objects at least min_expiration_days. "),
       parameters={"min_expiration_days": 365})
def trail_bucket_expiring(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """PutBucketLifecycle on a bucket a trail delivers to, with an enabled rule expiring objects too soon."""
    yield from outage_drafts(ctx, TRAIL_BUCKET_LIFECYCLE)


@check(id="aws.securityhub.disabled", control="3.2.3", severity="high", kind="act",
       title=t("Security Hub の無効化", "Security Hub disabled"),
       remediation=_remediation("Security Hub を有効に戻してください（EnableSecurityHub）。",
                                "Enable Security Hub again (EnableSecurityHub). "))
def securityhub_disabled(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful DisableSecurityHub."""
    yield from outage_drafts(ctx, SECURITY_HUB)


@check(id="aws.organizations.account_left", control="3.2.3", severity="critical", kind="act",
       title=t("アカウントの組織（AWS Organizations）からの離脱", "Account left the organization"),
       remediation=_remediation("アカウントを組織に戻してください。組織の SCP・証跡・委任管理は離脱中に及びません。",
                                "Bring the account back into the organization; its SCPs, organization trail and "
                                "delegated security services did not apply meanwhile. "))
def account_left_organization(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """LeaveOrganization, RemoveAccountFromOrganization; back when the account accepts a handshake."""
    yield from outage_drafts(ctx, ORGANIZATION)


SWITCHES = (FLOW_LOGS, GUARDDUTY, CONFIG, LOG_GROUPS, ACCESS_LOGGING, TRAIL_BUCKET_LIFECYCLE, SECURITY_HUB,
            ORGANIZATION)
_OFF_ACTIONS = tuple(dict.fromkeys(a for s in SWITCHES for a in s.off))


@check(id="aws.monitoring.disable_attempt", control="3.2.3", severity="medium", kind="attempt",
       title=t("監視（フローログ・GuardDuty・Config 等）停止の試行（失敗）",
               "Attempt to switch off monitoring (flow logs, GuardDuty, Config, ...) (failed)"),
       remediation=t("失敗した試行であり監視は止まっていませんが、誰がなぜ試みたかを委託先に確認してください。",
                     "The attempt failed and monitoring kept running, but ask the vendor who tried and why."))
def monitoring_disable_attempt(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Failed calls that would have switched one of the monitoring services above off (what they named)."""
    scopes = {id(s): Scope(ctx, s.prepare(ctx) if s.prepare else None) for s in SWITCHES}

    def target(row: Any) -> str | None:
        for switch in SWITCHES:
            label_of = switch.off.get(row.action)
            label = label_of(row, scopes[id(switch)]) if label_of else None
            if label is not None:
                return f"{switch.what[1]} {label}"
        return None

    yield from attempt_drafts(ctx, _OFF_ACTIONS, target)
