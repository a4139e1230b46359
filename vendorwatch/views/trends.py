"""The twelve-month trend of the portfolio: open findings by severity and each vendor's score, month by month.

Each month's figure is the last posture snapshot of that month (``vendorwatch.posture.trend``): what was known
at the time, not a reconstruction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from vendorwatch.checks.model import SEVERITIES
from vendorwatch.posture.trend import monthly_trend


@dataclass(frozen=True)
class PortfolioTrend:
    """Months (``YYYY-MM``, oldest first) and the series over them; None where no evaluation saw a vendor."""

    months: tuple[str, ...]
    open_by_severity: dict[str, tuple[int | None, ...]]
    scores: dict[str, tuple[int | None, ...]]

    @property
    def evaluated_months(self) -> int:
        """Months with at least one evaluation."""
        return sum(1 for i in range(len(self.months)) if any(s[i] is not None for s in self.scores.values()))


def portfolio_trend(session: Session, until: date, vendor_ids: list[str], months: int = 12) -> PortfolioTrend:
    """Open findings by severity (all vendors) and each vendor's score, for the ``months`` ending with ``until``."""
    series = monthly_trend(session, until, months, vendor_ids)
    seen = [bool(m.vendors) for m in series]
    severity: dict[str, tuple[int | None, ...]] = {
        s: tuple(m.open_by_severity.get(s, 0) if seen[i] else None for i, m in enumerate(series)) for s in SEVERITIES
    }
    scores = {v: tuple(m.score(v) for m in series) for v in vendor_ids}
    return PortfolioTrend(tuple(m.month for m in series), severity, scores)
