"""The twelve-month trend of the portfolio: open findings by severity and each vendor's score, month by month.

Each month's figure is each vendor's last posture snapshot of that month (as ``vendorwatch.posture.trend``
defines it): what was known at the time, not a reconstruction. Only the four columns the charts need are read
(a snapshot's reasons and counts by control stay in the database).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlmodel import Session

from vendorwatch.checks.model import SEVERITIES
from vendorwatch.db.core_tables import POSTURE_SNAPSHOTS
from vendorwatch.posture.trend import months_back


@dataclass(frozen=True)
class PortfolioTrend:
    """Months (``YYYY-MM``, oldest first) and the series over them; None where no evaluation saw a vendor."""

    months: tuple[str, ...]
    open_by_severity: dict[str, tuple[int | None, ...]]
    scores: dict[str, tuple[int | None, ...]]

    @property
    def evaluated_months(self) -> int:
        """Months with at least one evaluation."""
        return sum(1 for value in self.open_by_severity.get("critical", ()) if value is not None)


def portfolio_trend(session: Session, until: date, vendor_ids: list[str], months: int = 12) -> PortfolioTrend:
    """Open findings by severity (all vendors) and each vendor's score, for the ``months`` ending with ``until``."""
    wanted = months_back(until, months)
    snapshots = POSTURE_SNAPSHOTS.c
    last_day = (
        select(snapshots.vendor_id, snapshots.month, func.max(snapshots.day).label("day"))
        .where(snapshots.month.in_(wanted), snapshots.day <= until, snapshots.vendor_id.in_(vendor_ids))
        .group_by(snapshots.vendor_id, snapshots.month)
    ).subquery()
    rows = session.execute(
        select(snapshots.vendor_id, snapshots.month, snapshots.score, snapshots.open_by_severity)
        .join(last_day, and_(snapshots.vendor_id == last_day.c.vendor_id, snapshots.day == last_day.c.day))
    )
    index = {month: i for i, month in enumerate(wanted)}
    scores: dict[str, list[int | None]] = {v: [None] * len(wanted) for v in vendor_ids}
    totals: list[Counter[str] | None] = [None] * len(wanted)
    for row in rows:
        i = index[row.month]
        scores[row.vendor_id][i] = row.score
        total = totals[i]
        if total is None:
            total = totals[i] = Counter()
        total.update(row.open_by_severity or {})
    severity: dict[str, tuple[int | None, ...]] = {
        s: tuple(t.get(s, 0) if t is not None else None for t in totals) for s in SEVERITIES
    }
    return PortfolioTrend(tuple(wanted), severity, {v: tuple(s) for v, s in scores.items()})
