"""Read findings back: filters for the CLI and dashboard, and the contract form of DESIGN.md."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.model import severity_rank
from vendorwatch.db.tables import Finding, FindingHistory


def list_findings(session: Session, *, vendor: str | None = None, control: str | None = None,
                  severity: str | None = None, status: str | None = None, check: str | None = None) -> list[Finding]:
    """Findings matching every filter given, most severe first, then newest."""
    query = select(Finding)
    if vendor:
        query = query.where(Finding.vendor_id == vendor)
    if control:
        query = query.where(Finding.control_id == control)
    if severity:
        query = query.where(Finding.severity == severity)
    if status:
        statuses = [s.strip() for s in status.split(",") if s.strip()]
        query = query.where(col(Finding.status).in_(statuses))
    if check:
        query = query.where(Finding.check_id == check)
    found = list(session.exec(query))
    found.sort(key=lambda f: (severity_rank(f.severity), -f.last_seen.timestamp(), f.id or 0))
    return found


def history(session: Session, finding_id: int) -> list[FindingHistory]:
    """The status changes of one finding, oldest first."""
    return list(session.exec(select(FindingHistory).where(FindingHistory.finding_id == finding_id)
                             .order_by(col(FindingHistory.id))))


def to_contract(finding: Finding) -> dict[str, Any]:
    """The JSON object of ``findings --format json`` (DESIGN.md contract) plus title, message and details."""
    check = checks_by_id().get(finding.check_id)
    evidence = finding.evidence or {}
    title = check.meta.title.model_dump() if check else {"ja": finding.check_id, "en": finding.check_id}
    return {
        "id": finding.id,
        "check": finding.check_id,
        "control": finding.control_id,
        "vendor": finding.vendor_id,
        "subject": finding.subject,
        "severity": finding.severity,
        "status": finding.status,
        "first_seen": finding.first_seen.isoformat(),
        "last_seen": finding.last_seen.isoformat(),
        "resolved_at": finding.resolved_at.isoformat() if finding.resolved_at else None,
        "status_reason": finding.status_reason,
        "accepted_until": finding.accepted_until.isoformat() if finding.accepted_until else None,
        "first_event_at": finding.first_event_at.isoformat() if finding.first_event_at else None,
        "last_event_at": finding.last_event_at.isoformat() if finding.last_event_at else None,
        "title": title,
        "message": evidence.get("message"),
        "remediation": check.meta.remediation.model_dump() if check else None,
        "evidence": {
            "event_ids": list(evidence.get("event_ids", [])),
            "principals": list(evidence.get("principals", [])),
            "details": evidence.get("details", {}),
        },
    }
