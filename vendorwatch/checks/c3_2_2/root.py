"""3.2.2 the AWS root user: never used day to day, no access keys, MFA on."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import event_ids
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, PRINCIPALS
from vendorwatch.i18n import t


@check(
    id="aws.root.used",
    control="3.2.2",
    severity="critical",
    title=t("ルートユーザーの使用", "Root user used"),
    remediation=t(
        "ルートの使用理由を委託先に確認し、日常作業は個人の IAM ユーザー／ロールで行わせてください。",
        "Ask the vendor why root was used; day-to-day work must use personal IAM users or roles.",
    ),
    kind="act",
)
def root_used(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful actions by the root user, per account."""
    # A range of ix_access_events_identity (kind, outcome lead it), index-only; the root ARN names the account.
    rows = ctx.session.execute(
        select(EVENTS.c.principal, EVENTS.c.vendor_id, func.count().label("n"),
               func.min(EVENTS.c.event_time).label("first"), func.max(EVENTS.c.event_time).label("last"))
        .where(EVENTS.c.principal_kind == "root", EVENTS.c.outcome == "success")
        .group_by(EVENTS.c.principal, EVENTS.c.vendor_id)
    )
    for row in rows:
        root = str(row.principal)
        account = root.split(":")[4] if root.count(":") >= 4 else root
        ids = event_ids(ctx.session, EVENTS.c.vendor_id == row.vendor_id, EVENTS.c.principal == row.principal,
                        EVENTS.c.principal_kind == "root", EVENTS.c.outcome == "success")
        first, last = as_utc(row.first), as_utc(row.last)
        yield FindingDraft(
            row.vendor_id, root,
            Evidence(ids, [root],
                     {"event_count": row.n, "first": first.isoformat() if first else None,
                      "last": last.isoformat() if last else None}),
            t(f"アカウント {account} のルートが {row.n} 回使われました",
              f"root of account {account} was used {row.n} time(s)"),
        )


@check(
    id="aws.root.access_keys_or_no_mfa",
    control="3.2.2",
    severity="critical",
    title=t("ルートユーザーにアクセスキーがある、または MFA がない", "Root user holds access keys or has no MFA"),
    remediation=t(
        "ルートのアクセスキーを削除し、ハードウェア MFA を設定してください。",
        "Delete the root user's access keys and enable a hardware MFA device.",
    ),
)
def root_keys_or_no_mfa(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Root principals reported with keys (as child access keys or attributes) or without MFA."""
    roots = ctx.session.execute(
        select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.mfa_enabled, PRINCIPALS.c.attributes)
        .where(PRINCIPALS.c.kind == "root", PRINCIPALS.c.gone_at.is_(None))
    ).all()
    keys = {
        (row.vendor_id, row.parent_external_id): row.ids
        for row in ctx.session.execute(
            select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.parent_external_id,
                   func.count().label("ids"))
            .where(PRINCIPALS.c.kind == "access_key", PRINCIPALS.c.gone_at.is_(None),
                   PRINCIPALS.c.disabled.is_(False), PRINCIPALS.c.parent_external_id.like("%:root"))
            .group_by(PRINCIPALS.c.vendor_id, PRINCIPALS.c.parent_external_id)
        )
    }
    for root in roots:
        attributes = root.attributes or {}
        key_count = keys.get((root.vendor_id, root.external_id), 0)
        key_count += sum(1 for k in ("access_key_1_active", "access_key_2_active") if attributes.get(k) is True)
        if not key_count and attributes.get("has_access_keys") is True:
            key_count = 1  # GetAccountSummary says "some", not how many
        problems = []
        if key_count:
            problems.append("access_keys")
        if root.mfa_enabled is False:
            problems.append("no_mfa")
        if not problems:
            continue
        yield FindingDraft(
            root.vendor_id, root.external_id,
            Evidence(principals=[root.external_id], details={"problems": problems, "access_keys": key_count}),
            t(f"ルート {root.external_id}: " + ("アクセスキー " + str(key_count) + " 本" if key_count else "")
              + (" MFA なし" if root.mfa_enabled is False else ""),
              f"root {root.external_id}: " + (f"{key_count} access key(s)" if key_count else "")
              + (" no MFA" if root.mfa_enabled is False else "")),
        )
