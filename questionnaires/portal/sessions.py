"""Portal sessions: a random cookie value (stored hashed) that ends when idle for ``session_idle``, after
``session_absolute``, at sign-out, or when the account is disabled. The last-seen time is written at most every
``touch_every`` so that reading pages does not turn every request into a database write."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import Session, select

from questionnaires.contacts import registry_in_force, still_a_contact
from questionnaires.portal import tokens
from questionnaires.portal.accounts import Contact, Method, actor, contact_of
from questionnaires.portal.policy import PortalPolicy
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import PortalAccount, PortalSession
from vendorwatch.registry.models import Registry


@dataclass(frozen=True)
class ActiveSession:
    """A session in force and its contact."""

    session_id: int
    contact: Contact
    method: str


def start_session(session: Session, contact: Contact, *, method: Method, clock: Clock, client: str | None,
                  policy: PortalPolicy | None = None) -> str:
    """A new session for a signed-in contact; returns the cookie value (only its hash is stored)."""
    rules = policy or PortalPolicy()
    secret = tokens.new_secret()
    now = clock.now()
    session.add(PortalSession(token_hash=tokens.secret_hash(secret), account_id=contact.account_id, method=method,
                              client=(client or "")[:64] or None, created_at=now, last_seen_at=now,
                              expires_at=now + rules.session_absolute))
    session.flush()
    return secret


def _end(session: Session, row: PortalSession, account: PortalAccount | None, reason: str, clock: Clock) -> None:
    row.ended_at = clock.now()
    row.end_reason = reason
    session.add(row)
    if account is not None:
        audit.record(session, actor=actor(account.email), action="portal.signout", target=f"portal:account:{account.id}",
                     details={"vendor": account.vendor_id, "reason": reason, "session": row.id}, clock=clock)


def resume(session: Session, secret: str | None, *, clock: Clock, policy: PortalPolicy | None = None,
           registry: Registry | None = None) -> ActiveSession | None:
    """The session a cookie names, if it is still in force (an expired one is ended here, audited; so is the
    session of an account disabled, or whose address is no longer a contact of its vendor in the registry)."""
    if not secret:
        return None
    rules = policy or PortalPolicy()
    row = session.exec(select(PortalSession).where(PortalSession.token_hash == tokens.secret_hash(secret))).first()
    if row is None or row.ended_at is not None or row.id is None:
        return None
    account = session.get(PortalAccount, row.account_id)
    now = clock.now()
    if account is None or account.disabled_at is not None:
        _end(session, row, account, "disabled", clock)
        return None
    if not still_a_contact(account, registry_in_force(session, registry)):
        _end(session, row, account, "not_a_contact", clock)
        return None
    if now >= row.expires_at:
        _end(session, row, account, "expired", clock)
        return None
    if now - row.last_seen_at >= rules.session_idle:
        _end(session, row, account, "idle", clock)
        return None
    if now - row.last_seen_at >= rules.touch_every:
        row.last_seen_at = now
        session.add(row)
    return ActiveSession(row.id, contact_of(account), row.method)


def end_session(session: Session, secret: str | None, *, reason: str, clock: Clock) -> None:
    """Sign out: the session's cookie no longer works."""
    if not secret:
        return
    row = session.exec(select(PortalSession).where(PortalSession.token_hash == tokens.secret_hash(secret))).first()
    if row is not None and row.ended_at is None:
        _end(session, row, session.get(PortalAccount, row.account_id), reason, clock)


def csrf_token(binding: str) -> str:
    """The form token of a browser: derived from its session (or pre-session) cookie, which a page of another site
    can neither read nor send along with a form in a strict same-site cookie."""
    return hmac.new(binding.encode(), b"vendorwatch-portal-csrf", hashlib.sha256).hexdigest()
