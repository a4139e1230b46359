"""Findings as they stood at a past moment, rebuilt from their history (what was known then, not now).

Every status change is in ``finding_history``; a risk acceptance's expiry is in its audit entry. Loaded once per
digest, the timeline answers "what was open at the end of each month" for the board page, its trend and the detail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import FINDINGS
from vendorwatch.db.tables import AuditEntry, Finding, FindingHistory

ACTIVE = ("open", "acknowledged")


@dataclass(frozen=True)
class FindingState:
    """One finding at one moment."""

    finding: Finding
    status: str
    opened_at: datetime  # the last time it was detected or reopened after a resolution
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    accepted_reason: str | None = None
    accepted_until: datetime | None = None

    @property
    def active(self) -> bool:
        """Open or acknowledged: someone still has to act."""
        return self.status in ACTIVE


@dataclass(frozen=True)
class Transition:
    """One status change of a finding."""

    finding_id: int
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None


class FindingTimeline:
    """Every finding and every status change recorded before ``until``."""

    def __init__(self, session: Session, until: datetime) -> None:
        self.until = until
        # Plain rows, read-only, with the attributes of a Finding: building ORM objects for ten thousand findings
        # took most of a second and a half (the dashboard's board page, 200 vendors).
        self.findings: dict[int, Finding] = {
            f.id: cast(Finding, f) for f in session.execute(sa_select(FINDINGS).where(FINDINGS.c.first_seen < until))
            if f.id is not None
        }
        self.transitions: dict[int, list[Transition]] = defaultdict(list)
        history = FindingHistory.__table__  # type: ignore[attr-defined]
        for row in session.execute(sa_select(history.c.finding_id, history.c.at, history.c.from_status,
                                             history.c.to_status, history.c.actor, history.c.reason)
                                   .where(history.c.at < until).order_by(history.c.id)):
            if row.finding_id in self.findings:
                self.transitions[row.finding_id].append(Transition(row.finding_id, as_utc(row.at), row.from_status,
                                                                   row.to_status, row.actor, row.reason))
        # Each acceptance's expiry, from its audit entry (the finding row keeps only the current one).
        self._expiries: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        for entry in session.exec(select(AuditEntry).where(col(AuditEntry.action) == "finding.risk_accepted",
                                                           col(AuditEntry.at) < until).order_by(col(AuditEntry.id))):
            try:
                finding_id = int(entry.target.removeprefix("finding:"))
            except ValueError:
                continue
            value = (entry.details or {}).get("accepted_until")
            self._expiries[finding_id].append((as_utc(entry.at), as_utc(datetime.fromisoformat(value)) if value else None))

    def states_at(self, moment: datetime) -> list[FindingState]:
        """The state of every finding that existed at ``moment`` (at or before ``until``)."""
        states: list[FindingState] = []
        for finding in self.findings.values():
            state = self._state(finding, moment)
            if state is not None:
                states.append(state)
        return states

    def _state(self, finding: Finding, moment: datetime) -> FindingState | None:
        assert finding.id is not None
        changes = [c for c in self.transitions.get(finding.id, []) if c.at < moment]
        if not changes:
            if not self.transitions.get(finding.id) and as_utc(finding.first_seen) < moment:
                # No history at all (imported from elsewhere): take the row as it is.
                return FindingState(finding, finding.status, as_utc(finding.first_seen),
                                    accepted_until=finding.accepted_until)
            return None
        last = changes[-1]
        opened = next((c.at for c in reversed(changes) if c.to_status == "open"
                       and c.from_status in (None, "resolved")), changes[0].at)
        if last.to_status != "risk_accepted":
            return FindingState(finding, last.to_status, opened)
        until = next((expiry for at, expiry in reversed(self._expiries.get(finding.id, [])) if at <= last.at), None)
        if until is None and finding.status == "risk_accepted":
            until = finding.accepted_until
        return FindingState(finding, "risk_accepted", opened, accepted_at=last.at, accepted_by=last.actor,
                            accepted_reason=last.reason, accepted_until=until)

    def changes_between(self, start: datetime, end: datetime) -> list[Transition]:
        """Every status change in ``[start, end)``, oldest first."""
        found = [c for changes in self.transitions.values() for c in changes if start <= c.at < end]
        return sorted(found, key=lambda c: (c.at, c.finding_id))
