"""3.2.2 sign-ins: console sign-in without MFA, bursts of failed sign-ins or binds against one account."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import epoch_seconds, event_ids_by, in_or_false
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.i18n import t

SIGN_IN_ACTIONS = ("ConsoleLogin", "bind")


@check(
    id="aws.iam.console_login_without_mfa",
    control="3.2.2",
    severity="high",
    title=t("MFA なしのコンソールサインイン", "Console sign-in without MFA"),
    remediation=t(
        "当該ユーザーに MFA を必須化し（MFA 条件付きポリシー）、サインインが本人によるものか確認してください。",
        "Require MFA for the user (an MFA-conditioned policy) and confirm the sign-in was theirs.",
    ),
    kind="act",
)
def console_login_without_mfa(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful ConsoleLogin events with MFAUsed = No, per principal."""
    where = (EVENTS.c.action == "ConsoleLogin", EVENTS.c.outcome == "success", EVENTS.c.mfa_used.is_(False))
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.principal, func.count().label("n"),
               func.max(EVENTS.c.event_time).label("last"))
        .where(*where).group_by(EVENTS.c.vendor_id, EVENTS.c.principal)
    )
    found = rows.all()
    evidence = event_ids_by(ctx.session, (EVENTS.c.principal, EVENTS.c.vendor_id), *where) if found else {}
    for row in found:
        principal = row.principal or "(unknown)"
        ids = evidence.get((row.principal, row.vendor_id), [])
        last = as_utc(row.last)
        yield FindingDraft(
            row.vendor_id, principal,
            Evidence(ids, [principal], {"sign_ins": row.n, "last": last.isoformat() if last else None}),
            t(f"{principal} が MFA なしで {row.n} 回コンソールにサインイン",
              f"{principal} signed in to the console without MFA {row.n} time(s)"),
        )


@check(
    id="auth.failed_signin_burst",
    control="3.2.2",
    severity="medium",
    title=t("一つのアカウントへの連続したサインイン／バインド失敗", "Burst of failed sign-ins or binds against one account"),
    remediation=t(
        "パスワード推測攻撃の可能性があります。送信元を確認し、アカウントロックと MFA を確認してください。",
        "This may be password guessing: check the sources, and that lockout and MFA are in force.",
    ),
    parameters={"failures": 5, "window_minutes": 10},
    related=["1.2.3"],
    kind="attempt",
)
def failed_signin_burst(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """``failures`` failed sign-ins within ``window_minutes`` on one account (a window function, in SQL)."""
    for params, vendor_ids in ctx.vendor_groups():
        needed = max(2, int(params["failures"]))  # type: ignore[arg-type]
        window = float(params["window_minutes"]) * 60  # type: ignore[arg-type]
        failed = (EVENTS.c.action.in_(SIGN_IN_ACTIONS), EVENTS.c.outcome == "failure",
                  in_or_false(EVENTS.c.vendor_id, vendor_ids))
        seconds = epoch_seconds(EVENTS.c.event_time, ctx.dialect)
        ordered = (
            select(
                EVENTS.c.vendor_id, EVENTS.c.principal, EVENTS.c.event_time,
                (seconds - func.lag(seconds, needed - 1).over(
                    partition_by=(EVENTS.c.vendor_id, EVENTS.c.principal), order_by=EVENTS.c.event_time,
                )).label("span"),
            ).where(*failed).subquery()
        )
        rows = ctx.session.execute(
            select(ordered.c.vendor_id, ordered.c.principal, func.count().label("bursts"),
                   func.min(ordered.c.event_time).label("first"), func.max(ordered.c.event_time).label("last"))
            .where(ordered.c.span.is_not(None), ordered.c.span <= window)
            .group_by(ordered.c.vendor_id, ordered.c.principal)
        )
        found = rows.all()
        evidence = event_ids_by(ctx.session, (EVENTS.c.principal, EVENTS.c.vendor_id), *failed,
                                in_or_false(EVENTS.c.principal, {r.principal for r in found})) if found else {}
        for row in found:
            principal = row.principal or "(unknown)"
            ids = evidence.get((row.principal, row.vendor_id), [])
            first, last = as_utc(row.first), as_utc(row.last)
            yield FindingDraft(
                row.vendor_id, principal,
                Evidence(ids, [principal], {"threshold": needed, "window_minutes": params["window_minutes"],
                                            "first_burst_end": first.isoformat() if first else None,
                                            "last_burst_end": last.isoformat() if last else None}),
                t(f"{principal} に {params['window_minutes']} 分以内に {needed} 回以上の認証失敗",
                  f"{needed}+ failed sign-ins within {params['window_minutes']} minutes against {principal}"),
            )
