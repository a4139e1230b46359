"""The portfolio: every vendor (sub-vendors under their parent) with tier, score and why, open findings by
severity, monitoring coverage, and the vendor × control heat map of JSDA IV.3(2).

The figures are those each vendor's latest posture snapshot holds (written by every evaluation, see
``vendorwatch.posture``): the page reads a few hundred rows whatever the number of events, and shows the
same figures as the digest. The full explanation of one vendor's score is computed now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.model import SEVERITIES
from vendorwatch.clock import Clock, as_utc
from vendorwatch.i18n import Text, t
from vendorwatch.posture.trend import latest
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.risk import score_vendors
from vendorwatch.views.coverage import CoverageCounts
from vendorwatch.views.personal import Masker

CONTROLS: tuple[str, ...] = ("3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "3.2.7")
COVERAGE_GAP = t("監視の欠落（SLA 内に収集されていないソース）", "Monitoring gap (sources not collected within SLA)")


@dataclass(frozen=True)
class Reason:
    """One line of a score's explanation: points, and the finding (or coverage gap) that gives them."""

    points: int
    vendor_id: str
    kind: str  # "finding" | "coverage"
    finding_id: int | None
    check_id: str | None
    title: Text
    severity: str | None
    status: str | None
    subject: str


@dataclass(frozen=True)
class PortfolioRow:
    """One vendor on the portfolio."""

    vendor_id: str
    name: Text
    tier: str
    parent_id: str | None
    depth: int
    handles_customer_data: bool
    score: int | None  # None: no evaluation has seen the vendor yet
    level: str | None
    own_points: int
    rolled_up_points: int
    open_by_severity: dict[str, int]
    open_by_control: dict[str, int]
    risk_accepted: int
    coverage: CoverageCounts
    reasons: tuple[Reason, ...]
    evaluated_at: datetime | None

    @property
    def open_total(self) -> int:
        """Open and acknowledged findings of this vendor itself."""
        return sum(self.open_by_severity.values())


@dataclass(frozen=True)
class Portfolio:
    """The rows in tree order and the totals over every vendor."""

    rows: tuple[PortfolioRow, ...]
    totals_by_severity: dict[str, int] = field(default_factory=dict)
    coverage: CoverageCounts = field(default_factory=CoverageCounts)
    evaluated_at: datetime | None = None  # the newest evaluation behind the figures

    def heat(self, vendor_id: str, control: str) -> int:
        """Open findings of a vendor under a control (its own, as the heat map shows them)."""
        row = next((r for r in self.rows if r.vendor_id == vendor_id), None)
        return row.open_by_control.get(control, 0) if row else 0


def _title(check_id: str | None) -> Text:
    check = checks_by_id().get(check_id or "")
    return check.meta.title if check else t(check_id or "?", check_id or "?")


def _reason(item: dict[str, Any]) -> Reason:
    coverage = item.get("kind") == "coverage"
    return Reason(int(item.get("points", 0)), str(item.get("vendor", "")), str(item.get("kind", "finding")),
                  item.get("finding_id"), item.get("check"), COVERAGE_GAP if coverage else _title(item.get("check")),
                  item.get("severity"), item.get("status"), "")


def tree_order(registry: Registry, scores: dict[str, int]) -> list[tuple[str, int]]:
    """Vendors depth first: top-level by score (highest first), each followed by its sub-vendors."""
    children: dict[str | None, list[str]] = defaultdict(list)
    known = {v.id for v in registry.vendors}
    for vendor in registry.vendors:
        children[vendor.parent if vendor.parent in known else None].append(vendor.id)
    for ids in children.values():
        ids.sort(key=lambda i: (-scores.get(i, 0), i))
    ordered: list[tuple[str, int]] = []
    seen: set[str] = set()

    def walk(vendor_id: str, depth: int) -> None:
        if vendor_id in seen:
            return
        seen.add(vendor_id)
        ordered.append((vendor_id, depth))
        for child in children.get(vendor_id, []):
            walk(child, depth + 1)

    for top in children[None]:
        walk(top, 0)
    for vendor in registry.vendors:  # a parent cycle leaves vendors unreached: list them anyway
        walk(vendor.id, 0)
    return ordered


def portfolio(session: Session, registry: Registry, clock: Clock, masker: Masker, *,
              reasons_per_vendor: int | None = 10) -> Portfolio:
    """Every vendor of the registry in force, in tree order, with the figures of its latest evaluation."""
    snapshots = latest(session, [v.id for v in registry.vendors])
    vendors = {v.id: v for v in registry.vendors}
    rows = []
    for vendor_id, depth in tree_order(registry, {v: s.score for v, s in snapshots.items()}):
        vendor, snap = vendors[vendor_id], snapshots.get(vendor_id)
        if snap is None:  # no evaluation has seen this vendor yet (new in the registry)
            rows.append(PortfolioRow(vendor_id, vendor.name.text(), vendor.tier, vendor.parent, depth,
                                     vendor.handles_customer_data, None, None, 0, 0, dict.fromkeys(SEVERITIES, 0),
                                     dict.fromkeys(CONTROLS, 0), 0, CoverageCounts(), (), None))
            continue
        reasons = tuple(_reason(r) for r in snap.reasons[:reasons_per_vendor] if r.get("points"))
        rows.append(PortfolioRow(
            vendor_id, vendor.name.text(), vendor.tier, vendor.parent, depth, vendor.handles_customer_data,
            snap.score, snap.level, snap.own_points, snap.rolled_up_points,
            {s: int(snap.open_by_severity.get(s, 0)) for s in SEVERITIES},
            {c: int(snap.open_by_control.get(c, 0)) for c in CONTROLS}, snap.accepted, CoverageCounts.of(snap.sources),
            reasons, as_utc(snap.evaluated_at),
        ))
    totals: dict[str, int] = {s: sum(r.open_by_severity[s] for r in rows) for s in SEVERITIES}
    overall = CoverageCounts(*(sum(getattr(r.coverage, s) for r in rows) for s in ("fresh", "stale", "failing", "never")))
    times = [r.evaluated_at for r in rows if r.evaluated_at]
    del masker  # the snapshot's figures name no one; kept in the signature so every read model masks alike
    return Portfolio(tuple(rows), totals, overall, max(times) if times else None)


def score_explanation(session: Session, registry: Registry, clock: Clock, masker: Masker,
                      vendor_id: str) -> tuple[Reason, ...]:
    """Every reason behind one vendor's score now (its own findings, its sub-vendors', the coverage gap)."""
    risk = score_vendors(session, registry, clock).get(vendor_id)
    if risk is None:
        return ()
    return tuple(
        Reason(c.points, c.vendor_id, c.kind, c.finding_id, c.check_id,
               COVERAGE_GAP if c.kind == "coverage" else _title(c.check_id), c.severity, c.status,
               masker.principal(c.subject))
        for c in risk.contributions
    )
