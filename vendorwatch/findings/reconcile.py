"""Reconcile an evaluation with the stored findings, by fingerprint (check, vendor, subject).

- new: open;
- still present: last seen and evidence updated; acknowledged stays acknowledged; a resolved finding that
  is back reopens; a risk acceptance holds until ``accepted_until``, then the finding reopens;
- gone: resolved, with why.

Only checks that ran to the end may resolve their findings: a check that failed says nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from vendorwatch.checks.engine import CheckOutcome
from vendorwatch.checks.model import FindingDraft
from vendorwatch.clock import Clock
from vendorwatch.db.tables import Finding
from vendorwatch.findings.fingerprint import fingerprint
from vendorwatch.findings.lifecycle import SYSTEM_ACTOR, transition


@dataclass
class ReconcileSummary:
    """What reconciliation changed: counts per kind of change and the ids of findings touched."""

    counts: Counter[str] = field(default_factory=Counter)
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


def _merge(drafts: list[FindingDraft]) -> FindingDraft:
    """Two drafts of one fingerprint (one check yielding the subject twice) become one, evidence united."""
    first = drafts[0]
    for other in drafts[1:]:
        first.evidence.event_ids.extend(other.evidence.event_ids)
        first.evidence.principals.extend(other.evidence.principals)
    return first


def reconcile(session: Session, outcomes: list[CheckOutcome], clock: Clock,
              actor: str = SYSTEM_ACTOR) -> ReconcileSummary:
    """Apply one evaluation's outcomes to the findings table (in the caller's transaction)."""
    summary = ReconcileSummary()
    now = clock.now()
    ran = {o.check.id: o for o in outcomes if o.ok}
    if not ran:
        return summary
    existing = {f.fingerprint: f for f in session.exec(select(Finding).where(col(Finding.check_id).in_(list(ran))))}
    for check_id, outcome in ran.items():
        meta = outcome.check.meta
        grouped: dict[str, list[FindingDraft]] = {}
        for draft in outcome.drafts:
            grouped.setdefault(fingerprint(check_id, draft.vendor_id, draft.subject), []).append(draft)
        for key, drafts in grouped.items():
            draft = _merge(drafts)
            evidence = draft.evidence.as_json()
            if draft.message is not None:
                evidence["message"] = draft.message.model_dump()
            severity = draft.severity or meta.severity
            finding = existing.pop(key, None)
            if finding is None:
                finding = Finding(fingerprint=key, check_id=check_id, control_id=meta.control, vendor_id=draft.vendor_id,
                                  subject=draft.subject, severity=severity, status="open", first_seen=now,
                                  last_seen=now, evidence=evidence)
                transition(session, finding, "open", actor=actor, reason="detected / 検出", clock=clock)
                summary.counts["new"] += 1
                assert finding.id is not None
                summary.opened.append(finding.id)
                continue
            finding.last_seen = now
            finding.evidence = evidence
            finding.severity = severity
            finding.control_id = meta.control
            session.add(finding)
            if finding.status == "resolved":
                transition(session, finding, "open", actor=actor,
                           reason="condition present again / 再び検出", clock=clock)
                summary.counts["reopened"] += 1
                assert finding.id is not None
                summary.opened.append(finding.id)
            elif finding.status == "risk_accepted" and finding.accepted_until is not None and finding.accepted_until <= now:
                until = finding.accepted_until.isoformat()
                transition(session, finding, "open", actor=actor,
                           reason=f"risk acceptance expired {until} / リスク受容期限切れ", clock=clock)
                summary.counts["acceptance_expired"] += 1
            else:
                summary.counts["still_present"] += 1
        for key in [k for k, f in existing.items() if f.check_id == check_id]:
            finding = existing.pop(key)
            if finding.status == "resolved":
                continue
            transition(session, finding, "resolved", actor=actor,
                       reason=f"condition no longer present at evaluation {now.isoformat()} / 条件が解消",
                       clock=clock)
            summary.counts["resolved"] += 1
            assert finding.id is not None
            summary.resolved.append(finding.id)
    session.flush()
    return summary
