"""What a vendor manager does with a finding: acknowledge it, accept the risk until a date, resolve it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from vendorwatch.clock import DEFAULT_ZONE, Clock, as_utc, local_time
from vendorwatch.db.tables import Finding
from vendorwatch.errors import VendorWatchError
from vendorwatch.findings.lifecycle import transition
from vendorwatch.i18n import t

MAX_ACCEPTANCE_DAYS = 1095  # three years: the registry's default for organization.max_risk_acceptance_days


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
    if finding.status == "acknowledged":
        return finding  # already owned: no new history entry, no audit entry
    transition(session, finding, "acknowledged", actor=actor, reason=reason or "確認 / acknowledged", clock=clock)
    return finding


def accept_risk(session: Session, finding_id: int, *, actor: str, reason: str | None, until: datetime,
                clock: Clock, max_days: int = MAX_ACCEPTANCE_DAYS, zone: str = DEFAULT_ZONE) -> Finding:
    """Risk accepted until a date (required, in the future, at most ``max_days`` ahead: the registry's
    ``organization.max_risk_acceptance_days``); afterwards the next evaluation reopens it."""
    finding = _load(session, finding_id)
    text = _need_reason(reason)
    expiry = as_utc(until)
    shown = local_time(expiry, zone)
    if expiry <= clock.now():
        raise TriageError(t(f"受容期限 {shown} は過去です", f"the expiry {shown} is in the past"))
    latest = clock.now() + timedelta(days=max_days)
    if expiry > latest:
        raise TriageError(t(f"受容期限 {shown} は長すぎます（最長 {max_days} 日、{local_time(latest, zone)} まで）",
                            f"the expiry {shown} is too far ahead (at most {max_days} days, until "
                            f"{local_time(latest, zone)})"))
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
