"""A risk score per vendor that always says where it comes from.

points = Σ weight(severity) over the vendor's open and acknowledged findings (risk-accepted ones are shown
with 0 points until their acceptance expires) + a coverage penalty (share of sources not collected within
their SLA; a vendor with no source at all gets the full penalty) + questionnaire points (the shortfall of the
vendor's latest submitted score on each questionnaire, ``(100 - score) / 100 × QUESTIONNAIRE_WEIGHT``; the gaps it
declares are findings too, and count as such). A parent carries its sub-vendors' points too (3.2.7): the score is capped at 100,
the explanation lists every finding behind it, whichever vendor it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from vendorwatch.checks.answers import latest_submissions
from vendorwatch.clock import Clock
from vendorwatch.db.core_tables import FINDINGS, SUBMISSIONS, VERSIONS
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import source_health

WEIGHTS: dict[str, int] = {"critical": 40, "high": 15, "medium": 5, "low": 1, "info": 0}
COVERAGE_WEIGHT = 20
QUESTIONNAIRE_WEIGHT = 15
MAX_SCORE = 100
LEVELS: tuple[tuple[int, str], ...] = ((70, "critical"), (40, "high"), (15, "medium"), (1, "low"), (0, "none"))


@dataclass(frozen=True)
class Contribution:
    """One reason for points: a finding (with its vendor of origin) or the coverage gap."""

    vendor_id: str
    kind: str  # "finding" | "coverage" | "questionnaire"
    points: int
    finding_id: int | None = None
    check_id: str | None = None
    severity: str | None = None
    status: str | None = None
    subject: str | None = None
    score: float | None = None  # questionnaire: the submitted score, 0-100
    request_id: int | None = None  # questionnaire: the request answered


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


def _questionnaire_scores(session: Session) -> list[Contribution]:
    """One contribution per vendor and questionnaire: the shortfall of its latest counting submission's score."""
    latest = latest_submissions(session)
    rows = session.execute(
        select(SUBMISSIONS.c.vendor_id, SUBMISSIONS.c.questionnaire_id, SUBMISSIONS.c.request_id,
               SUBMISSIONS.c.score, VERSIONS.c.version)
        .join(latest, latest.c.id == SUBMISSIONS.c.id)
        .join(VERSIONS, VERSIONS.c.id == SUBMISSIONS.c.version_id)
        .where(SUBMISSIONS.c.score.is_not(None))
    )
    return [Contribution(row.vendor_id, "questionnaire", round((100 - row.score) / 100 * QUESTIONNAIRE_WEIGHT),
                         subject=f"questionnaire:{row.questionnaire_id}@{row.version}", score=row.score,
                         request_id=row.request_id) for row in rows]


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
    # Only the columns a contribution names: the evidence (up to 50 event ids per finding) is not read.
    table = FINDINGS
    findings = session.execute(
        select(table.c.id, table.c.vendor_id, table.c.check_id, table.c.severity, table.c.status, table.c.subject)
        .where(table.c.status.in_(["open", "acknowledged", "risk_accepted"]))
    )
    for finding in findings:
        owner = risks.get(finding.vendor_id) if finding.vendor_id is not None else None
        if owner is None or finding.vendor_id is None:
            continue  # a vendor retired from the registry, or a finding about the firm itself
        points = 0 if finding.status == "risk_accepted" else WEIGHTS.get(finding.severity, 0)
        owner.contributions.append(Contribution(finding.vendor_id, "finding", points, finding.id, finding.check_id,
                                               finding.severity, finding.status, finding.subject))
        owner.own_points += points
    for contribution in _questionnaire_scores(session):
        owner = risks.get(contribution.vendor_id)
        if owner is not None:
            owner.contributions.append(contribution)
            owner.own_points += contribution.points
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
