"""Record each vendor's posture at the end of an evaluation: score, level, coverage, open findings.

One row per vendor and day (in the organization's time zone); a later evaluation the same day replaces it.
The rows are what the dashboard's portfolio and the digest's trend read, so that a page over a million events
reads a few hundred rows, and a month's figure is what was known then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import Session, col, select

from vendorwatch.clock import Clock
from vendorwatch.db.tables import Finding, PostureSnapshot
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import SOURCE_STATES, source_health
from vendorwatch.scoring.risk import score_vendors

MAX_REASONS = 10
OPEN = ("open", "acknowledged")


@dataclass(frozen=True)
class PostureDay:
    """Which day (and month) an instant belongs to in the organization's time zone."""

    day: date
    month: str

    @classmethod
    def of(cls, moment: datetime, zone: str) -> PostureDay:
        """The local day of an aware instant."""
        local = moment.astimezone(ZoneInfo(zone)).date()
        return cls(local, local.strftime("%Y-%m"))


def record_posture(session: Session, registry: Registry, clock: Clock) -> list[PostureSnapshot]:
    """Write today's snapshot of every vendor of the registry (in the caller's transaction)."""
    now = clock.now()
    when = PostureDay.of(now, registry.organization.timezone)
    risks = score_vendors(session, registry, clock)
    states: dict[str, Counter[str]] = {v.id: Counter() for v in registry.vendors}
    for health in source_health(session, registry, clock):
        states[health.vendor_id][health.state] += 1
    by_severity: dict[str, Counter[str]] = {v.id: Counter() for v in registry.vendors}
    by_control: dict[str, Counter[str]] = {v.id: Counter() for v in registry.vendors}
    accepted: Counter[str] = Counter()
    for finding in session.exec(select(Finding).where(col(Finding.status).in_([*OPEN, "risk_accepted"]))):
        if finding.vendor_id not in by_severity:
            continue  # a vendor retired from the registry
        if finding.status == "risk_accepted":
            accepted[finding.vendor_id] += 1
            continue
        by_severity[finding.vendor_id][finding.severity] += 1
        by_control[finding.vendor_id][finding.control_id] += 1
    session.execute(delete(PostureSnapshot).where(col(PostureSnapshot.day) == when.day))
    rows: list[PostureSnapshot] = []
    for vendor in registry.vendors:
        risk = risks[vendor.id]
        reasons = [
            {"vendor": c.vendor_id, "kind": c.kind, "points": c.points, "finding_id": c.finding_id,
             "check": c.check_id, "severity": c.severity, "status": c.status}
            for c in risk.contributions[:MAX_REASONS] if c.points
        ]
        row = PostureSnapshot(
            day=when.day, month=when.month, vendor_id=vendor.id, evaluated_at=now, score=risk.score, level=risk.level,
            own_points=risk.own_points, rolled_up_points=risk.rolled_up_points, coverage=round(risk.coverage, 4),
            sources={state: states[vendor.id][state] for state in SOURCE_STATES},
            open_by_severity=dict(by_severity[vendor.id]), open_by_control=dict(by_control[vendor.id]),
            accepted=accepted[vendor.id], reasons=reasons,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows
