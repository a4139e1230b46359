"""Showing personal data on a screen: a deliberate, audited act of a vendor manager or administrator."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.errors import VendorWatchError
from vendorwatch.i18n import t
from vendorwatch.staff.accounts import StaffIdentity
from vendorwatch.staff.roles import Permission, require

UNMASK_FOR = timedelta(minutes=15)  # personal data is masked again after this, whatever the user does


def unmask(session: Session, identity: StaffIdentity, *, reason: str, where: str, clock: Clock) -> datetime:
    """Record why this user shows personal data (on which screen); returns when it is masked again."""
    require(identity.role, Permission.UNMASK)
    text = reason.strip()
    if not text:
        raise VendorWatchError(t("個人情報を表示する理由を入力してください", "give the reason for showing personal data"))
    until = clock.now() + UNMASK_FOR
    audit.record(session, actor=identity.name, action="personal_data.unmask", target=f"dashboard:{where}",
                 details={"reason": text[:500], "until": until.isoformat(), "role": identity.role.value}, clock=clock)
    return until


def mask_again(session: Session, identity: StaffIdentity, *, why: str, clock: Clock) -> None:
    """Record that personal data is masked again (by the user or because the time ran out)."""
    audit.record(session, actor=identity.name, action="personal_data.mask", target="dashboard",
                 details={"why": why}, clock=clock)
