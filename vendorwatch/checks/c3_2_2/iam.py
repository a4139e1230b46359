"""3.2.2 credentials of vendor principals: MFA, key age, unused credentials (inventory from the sources)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import DN_KINDS, in_or_false
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, PRINCIPALS
from vendorwatch.dn import canonical_dn, looks_like_dn
from vendorwatch.i18n import t

_ACTIVE = and_(PRINCIPALS.c.gone_at.is_(None), PRINCIPALS.c.disabled.is_(False))


@check(
    id="aws.iam.console_user_without_mfa",
    control="3.2.2",
    severity="high",
    title=t("MFA 未設定のコンソール利用者", "Console user without MFA"),
    remediation=t(
        "当該 IAM ユーザーに MFA デバイスを設定させるか、コンソールパスワード（ログインプロファイル）を削除してください。",
        "Have the IAM user enable an MFA device, or delete the console password (login profile).",
    ),
)
def console_user_without_mfa(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """IAM users with a console password and no MFA device."""
    rows = ctx.session.execute(
        select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.name).where(
            _ACTIVE, PRINCIPALS.c.kind == "iam_user", PRINCIPALS.c.console_access.is_(True),
            PRINCIPALS.c.mfa_enabled.is_(False),
        )
    )
    for row in rows:
        yield FindingDraft(row.vendor_id, row.external_id, Evidence(principals=[row.external_id]),
                           t(f"{row.name} はパスワードのみでコンソールに入れます",
                             f"{row.name} can sign in to the console with a password alone"))


@check(
    id="aws.iam.access_key_too_old",
    control="3.2.2",
    severity="medium",
    title=t("ローテーションされていない古いアクセスキー", "Access key older than allowed"),
    remediation=t(
        "新しいアクセスキーを発行して利用側を切り替え、古いキーを無効化・削除してください。",
        "Create a new access key, switch its users over, then deactivate and delete the old key.",
    ),
    parameters={"max_age_days": 90},
)
def access_key_too_old(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Active access keys created more than ``max_age_days`` ago."""
    for params, vendor_ids in ctx.vendor_groups():
        max_age = int(params["max_age_days"])  # type: ignore[arg-type]
        cutoff = ctx.now - timedelta(days=max_age)
        rows = ctx.session.execute(
            select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.parent_external_id,
                   PRINCIPALS.c.created_at).where(
                _ACTIVE, PRINCIPALS.c.kind == "access_key", PRINCIPALS.c.created_at < cutoff,
                in_or_false(PRINCIPALS.c.vendor_id, vendor_ids),
            )
        )
        for row in rows:
            created = as_utc(row.created_at)
            assert created is not None
            age = (ctx.now - created).days
            owner = row.parent_external_id or row.external_id
            yield FindingDraft(
                row.vendor_id, row.external_id,
                Evidence(principals=[row.external_id, owner],
                         details={"created_at": created.isoformat(), "age_days": age, "max_age_days": max_age}),
                t(f"アクセスキー {row.external_id}（{owner}）は作成から {age} 日（上限 {max_age} 日）",
                  f"access key {row.external_id} ({owner}) is {age} days old (limit {max_age})"),
            )


def last_dn_event(ctx: EvaluationContext) -> dict[str, datetime]:
    """The newest event of each directory account, by canonical DN (read once per evaluation: directory events
    grouped by their spelling, on SQLite a range of the identity index)."""
    if "last_dn_event" not in ctx.shared:
        latest: dict[str, datetime] = {}
        for principal, when in ctx.session.execute(
            select(EVENTS.c.principal, func.max(EVENTS.c.event_time))
            .where(EVENTS.c.principal_kind.in_(DN_KINDS)).group_by(EVENTS.c.principal)
        ):
            moment = as_utc(when)
            if principal and moment is not None:
                key = canonical_dn(principal)
                latest[key] = max(latest.get(key, moment), moment)
        ctx.shared["last_dn_event"] = latest
    return ctx.shared["last_dn_event"]


@check(
    id="identity.credential_unused",
    control="3.2.2",
    severity="low",
    title=t("長期間使われていないアカウント・アクセスキー", "Account or access key unused for a long time"),
    remediation=t(
        "不要であれば無効化・削除し、必要なら利用者と用途を台帳に登録してください。",
        "Disable and delete it if it is not needed; otherwise register its user and purpose in the registry.",
    ),
    parameters={"max_idle_days": 90},
)
def credential_unused(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Users, keys and directory accounts not used (by inventory or by any event) for ``max_idle_days``."""
    last_event = (
        select(func.max(EVENTS.c.event_time))
        .where(EVENTS.c.principal == PRINCIPALS.c.external_id)
        .correlate(PRINCIPALS)
        .scalar_subquery()
    )
    for params, vendor_ids in ctx.vendor_groups():
        days = int(params["max_idle_days"])  # type: ignore[arg-type]
        cutoff = ctx.now - timedelta(days=days)
        last_used = func.coalesce(PRINCIPALS.c.last_used_at, PRINCIPALS.c.created_at)
        rows = ctx.session.execute(
            select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.kind,
                   PRINCIPALS.c.last_used_at, PRINCIPALS.c.created_at, last_event.label("last_event")).where(
                _ACTIVE,
                PRINCIPALS.c.kind.in_(["iam_user", "access_key", "ldap_account", "ad_account"]),
                or_(last_used < cutoff, and_(PRINCIPALS.c.last_used_at.is_(None), PRINCIPALS.c.created_at.is_(None))),
                in_or_false(PRINCIPALS.c.vendor_id, vendor_ids),
            )
        )
        for row in rows:
            # A directory account's events may spell its DN otherwise than the inventory (slapd's log
            # lower-cases it): its newest event under any spelling counts.
            dn_event = last_dn_event(ctx).get(canonical_dn(row.external_id)) \
                if row.kind in DN_KINDS and looks_like_dn(row.external_id) else None
            seen = [d for d in (as_utc(row.last_used_at), as_utc(row.last_event), dn_event) if d is not None]
            latest = max(seen) if seen else None
            if latest is not None and latest >= cutoff:
                continue
            if latest is None and row.created_at is None:
                continue  # nothing says when it was made or used: unknown, not unused
            yield FindingDraft(
                row.vendor_id, row.external_id,
                Evidence(principals=[row.external_id],
                         details={"kind": row.kind, "last_used": latest.isoformat() if latest else None,
                                  "max_idle_days": days}),
                t(f"{row.external_id} は {days} 日以上使われていません",
                  f"{row.external_id} has not been used for {days} days or more"),
            )
