"""Status changes of a finding, each written to its history and to the audit log in the same transaction."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import Finding, FindingHistory

Status = Literal["open", "acknowledged", "risk_accepted", "resolved"]
STATUSES: tuple[Status, ...] = ("open", "acknowledged", "risk_accepted", "resolved")
ACTIVE_STATUSES: tuple[Status, ...] = ("open", "acknowledged", "risk_accepted")
SYSTEM_ACTOR = "vendorwatch"


def transition(session: Session, finding: Finding, to_status: Status, *, actor: str, reason: str | None,
               clock: Clock) -> None:
    """Move a finding to a status (or record its creation when it has no status yet), with history and audit."""
    from_status = finding.status if finding.id is not None else None
    now = clock.now()
    finding.status = to_status
    finding.status_reason = reason
    finding.resolved_at = now if to_status == "resolved" else None
    if to_status != "risk_accepted":
        finding.accepted_until = None
    session.add(finding)
    session.flush()
    assert finding.id is not None
    session.add(FindingHistory(finding_id=finding.id, at=now, from_status=from_status, to_status=to_status,
                               actor=actor, reason=reason))
    audit.record(
        session, actor=actor, action=f"finding.{to_status}", target=f"finding:{finding.id}",
        details={"check": finding.check_id, "vendor": finding.vendor_id, "subject": finding.subject,
                 "from": from_status, "to": to_status, "reason": reason,
                 "accepted_until": finding.accepted_until.isoformat() if finding.accepted_until else None},
        clock=clock,
    )
