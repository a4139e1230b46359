"""One-time sign-in codes by e-mail, the fallback to passkeys: six digits, valid ``code_valid``, ``code_tries``
wrong entries spend a code, a new code supersedes the last, at most ``codes_per_window`` codes per window.

``issue_code`` returns the clear code for the caller to mail (it is stored salted and hashed) or None; a caller
shows the same page either way, so the form does not reveal which addresses have accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from questionnaires.contacts import registry_in_force
from questionnaires.portal import tokens
from questionnaires.portal.accounts import (
    SignInResult,
    actor,
    find_account,
    refusal_for,
    refused,
    signed_in,
)
from questionnaires.portal.policy import PortalPolicy
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import PortalAccount, PortalToken
from vendorwatch.registry.models import Registry


@dataclass(frozen=True)
class IssuedCode:
    """A code to send, and to whom."""

    account: PortalAccount
    code: str


def issue_code(session: Session, email: str, *, clock: Clock, client: str | None,
               policy: PortalPolicy | None = None, registry: Registry | None = None) -> IssuedCode | None:
    """A new code for an enrolled, enabled, unlocked account; None (audited) otherwise."""
    rules = policy or PortalPolicy()
    account = find_account(session, email) if email.strip() else None
    now = clock.now()
    if account is None:
        refused(session, account=None, given=email, method="email_code", reason="unknown_email", clock=clock,
                client=client, policy=rules, extra={"step": "request_code"})
        return None
    reason = refusal_for(account, now, registry_in_force(session, registry))
    if reason is not None:
        refused(session, account=account, given=email, method="email_code", reason=reason, clock=clock, client=client,
                policy=rules, counts=False, extra={"step": "request_code"})
        return None
    assert account.id is not None
    recent = session.exec(select(func.count()).select_from(PortalToken).where(
        PortalToken.account_id == account.id, PortalToken.purpose == "email_code",
        col(PortalToken.created_at) > now - rules.window)).one()
    if int(recent) >= rules.codes_per_window:
        refused(session, account=account, given=email, method="email_code", reason="throttled", clock=clock,
                client=client, policy=rules, counts=False, extra={"step": "request_code"})
        return None
    tokens.spend_others(session, account.id, "email_code", now)
    code = tokens.new_code()
    salt = tokens.new_secret()
    session.add(PortalToken(purpose="email_code", token_hash=tokens.salted_hash(salt, code), salt=salt,
                            account_id=account.id, created_at=now, expires_at=now + rules.code_valid))
    audit.record(session, actor=actor(account.email), action="portal.code.issue", target=f"portal:account:{account.id}",
                 details={"vendor": account.vendor_id, "client": client,
                          "expires_at": (now + rules.code_valid).isoformat()}, clock=clock)
    session.flush()
    return IssuedCode(account, code)


def sign_in_with_code(session: Session, email: str, code: str, *, clock: Clock, client: str | None,
                      policy: PortalPolicy | None = None, registry: Registry | None = None) -> SignInResult:
    """Check a code; a wrong one counts towards the code's tries and the account's lockout."""
    rules = policy or PortalPolicy()
    account = find_account(session, email) if email.strip() else None
    now = clock.now()
    if account is None:
        return refused(session, account=None, given=email, method="email_code", reason="unknown_email", clock=clock,
                       client=client, policy=rules)
    reason = refusal_for(account, now, registry_in_force(session, registry))
    if reason is not None:
        return refused(session, account=account, given=email, method="email_code", reason=reason, clock=clock,
                       client=client, policy=rules)
    assert account.id is not None
    token = tokens.latest(session, account.id, "email_code")
    given = "".join(ch for ch in code if ch.isdigit())[:12]
    if token is None or not tokens.is_usable(token, now) or token.salt is None:
        return refused(session, account=account, given=email, method="email_code", reason="expired_code", clock=clock,
                       client=client, policy=rules)
    if not tokens.same(tokens.salted_hash(token.salt, given), token.token_hash):
        token.attempts += 1
        if token.attempts >= rules.code_tries:
            token.used_at = now
        session.add(token)
        return refused(session, account=account, given=email, method="email_code", reason="wrong_code", clock=clock,
                       client=client, policy=rules, extra={"code_tries": token.attempts})
    token.used_at = now
    session.add(token)
    return signed_in(session, account, method="email_code", clock=clock, client=client)
