"""What a vendor manager does with a finding: acknowledge it, accept the risk until a date, resolve it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from vendorwatch.clock import Clock, as_utc
from vendorwatch.db.tables import Finding
from vendorwatch.errors import VendorWatchError
from vendorwatch.findings.lifecycle import transition
from vendorwatch.i18n import t


class TriageError(VendorWatchError):
    """A triage request that cannot be applied (unknown finding, missing reason, past expiry...)."""


def _load(session: Session, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise TriageError(t(f"指摘事項 {finding_id} はありません", f"there is no finding {finding_id}"))
    return finding


def _need_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise TriageError(t("理由（--reason）を入力してください", "give a reason (--reason)"))
    return reason.strip()


def acknowledge(session: Session, finding_id: int, *, actor: str, reason: str | None, clock: Clock) -> Finding:
    """Acknowledged: someone owns it; it stays acknowledged while the condition is present."""
    finding = _load(session, finding_id)
    if finding.status == "resolved":
        raise TriageError(t(f"指摘事項 {finding_id} は解決済みです", f"finding {finding_id} is already resolved"))
    transition(session, finding, "acknowledged", actor=actor, reason=reason or "acknowledged / 確認", clock=clock)
    return finding


def accept_risk(session: Session, finding_id: int, *, actor: str, reason: str | None, until: datetime,
                clock: Clock) -> Finding:
    """Risk accepted until a date (required, in the future); afterwards the next evaluation reopens it."""
    finding = _load(session, finding_id)
    text = _need_reason(reason)
    expiry = as_utc(until)
    if expiry <= clock.now():
        raise TriageError(t(f"受容期限 {expiry.isoformat()} は過去です", f"the expiry {expiry.isoformat()} is in the past"))
    if finding.status == "resolved":
        raise TriageError(t(f"指摘事項 {finding_id} は解決済みです", f"finding {finding_id} is already resolved"))
    finding.accepted_until = expiry
    transition(session, finding, "risk_accepted", actor=actor, reason=text, clock=clock)
    return finding


def resolve(session: Session, finding_id: int, *, actor: str, reason: str | None, clock: Clock) -> Finding:
    """Resolved by a person (with why); if the condition is still there, the next evaluation reopens it."""
    finding = _load(session, finding_id)
    text = _need_reason(reason)
    if finding.status == "resolved":
        raise TriageError(t(f"指摘事項 {finding_id} は解決済みです", f"finding {finding_id} is already resolved"))
    transition(session, finding, "resolved", actor=actor, reason=text, clock=clock)
    return finding
