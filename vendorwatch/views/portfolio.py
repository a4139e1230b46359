"""The portfolio: every vendor (sub-vendors under their parent) with tier, score and why, open findings by
severity, monitoring coverage, and the vendor × control heat map of JSDA IV.3(2)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.model import SEVERITIES, severity_rank
from vendorwatch.clock import Clock
from vendorwatch.db.tables import Finding
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.risk import VendorRisk, score_vendors
from vendorwatch.views.coverage import CoverageCounts, coverage_by_vendor, source_coverage
from vendorwatch.views.personal import Masker

CONTROLS: tuple[str, ...] = ("3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "3.2.7")
OPEN_STATUSES = ("open", "acknowledged")  # what still needs work; risk-accepted findings are counted apart
FINDINGS = Finding.__table__  # type: ignore[attr-defined]


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
    score: int
    level: str
    own_points: int
    rolled_up_points: int
    open_by_severity: dict[str, int]
    risk_accepted: int
    coverage: CoverageCounts
    reasons: tuple[Reason, ...]

    @property
    def open_total(self) -> int:
        """Open and acknowledged findings of this vendor itself."""
        return sum(self.open_by_severity.values())


@dataclass(frozen=True)
class HeatCell:
    """Open findings of one vendor under one control, and the worst severity among them."""

    count: int = 0
    worst: str | None = None


@dataclass(frozen=True)
class Portfolio:
    """The rows in tree order, the heat map, and the totals over every vendor."""

    rows: tuple[PortfolioRow, ...]
    heat: dict[str, dict[str, HeatCell]] = field(default_factory=dict)  # vendor -> control -> cell
    totals_by_severity: dict[str, int] = field(default_factory=dict)
    coverage: CoverageCounts = field(default_factory=CoverageCounts)


def _tree_order(registry: Registry, risks: dict[str, VendorRisk]) -> list[tuple[str, int]]:
    """Vendors depth first: top-level by score (highest first), each followed by its sub-vendors."""
    children: dict[str | None, list[str]] = defaultdict(list)
    known = {v.id for v in registry.vendors}
    for vendor in registry.vendors:
        children[vendor.parent if vendor.parent in known else None].append(vendor.id)
    for ids in children.values():
        ids.sort(key=lambda i: (-(risks[i].score if i in risks else 0), i))
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


def _reasons(risk: VendorRisk, masker: Masker, limit: int | None) -> tuple[Reason, ...]:
    checks = checks_by_id()
    reasons = []
    for c in risk.contributions[:limit] if limit else risk.contributions:
        if c.kind == "coverage":
            title = t("監視の欠落（SLA 内に収集されていないソース）", "monitoring gap (sources not collected within SLA)")
        else:
            check = checks.get(c.check_id or "")
            title = check.meta.title if check else t(c.check_id or "?", c.check_id or "?")
        reasons.append(Reason(c.points, c.vendor_id, c.kind, c.finding_id, c.check_id, title, c.severity, c.status,
                              masker.principal(c.subject)))
    return tuple(reasons)


def open_counts(session: Session) -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, dict[str, HeatCell]]]:
    """Per vendor: open findings by severity; risk-accepted counts; the heat map (one grouped query)."""
    by_severity: dict[str, dict[str, int]] = defaultdict(dict)
    accepted: dict[str, int] = defaultdict(int)
    cells: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(FINDINGS.c.vendor_id, FINDINGS.c.control_id, FINDINGS.c.severity, FINDINGS.c.status,
               func.count().label("n"))
        .where(FINDINGS.c.status.in_((*OPEN_STATUSES, "risk_accepted")))
        .group_by(FINDINGS.c.vendor_id, FINDINGS.c.control_id, FINDINGS.c.severity, FINDINGS.c.status)
    )
    for row in rows:
        if row.status == "risk_accepted":
            accepted[row.vendor_id] += row.n
            continue
        counts = by_severity[row.vendor_id]
        counts[row.severity] = counts.get(row.severity, 0) + row.n
        cells[row.vendor_id][row.control_id].append((row.severity, row.n))
    heat = {
        vendor: {control: HeatCell(sum(n for _, n in found), min((s for s, _ in found), key=severity_rank))
                 for control, found in controls.items()}
        for vendor, controls in cells.items()
    }
    return dict(by_severity), dict(accepted), heat


def portfolio(session: Session, registry: Registry, clock: Clock, masker: Masker, *,
              reasons_per_vendor: int | None = 10) -> Portfolio:
    """Every vendor of the registry in force, in tree order, with its figures and the heat map."""
    risks = score_vendors(session, registry, clock)
    by_severity, accepted, heat = open_counts(session)
    coverage = coverage_by_vendor(source_coverage(session, registry, clock))
    vendors = {v.id: v for v in registry.vendors}
    rows = []
    for vendor_id, depth in _tree_order(registry, risks):
        vendor = vendors[vendor_id]
        risk = risks[vendor_id]
        counts = by_severity.get(vendor_id, {})
        rows.append(PortfolioRow(
            vendor_id, vendor.name.text(), vendor.tier, vendor.parent, depth, vendor.handles_customer_data,
            risk.score, risk.level, risk.own_points, risk.rolled_up_points,
            {s: counts.get(s, 0) for s in SEVERITIES}, accepted.get(vendor_id, 0),
            coverage.get(vendor_id, CoverageCounts()), _reasons(risk, masker, reasons_per_vendor),
        ))
    totals: dict[str, int] = {s: sum(r.open_by_severity[s] for r in rows) for s in SEVERITIES}
    overall = CoverageCounts(*(sum(getattr(r.coverage, s) for r in rows) for s in ("fresh", "stale", "failing", "never")))
    return Portfolio(tuple(rows), {v: c for v, c in heat.items() if v in vendors}, totals, overall)


def score_explanation(session: Session, registry: Registry, clock: Clock, masker: Masker,
                      vendor_id: str) -> tuple[Reason, ...]:
    """Every reason behind one vendor's score (its own findings, its sub-vendors', the coverage gap)."""
    risk = score_vendors(session, registry, clock).get(vendor_id)
    return _reasons(risk, masker, None) if risk else ()
