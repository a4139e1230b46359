"""Rate limiting by client address: failed sign-in steps are counted per address over a window (in the database,
so that every portal process behind a load balancer sees the same count)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from questionnaires.portal.policy import PortalPolicy
from vendorwatch.clock import Clock
from vendorwatch.db.tables import PortalAttempt


def client_key(client: str | None) -> str:
    """The address as stored (at most 64 characters; unknown clients share one bucket)."""
    return (client or "unknown")[:64]


def record_failure(session: Session, client: str | None, kind: str, *, clock: Clock) -> None:
    """Count one failed step (a wrong code, a failed passkey, an unknown or expired link)."""
    session.add(PortalAttempt(client=client_key(client), at=clock.now(), kind=kind[:24]))
    session.flush()


def failures(session: Session, client: str | None, policy: PortalPolicy, *, clock: Clock) -> int:
    """Failed steps from this address within the window."""
    since = clock.now() - policy.window
    count = session.exec(select(func.count()).select_from(PortalAttempt).where(
        PortalAttempt.client == client_key(client), col(PortalAttempt.at) > since)).one()
    return int(count)


def is_throttled(session: Session, client: str | None, policy: PortalPolicy, *, clock: Clock) -> bool:
    """Whether this address has failed too often lately to be allowed another try."""
    return failures(session, client, policy, clock=clock) >= policy.client_failures
