"""How long portal secrets and sessions live, and when failures lock an account or slow a client down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from vendorwatch.settings import Settings


@dataclass(frozen=True)
class PortalPolicy:
    """Lifetimes and limits of the portal's sign-in (defaults follow NIST SP 800-63B's guidance for AAL2)."""

    enrolment_valid: timedelta = timedelta(days=7)
    code_valid: timedelta = timedelta(minutes=10)
    challenge_valid: timedelta = timedelta(minutes=5)
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    max_failures: int = 5  # wrong codes or failed passkey checks in a row lock the account ...
    lockout: timedelta = timedelta(minutes=15)  # ... for this long
    code_tries: int = 3  # wrong entries of one code before it is spent
    codes_per_window: int = 3  # codes an account may be sent per window
    client_failures: int = 20  # failed sign-in steps from one address per window before it is refused (429)
    window: timedelta = timedelta(minutes=15)
    touch_every: timedelta = timedelta(seconds=60)  # a session's last-seen time is written at most this often

    @classmethod
    def from_settings(cls, settings: Settings) -> PortalPolicy:
        """From ``VENDORWATCH_PORTAL_IDLE_MINUTES``, ``..._SESSION_HOURS`` and ``..._INVITE_DAYS``."""
        return cls(enrolment_valid=timedelta(days=settings.portal_invite_days),
                   session_idle=timedelta(minutes=settings.portal_idle_minutes),
                   session_absolute=timedelta(hours=settings.portal_session_hours))
