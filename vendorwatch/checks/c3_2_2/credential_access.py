"""3.2.2 credentials taken: Windows passwords read from EC2, bursts of secrets read, MFA devices switched off.

These are the credential-access techniques of the public catalogs (Stratus Red Team ``ec2-get-password-data``,
``secretsmanager-retrieve-secrets``, ``ssm-retrieve-securestring-parameters``; Sigma's and Prowler's rules on
the same calls). Failed calls are attempts (``aws.credentials.access_attempt``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select

from vendorwatch.checks.attempts import attempt_drafts
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.outages import Scope, Switch, outage_drafts
from vendorwatch.checks.policies import as_list
from vendorwatch.checks.sql import calls, epoch_seconds, in_or_false
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.i18n import t

SECRET_READS = ("GetSecretValue", "BatchGetSecretValue", "GetParameter", "GetParameters", "GetParametersByPath")
_MULTI = ("BatchGetSecretValue", "GetParameters", "GetParametersByPath")
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")  # Secrets Manager appends six random characters to an ARN


def secret_names(row: Any) -> list[str]:
    """The secrets one call read: Secrets Manager secrets, or SSM parameters read *with decryption*."""
    details = row.details or {}
    if row.action.startswith("GetParameter"):
        if str(details.get("withDecryption", "false")).lower() != "true":
            return []  # a plain parameter read returns no secret in clear
        names = as_list(details.get("name") or details.get("names") or details.get("path"))
        return [f"ssm:{n}{'/*' if row.action == 'GetParametersByPath' else ''}" for n in names]
    ids = as_list(details.get("secretId") or details.get("secretIdList"))
    if not ids and details.get("filters"):
        return ["secretsmanager:(filter)"]
    return [f"secretsmanager:{_SECRET_SUFFIX.sub('', str(i).rsplit(':', 1)[-1]) if str(i).startswith('arn:') else i}"
            for i in ids]


@check(
    id="aws.ec2.password_data_retrieved",
    control="3.2.2",
    severity="high",
    title=t("EC2 インスタンスの Windows パスワードの取得", "EC2 Windows password retrieved (GetPasswordData)"),
    remediation=t(
        "取得した主体と目的を確認し、対象インスタンスの Administrator パスワードを変更してください。"
        "運用で必要なら Systems Manager Fleet Manager 等、パスワードを取り出さない方法に切り替えてください。",
        "Find out who read the password and why, and change the instances' Administrator password; if operations "
        "need it, switch to a way that never hands the password out (Systems Manager Fleet Manager, ...).",
    ),
    kind="act",
)
def password_data_retrieved(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful GetPasswordData, per principal, with the instances whose password it read."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for row in calls(ctx.session, ("GetPasswordData",)):
        grouped.setdefault((row.vendor_id, row.principal or "(unknown)"), []).append(row)
    for (vendor_id, principal), rows in grouped.items():
        instances = sorted({str((r.details or {}).get("instanceId")) for r in rows})
        yield FindingDraft(
            vendor_id, principal,
            Evidence([r.source_event_id for r in rows], [principal],
                     {"instances": instances, "event_count": len(rows), "first": str(as_utc(rows[0].event_time))}),
            t(f"{principal} が {len(instances)} 台のインスタンスの Windows パスワードを取得（{', '.join(instances[:5])}）",
              f"{principal} read the Windows password of {len(instances)} instance(s) ({', '.join(instances[:5])})"),
        )


def _candidates(ctx: EvaluationContext, vendor_ids: list[str], needed: int, window: int) -> list[tuple[str, str, int]]:
    """(vendor, principal, window number) that may hold a burst: counted in SQL, a multi-secret call counting as
    ``needed`` (it may read that many at once), two neighbouring windows together (a burst may straddle them)."""
    bucket = func.floor(epoch_seconds(EVENTS.c.event_time, ctx.dialect) / (window * 60))
    weight = case((EVENTS.c.action.in_(_MULTI), needed), else_=1)
    rows = ctx.session.execute(
        select(EVENTS.c.principal, EVENTS.c.vendor_id, bucket.label("bucket"), func.sum(weight).label("n"))
        .where(EVENTS.c.action.in_(SECRET_READS), EVENTS.c.outcome == "success",
               in_or_false(EVENTS.c.vendor_id, vendor_ids))
        .group_by(EVENTS.c.principal, EVENTS.c.vendor_id, bucket)
    ).all()
    counts = {(r.vendor_id, r.principal, int(r.bucket)): int(r.n) for r in rows}
    return [key for key, n in counts.items()
            if n + counts.get((key[0], key[1], key[2] + 1), 0) >= needed]


@check(
    id="aws.secrets.bulk_read",
    control="3.2.2",
    severity="high",
    title=t("一つの主体によるシークレットの大量取得", "Burst of secrets read by one principal"),
    remediation=t(
        "取得した主体と目的を確認し、不正であれば読み出されたシークレット・パラメータをすべてローテーションしてください。"
        "アプリケーションの正常な読出しであれば閾値（secrets, window_minutes）を委託先ごとに調整してください。",
        "Find out who read them and why; if not legitimate, rotate every secret and parameter read. For an "
        "application's normal reads, tune the vendor's threshold (secrets, window_minutes).",
    ),
    parameters={"secrets": 10, "window_minutes": 60},
    kind="act",
)
def secrets_bulk_read(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """At least ``secrets`` distinct Secrets Manager secrets or SSM parameters read with decryption by one
    principal within ``window_minutes``."""
    for params, vendor_ids in ctx.vendor_groups():
        needed, window = int(params["secrets"]), int(params["window_minutes"])  # type: ignore[arg-type]
        candidates = _candidates(ctx, vendor_ids, needed, window)
        principals = {c[1] for c in candidates}
        if not principals:
            continue
        rows = ctx.session.execute(
            select(EVENTS.c.vendor_id, EVENTS.c.principal, EVENTS.c.action, EVENTS.c.event_time, EVENTS.c.details,
                   EVENTS.c.source_event_id)
            .where(EVENTS.c.action.in_(SECRET_READS), EVENTS.c.outcome == "success",
                   in_or_false(EVENTS.c.vendor_id, vendor_ids), in_or_false(EVENTS.c.principal, principals))
            .order_by(EVENTS.c.event_time, EVENTS.c.id)
        ).all()
        by_principal: dict[tuple[str, str], list[Any]] = {}
        for row in rows:
            if secret_names(row):
                by_principal.setdefault((row.vendor_id, row.principal), []).append(row)
        for (vendor_id, principal), reads in by_principal.items():
            for burst in _bursts(reads, needed, timedelta(minutes=window)):
                names = sorted({n for r in burst for n in secret_names(r)})
                start, end = as_utc(burst[0].event_time), as_utc(burst[-1].event_time)
                yield FindingDraft(
                    vendor_id, f"{principal or '(unknown)'}@{burst[0].source_event_id}",
                    Evidence([r.source_event_id for r in burst], [principal] if principal else [],
                             {"secrets": len(names), "names": names[:50], "threshold": needed,
                              "window_minutes": window, "reads": len(burst), "first": str(start), "last": str(end)}),
                    t(f"{principal} が {window} 分以内に {len(names)} 件のシークレット・パラメータを取得（閾値 {needed}）",
                      f"{principal} read {len(names)} secrets or decrypted parameters within {window} min "
                      f"(threshold {needed})"),
                )


def _bursts(reads: list[Any], needed: int, window: timedelta) -> Iterator[list[Any]]:
    """Each burst: the first sliding window in which ``needed`` distinct secrets were read, extended to every
    read within ``window`` of its start; the next burst is looked for after it."""
    times = [as_utc(r.event_time) for r in reads]
    start = end = 0
    while end < len(reads):
        while times[end] - times[start] > window:
            start += 1
        names = {n for r in reads[start:end + 1] for n in secret_names(r)}
        if len(names) < needed:
            end += 1
            continue
        last = times[start] + window
        stop = end
        while stop + 1 < len(reads) and times[stop + 1] <= last:
            stop += 1
        yield reads[start:stop + 1]
        start = end = stop + 1


def _mfa_user(row: Any) -> str:
    details = row.details or {}
    serial = str(details.get("serialNumber") or "")
    return str(details.get("userName") or serial.rsplit("/", 1)[-1] or "(unknown)")


def _mfa_off(row: Any, _scope: Scope) -> str | None:
    return f"MFA of {_mfa_user(row)}"


MFA = Switch(("MFA デバイス", "the MFA device of"),
             off={"DeactivateMFADevice": _mfa_off, "DeleteVirtualMFADevice": _mfa_off},
             on={"EnableMFADevice": lambda _row, _scope: True},
             key=lambda row: f"{row.account_id}/{_mfa_user(row)}")


@check(
    id="aws.iam.mfa_deactivated",
    control="3.2.2",
    severity="high",
    title=t("MFA デバイスの無効化・削除", "MFA device deactivated or deleted"),
    remediation=t(
        "利用者本人の操作か確認し、直ちに MFA を再登録させてください。無効化中のサインインを確認してください。",
        "Check with the user that they did it and have them enrol an MFA device at once; review the sign-ins "
        "made without it.",
    ),
    parameters={"grace_minutes": 60},
    kind="act",
)
def mfa_deactivated(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """DeactivateMFADevice / DeleteVirtualMFADevice not followed within ``grace_minutes`` by EnableMFADevice for
    the same user (a device replaced is not a finding)."""
    yield from outage_drafts(ctx, MFA)


def _attempted(row: Any) -> str | None:
    if row.action in SECRET_READS and not secret_names(row):
        return None  # a plain parameter read that failed is no attempt on a secret
    return row.action


@check(
    id="aws.credentials.access_attempt",
    control="3.2.2",
    severity="medium",
    title=t("認証情報の取得・MFA 無効化の試行（失敗）", "Attempts to read credentials or switch MFA off (failed)"),
    remediation=t(
        "失敗した試行であり認証情報は渡っていませんが、誰がなぜ試みたかを委託先に確認してください。",
        "The attempts failed and no credential was handed out, but ask the vendor who tried and why.",
    ),
    parameters={"attempts": 3},
    kind="attempt",
)
def credentials_access_attempt(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """At least ``attempts`` failed GetPasswordData, secret reads (with decryption) or MFA deactivations by one
    principal, per call."""
    yield from attempt_drafts(ctx, ("GetPasswordData", *SECRET_READS, "DeactivateMFADevice", "DeleteVirtualMFADevice"),
                              _attempted, threshold="attempts")
