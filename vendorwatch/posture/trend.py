"""Read the posture back: the latest snapshot per vendor, and the month-by-month trend (each month's last day)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select
from sqlmodel import Session

from vendorwatch.db.core_tables import POSTURE_SNAPSHOTS
from vendorwatch.db.tables import PostureSnapshot


def months_back(until: date, months: int) -> list[str]:
    """``YYYY-MM`` of the ``months`` months ending with the month of ``until``, oldest first."""
    year, month = until.year, until.month
    found: list[str] = []
    for _ in range(months):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


@dataclass
class MonthPosture:
    """The portfolio at the end of one month: each vendor's last snapshot of the month (if any)."""

    month: str
    vendors: dict[str, PostureSnapshot] = field(default_factory=dict)

    @property
    def open_by_severity(self) -> Counter[str]:
        """Open and acknowledged findings of every vendor, by severity."""
        total: Counter[str] = Counter()
        for row in self.vendors.values():
            total.update(row.open_by_severity)
        return total

    @property
    def open_findings(self) -> int:
        """Open and acknowledged findings of every vendor."""
        return sum(self.open_by_severity.values())

    def score(self, vendor_id: str) -> int | None:
        """A vendor's score that month; None when no evaluation saw it."""
        row = self.vendors.get(vendor_id)
        return row.score if row else None


def latest(session: Session, vendor_ids: list[str] | None = None) -> dict[str, PostureSnapshot]:
    """The newest snapshot of each vendor (or of the vendors given)."""
    snapshots = POSTURE_SNAPSHOTS.c
    newest = select(snapshots.vendor_id, func.max(snapshots.day).label("day")).group_by(snapshots.vendor_id)
    if vendor_ids is not None:
        newest = newest.where(snapshots.vendor_id.in_(vendor_ids))
    pick = newest.subquery()
    statement = select(PostureSnapshot).join(
        pick, and_(PostureSnapshot.vendor_id == pick.c.vendor_id, PostureSnapshot.day == pick.c.day))  # type: ignore[arg-type]
    return {row.vendor_id: row for row in session.scalars(statement)}


def monthly_trend(session: Session, until: date, months: int = 12,
                  vendor_ids: list[str] | None = None) -> list[MonthPosture]:
    """For each of the ``months`` months ending with ``until``'s, each vendor's last snapshot in that month."""
    wanted = months_back(until, months)
    last_day = (
        select(POSTURE_SNAPSHOTS.c.vendor_id, POSTURE_SNAPSHOTS.c.month, func.max(POSTURE_SNAPSHOTS.c.day).label("day"))
        .where(POSTURE_SNAPSHOTS.c.month.in_(wanted), POSTURE_SNAPSHOTS.c.day <= until)
        .group_by(POSTURE_SNAPSHOTS.c.vendor_id, POSTURE_SNAPSHOTS.c.month)
    )
    if vendor_ids is not None:
        last_day = last_day.where(POSTURE_SNAPSHOTS.c.vendor_id.in_(vendor_ids))
    pick = last_day.subquery()
    statement = select(PostureSnapshot).join(
        pick, and_(PostureSnapshot.vendor_id == pick.c.vendor_id, PostureSnapshot.day == pick.c.day))  # type: ignore[arg-type]
    series = {month: MonthPosture(month) for month in wanted}
    for row in session.scalars(statement):
        series[row.month].vendors[row.vendor_id] = row
    return [series[month] for month in wanted]
