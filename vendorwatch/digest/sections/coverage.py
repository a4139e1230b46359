"""Monitoring coverage: was every source collected in the month, and which were not (with the last error)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from vendorwatch.db.core_tables import RUNS
from vendorwatch.digest.context import DigestContext
from vendorwatch.digest.model import DigestModel
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.i18n import Text, t

_OK = ("success", "partial")


class SourceLine(DigestModel):
    """One monitoring source over the month."""

    source_id: str
    vendor: Text
    kind: str
    sla_hours: int
    state: str  # fresh | stale | failing | never, at the month's end
    runs: int  # finished in the month
    successes: int
    failures: int
    last_success: datetime | None
    failures_in_a_row: int
    last_error: str | None


class Coverage(DigestModel):
    """Every source of the registry in force."""

    sources: list[SourceLine]
    collected: int
    without_source: list[Text]  # vendors nothing monitors


def build(ctx: DigestContext) -> tuple[Coverage, Text]:
    """Runs finished in ``[start, as_of)`` per source, and each source's state at ``as_of``."""
    month_runs = {
        row.source_id: row
        for row in ctx.session.execute(
            select(RUNS.c.source_id, func.count().label("runs"),
                   func.count().filter(RUNS.c.status.in_(_OK)).label("ok"),
                   func.count().filter(RUNS.c.status == "failed").label("failed"))
            .where(RUNS.c.finished_at >= ctx.start, RUNS.c.finished_at < ctx.as_of)
            .group_by(RUNS.c.source_id))
    }
    lines: list[SourceLine] = []
    for health in ctx.health_now:
        runs = month_runs.get(health.source_id)
        lines.append(SourceLine(
            source_id=health.source_id, vendor=ctx.vendor_name(health.vendor_id), kind=health.kind,
            sla_hours=health.sla_hours, state=health.state, runs=int(runs.runs) if runs else 0,
            successes=int(runs.ok) if runs else 0, failures=int(runs.failed) if runs else 0,
            last_success=health.last_success, failures_in_a_row=health.failures_in_a_row,
            last_error=ctx.mask(health.last_error)[:200] or None))
    rank = {"never": 0, "failing": 1, "stale": 2, "fresh": 3}
    lines.sort(key=lambda line: (rank.get(line.state, 9), line.source_id))
    without = [v.name.text() for v in ctx.registry.vendors if not v.sources
               and (v.parent is None or v.handles_customer_data)]
    collected = sum(1 for line in lines if line.state == "fresh")
    summary = t(f"監視ソース {len(lines)} 件のうち {collected} 件が SLA 内に収集済み（未収集・失敗 {len(lines) - collected} 件）",
                f"{collected} of {len(lines)} monitoring sources collected within their SLA "
                f"({len(lines) - collected} not)")
    return Coverage(sources=lines, collected=collected, without_source=without), summary


SECTION = SectionSpec(key="coverage", order=60, title=t("監視カバレッジ", "Monitoring coverage"), build=build)
