"""3.2.1 periodic monitoring: is every vendor monitored, and is every source actually being collected?"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import RUNS
from vendorwatch.i18n import t


@check(
    id="monitoring.source_not_collected",
    control="3.2.1",
    severity="high",
    title=t("監視ソースが SLA 内に正常収集されていない", "Monitoring source not collected successfully within its SLA"),
    remediation=t(
        "収集エラー（認証情報・ネットワーク・権限）を確認し `vendorwatch collect` で再収集してください。",
        "Look at the run's errors (credentials, network, permissions) and collect again with `vendorwatch collect`.",
    ),
    parameters={"grace_hours": 0},
)
def source_not_collected(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A source whose last successful run finished longer ago than its SLA (or never)."""
    last = {
        row.source_id: (as_utc(row.last_ok), row.runs)
        for row in ctx.session.execute(
            select(
                RUNS.c.source_id,
                func.max(RUNS.c.finished_at).filter(RUNS.c.status.in_(["success", "partial"])).label("last_ok"),
                func.count().label("runs"),
            ).group_by(RUNS.c.source_id)
        )
    }
    for vendor in ctx.vendors:
        grace = timedelta(hours=float(ctx.parameters(vendor.id)["grace_hours"]))  # type: ignore[arg-type]
        for source in vendor.sources:
            last_ok, runs = last.get(source.id, (None, 0))
            deadline = ctx.now - timedelta(hours=source.sla_hours) - grace
            if last_ok is not None and last_ok >= deadline:
                continue
            age = None if last_ok is None else round((ctx.now - last_ok).total_seconds() / 3600, 1)
            yield FindingDraft(
                vendor_id=vendor.id,
                subject=f"source:{source.id}",
                evidence=Evidence(details={"source": source.id, "sla_hours": source.sla_hours, "runs": runs,
                                           "last_success": last_ok.isoformat() if last_ok else None,
                                           "hours_since_success": age}),
                message=t(
                    f"{source.id}: 最終成功収集 {'なし' if last_ok is None else f'{age} 時間前'}（SLA {source.sla_hours} 時間）",
                    f"{source.id}: last successful collection {'never' if last_ok is None else f'{age} h ago'} "
                    f"(SLA {source.sla_hours} h)",
                ),
            )


@check(
    id="monitoring.vendor_without_source",
    control="3.2.1",
    severity="high",
    title=t("監視ソースのない委託先", "Vendor with no monitoring source"),
    remediation=t(
        "委託先の AWS アカウントまたはディレクトリを vendorwatch.yaml の sources に登録し、収集を開始してください。",
        "Register the vendor's AWS account or directory under sources in vendorwatch.yaml and start collecting.",
    ),
)
def vendor_without_source(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A vendor (or a sub-vendor handling customer data) that nothing monitors."""
    for vendor in ctx.vendors:
        if vendor.sources:
            continue
        if vendor.parent is not None and not vendor.handles_customer_data:
            continue  # a sub-vendor without customer data is supervised through its parent (3.2.7)
        yield FindingDraft(
            vendor_id=vendor.id,
            subject=f"vendor:{vendor.id}",
            evidence=Evidence(details={"handles_customer_data": vendor.handles_customer_data,
                                       "parent": vendor.parent}),
            message=t(f"{vendor.name.ja}には監視ソースがありません", f"{vendor.name.en} has no monitoring source"),
        )
