"""The staff accounts and their recent sign-ins, for the administrators' page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from vendorwatch.clock import Clock, as_utc
from vendorwatch.db.core_tables import AUDIT, STAFF
from vendorwatch.views.personal import Masker

SIGN_IN_ACTIONS = ("signin.success", "signin.failure", "signout")


@dataclass(frozen=True)
class StaffRow:
    """One account as an administrator sees it."""

    name: str
    display_name: str
    role: str
    email: str
    method: str  # "password" | "oidc"
    state: str  # "active" | "locked" | "disabled"
    locked_until: datetime | None
    last_signin_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class SignInRow:
    """A sign-in, a refusal or a sign-out, from the audit log."""

    at: datetime
    actor: str
    action: str
    method: str
    reason: str
    client: str


def staff_accounts(session: Session, clock: Clock, masker: Masker) -> tuple[StaffRow, ...]:
    """Every account, by name (e-mail addresses masked unless unmasked)."""
    now = clock.now()
    rows = []
    for user in session.execute(select(STAFF).order_by(STAFF.c.name)):
        locked = as_utc(user.locked_until) if user.locked_until else None
        state = "disabled" if user.disabled_at else ("locked" if locked and locked > now else "active")
        rows.append(StaffRow(user.name, user.display_name or "", user.role, masker.email(user.email),
                             "password" if user.password_hash else "oidc", state, locked if state == "locked" else None,
                             as_utc(user.last_signin_at) if user.last_signin_at else None, as_utc(user.created_at)))
    return tuple(rows)


def recent_sign_ins(session: Session, *, limit: int = 50) -> tuple[SignInRow, ...]:
    """The newest sign-ins, refusals and sign-outs (read backwards along the audit log's primary key)."""
    rows = session.execute(
        select(AUDIT.c.at, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.details)
        .where(AUDIT.c.action.in_(SIGN_IN_ACTIONS)).order_by(AUDIT.c.id.desc()).limit(limit)
    )
    return tuple(SignInRow(as_utc(r.at), r.actor, r.action, str((r.details or {}).get("method") or ""),
                           str((r.details or {}).get("reason") or ""), str((r.details or {}).get("client") or ""))
                 for r in rows)
