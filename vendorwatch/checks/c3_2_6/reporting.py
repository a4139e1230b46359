"""3.2.6 reporting to management: was each month's digest produced and delivered to the board in time?

Reads the digest tables (``digests``, ``digest_deliveries``) with SQL; it never imports the digest package.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import DELIVERIES, DIGESTS, REGISTRY_SNAPSHOTS
from vendorwatch.i18n import t

DELIVERED = ("delivered", "partial")


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def due(year: int, month: int, zone: str, deliver_by_day: int) -> datetime:
    """The end of ``deliver_by_day`` of the following month, local time (the digest is due before it)."""
    following = _next(year, month)
    day = date(following[0], following[1], deliver_by_day) + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone))


@check(
    id="reporting.digest_not_delivered",
    control="3.2.6",
    severity="high",
    title=t("月次リスク報告が期限までに経営層へ送付されていない", "Monthly risk digest not delivered to management in time"),
    remediation=t(
        "`vendorwatch digest --month YYYY-MM --send` で作成・送付してください（台帳の organization.mail と "
        "organization.digest.recipients が必要です）。スケジューラを使う場合は稼働状況を確認してください。",
        "Produce and send it with `vendorwatch digest --month YYYY-MM --send` (the registry needs organization.mail and "
        "organization.digest.recipients); if the scheduler sends it, check that it runs.",
    ),
    parameters={"lookback_months": 12},
)
def digest_not_delivered(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A month whose digest reached no recipient by day ``deliver_by_day`` of the next month (a finding of the firm).

    Months since monitoring began (the first registry import), ``lookback_months`` back at most; the finding
    resolves once the month is delivered, late or not.
    """
    settings = ctx.registry.organization.digest
    zone = ctx.timezone
    first = ctx.session.execute(select(func.min(REGISTRY_SNAPSHOTS.c.imported_at))).scalar()
    if first is None:
        return
    started = as_utc(first).astimezone(ZoneInfo(zone))
    now = ctx.now.astimezone(ZoneInfo(zone))
    lookback = int(ctx.parameters(None)["lookback_months"])  # type: ignore[arg-type]
    year, month = now.year, now.month
    for _ in range(lookback):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    if (year, month) < (started.year, started.month):
        year, month = started.year, started.month
    delivered = {row.month for row in ctx.session.execute(
        select(DELIVERIES.c.month).where(DELIVERIES.c.status.in_(DELIVERED)).group_by(DELIVERIES.c.month))}
    produced = {row.month: row.n for row in ctx.session.execute(
        select(DIGESTS.c.month, func.count().label("n")).group_by(DIGESTS.c.month))}
    failures = {row.month: row.error for row in ctx.session.execute(
        select(DELIVERIES.c.month, DELIVERIES.c.error).where(DELIVERIES.c.status == "failed")
        .order_by(DELIVERIES.c.id))}
    while due(year, month, zone, settings.deliver_by_day) <= ctx.now:
        name = f"{year:04d}-{month:02d}"
        if name not in delivered:
            deadline = (due(year, month, zone, settings.deliver_by_day) - timedelta(days=1)).date().isoformat()
            made = produced.get(name, 0)
            why_ja = "作成済み・未送付" if made else "未作成"
            why_en = "produced but not delivered" if made else "not produced"
            if not settings.recipients or ctx.registry.organization.mail is None:
                why_ja += "。台帳に送付先または SMTP サーバがありません"
                why_en += "; the registry has no recipients or no SMTP server"
            yield FindingDraft(
                None, f"digest:{name}",
                Evidence(details={"month": name, "due": deadline, "produced": made,
                                  "last_error": failures.get(name), "recipients": len(settings.recipients),
                                  "mail_configured": ctx.registry.organization.mail is not None}),
                t(f"{name} の月次リスク報告が期限 {deadline} までに送付されていません（{why_ja}）",
                  f"the digest of {name} was not delivered by {deadline} ({why_en})"),
            )
        year, month = _next(year, month)
