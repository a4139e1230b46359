"""A risk score per vendor that always says where it comes from.

points = Σ weight(severity) over the vendor's open and acknowledged findings (risk-accepted ones are shown
with 0 points until their acceptance expires) + a coverage penalty (share of sources not collected within
their SLA; a vendor with no source at all gets the full penalty) + questionnaire points (none until
questionnaires exist). A parent carries its sub-vendors' points too (3.2.7): the score is capped at 100,
the explanation lists every finding behind it, whichever vendor it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col
from sqlmodel import select as select_model

from vendorwatch.clock import Clock
from vendorwatch.db.tables import Finding
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import source_health

WEIGHTS: dict[str, int] = {"critical": 40, "high": 15, "medium": 5, "low": 1, "info": 0}
COVERAGE_WEIGHT = 20
MAX_SCORE = 100
LEVELS: tuple[tuple[int, str], ...] = ((70, "critical"), (40, "high"), (15, "medium"), (1, "low"), (0, "none"))


@dataclass(frozen=True)
class Contribution:
    """One reason for points: a finding (with its vendor of origin) or the coverage gap."""

    vendor_id: str
    kind: str  # "finding" | "coverage"
    points: int
    finding_id: int | None = None
    check_id: str | None = None
    severity: str | None = None
    status: str | None = None
    subject: str | None = None


@dataclass
class VendorRisk:
    """The score of one vendor and what makes it."""

    vendor_id: str
    coverage: float
    sources: int
    fresh_sources: int
    own_points: int = 0
    rolled_up_points: int = 0
    contributions: list[Contribution] = field(default_factory=list)
    children: list[str] = field(default_factory=list)

    @property
    def points(self) -> int:
        """Own points plus the sub-vendors' points."""
        return self.own_points + self.rolled_up_points

    @property
    def score(self) -> int:
        """0 (nothing found) to 100."""
        return min(MAX_SCORE, self.points)

    @property
    def level(self) -> str:
        """critical / high / medium / low / none."""
        return next(name for threshold, name in LEVELS if self.score >= threshold)


def score_vendors(session: Session, registry: Registry, clock: Clock) -> dict[str, VendorRisk]:
    """The risk of every vendor of the registry, sub-vendors rolled up into their parents."""
    fresh = {health.source_id: health.covered for health in source_health(session, registry, clock)}
    risks: dict[str, VendorRisk] = {}
    for vendor in registry.vendors:
        count = len(vendor.sources)
        ok = sum(1 for s in vendor.sources if fresh.get(s.id))
        coverage = ok / count if count else 0.0
        risk = VendorRisk(vendor.id, coverage, count, ok)
        penalty = round((1 - coverage) * COVERAGE_WEIGHT)
        if penalty:
            risk.contributions.append(Contribution(vendor.id, "coverage", penalty))
            risk.own_points += penalty
        risks[vendor.id] = risk
    findings = session.exec(
        select_model(Finding).where(col(Finding.status).in_(["open", "acknowledged", "risk_accepted"]))
    )
    for finding in findings:
        owner = risks.get(finding.vendor_id) if finding.vendor_id is not None else None
        if owner is None or finding.vendor_id is None:
            continue  # a vendor retired from the registry, or a finding about the firm itself
        points = 0 if finding.status == "risk_accepted" else WEIGHTS.get(finding.severity, 0)
        owner.contributions.append(Contribution(finding.vendor_id, "finding", points, finding.id, finding.check_id,
                                               finding.severity, finding.status, finding.subject))
        owner.own_points += points
    parents = {v.id: v.parent for v in registry.vendors}
    own = {vendor_id: list(risk.contributions) for vendor_id, risk in risks.items()}
    for vendor_id, parent in parents.items():
        if parent in risks:
            risks[parent].children.append(vendor_id)
        ancestor, seen = parent, {vendor_id}
        while ancestor is not None and ancestor in risks and ancestor not in seen:  # every tier up (3.2.7)
            seen.add(ancestor)
            risks[ancestor].rolled_up_points += risks[vendor_id].own_points
            risks[ancestor].contributions.extend(own[vendor_id])
            ancestor = parents.get(ancestor)
    for risk in risks.values():
        risk.contributions.sort(key=lambda c: (-c.points, c.vendor_id, c.finding_id or 0))
    return risks
