"""Reconcile an evaluation with the stored findings, by fingerprint (check, vendor, subject).

- new: open;
- still present: last seen and evidence updated; acknowledged stays acknowledged; a resolved finding that
  is back reopens, except one a person resolved whose evidence events all happened before the resolution (a
  past incident, still inside a check's look-back window, is not new); a risk acceptance holds until
  ``accepted_until``, then the finding reopens;
- gone: resolved, with why.

Only checks that ran to the end may resolve their findings: a check that failed says nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from vendorwatch.checks.engine import CheckOutcome
from vendorwatch.checks.model import FindingDraft
from vendorwatch.clock import Clock
from vendorwatch.db.tables import Finding, FindingHistory
from vendorwatch.findings.family import event_times
from vendorwatch.findings.fingerprint import fingerprint
from vendorwatch.findings.lifecycle import SYSTEM_ACTOR, transition


@dataclass
class _Pending:
    """One fingerprint's draft of this evaluation, its drafts merged, with its stored evidence."""

    check_id: str
    key: str
    draft: FindingDraft
    evidence: dict[str, Any]


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


def _event_periods(session: Session, pending: list[_Pending]) -> dict[str, dict[str, tuple[datetime, datetime]]]:
    """The stored times of every draft's evidence events, per vendor: one lookup per vendor (among its family's
    sources) for the whole evaluation; a lookup per draft scanned the family's events once per finding."""
    wanted: dict[str, set[str]] = {}
    for item in pending:
        if item.draft.vendor_id is not None:
            wanted.setdefault(item.draft.vendor_id, set()).update(item.evidence["event_ids"])
    return {vendor_id: event_times(session, vendor_id, ids) for vendor_id, ids in wanted.items() if ids}


def _period(known: dict[str, tuple[datetime, datetime]], event_ids: list[str]) -> tuple[datetime | None, datetime | None]:
    """The first and last time of a draft's evidence events (None, None without stored events)."""
    spans = [known[e] for e in event_ids if e in known]
    if not spans:
        return None, None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _past_incident(session: Session, finding: Finding, last_event: datetime | None) -> bool:
    """A person resolved it, and every evidence event happened before that: nothing new to reopen it for."""
    if last_event is None or finding.resolved_at is None or last_event > finding.resolved_at:
        return False
    latest = session.exec(select(FindingHistory).where(FindingHistory.finding_id == finding.id)
                          .order_by(col(FindingHistory.id).desc()).limit(1)).first()
    return latest is not None and latest.to_status == "resolved" and latest.actor != SYSTEM_ACTOR


def reconcile(session: Session, outcomes: list[CheckOutcome], clock: Clock,
              actor: str = SYSTEM_ACTOR) -> ReconcileSummary:
    """Apply one evaluation's outcomes to the findings table (in the caller's transaction)."""
    summary = ReconcileSummary()
    now = clock.now()
    ran = {o.check.id: o for o in outcomes if o.ok}
    if not ran:
        return summary
    existing = {f.fingerprint: f for f in session.exec(select(Finding).where(col(Finding.check_id).in_(list(ran))))}
    pending: list[_Pending] = []
    for check_id, outcome in ran.items():
        grouped: dict[str, list[FindingDraft]] = {}
        for draft in outcome.drafts:
            grouped.setdefault(fingerprint(check_id, draft.vendor_id, draft.subject), []).append(draft)
        for key, drafts in grouped.items():
            draft = _merge(drafts)
            evidence = draft.evidence.as_json()
            if draft.message is not None:
                evidence["message"] = draft.message.model_dump()
            pending.append(_Pending(check_id, key, draft, evidence))
    times = _event_periods(session, pending)
    by_check: dict[str, list[_Pending]] = {}
    for item in pending:
        by_check.setdefault(item.check_id, []).append(item)
    for check_id, outcome in ran.items():
        meta = outcome.check.meta
        for item in by_check.get(check_id, []):
            key, draft, evidence = item.key, item.draft, item.evidence
            severity = draft.severity or meta.severity
            first_event, last_event = _period(times.get(draft.vendor_id or "", {}), evidence["event_ids"])
            finding = existing.pop(key, None)
            if finding is None:
                finding = Finding(fingerprint=key, check_id=check_id, control_id=meta.control, vendor_id=draft.vendor_id,
                                  subject=draft.subject, severity=severity, status="open", first_seen=now,
                                  last_seen=now, evidence=evidence, first_event_at=first_event,
                                  last_event_at=last_event)
                transition(session, finding, "open", actor=actor, reason="検出 / detected", clock=clock)
                summary.counts["new"] += 1
                assert finding.id is not None
                summary.opened.append(finding.id)
                continue
            if finding.status == "resolved" and _past_incident(session, finding, last_event):
                summary.counts["kept_resolved"] += 1
                continue
            finding.last_seen = now
            finding.evidence = evidence
            finding.first_event_at = first_event
            finding.last_event_at = last_event
            finding.severity = severity
            finding.control_id = meta.control
            session.add(finding)
            if finding.status == "resolved":
                transition(session, finding, "open", actor=actor,
                           reason="再び検出 / condition present again", clock=clock)
                summary.counts["reopened"] += 1
                assert finding.id is not None
                summary.opened.append(finding.id)
            elif finding.status == "risk_accepted" and finding.accepted_until is not None and finding.accepted_until <= now:
                until = finding.accepted_until.isoformat()
                transition(session, finding, "open", actor=actor,
                           reason=f"リスク受容期限切れ {until} / risk acceptance expired {until}", clock=clock)
                summary.counts["acceptance_expired"] += 1
            else:
                summary.counts["still_present"] += 1
        for key in [k for k, f in existing.items() if f.check_id == check_id]:
            finding = existing.pop(key)
            if finding.status == "resolved":
                continue
            transition(session, finding, "resolved", actor=actor,
                       reason=f"条件が解消（評価 {now.isoformat()}）/ "
                              f"condition no longer present at evaluation {now.isoformat()}",
                       clock=clock)
            summary.counts["resolved"] += 1
            assert finding.id is not None
            summary.resolved.append(finding.id)
    session.flush()
    return summary
