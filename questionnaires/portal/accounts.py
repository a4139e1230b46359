"""Portal accounts of vendor contacts: invitation (a single-use, expiring enrolment link), enrolment, lockout, and
the audited outcome of every sign-in.

A contact of the registry (``vendors[].contacts``) gets an account through ``invite``; the link's token is
returned once (for the e-mail) and stored hashed. Opening the link lets the contact register a passkey (or choose
e-mail codes); the link then is spent. ``MAX_FAILURES`` failed sign-in steps in a row lock the account for
``LOCKOUT``. Every sign-in, successful or not, is in the audit log (``portal.signin.success``/``.failure``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from questionnaires.contacts import FailureReason, registry_in_force, still_a_contact
from questionnaires.contacts import PortalError as PortalError  # re-exported: the portal's and the CLI's name for it
from questionnaires.contacts import find_account as find_account
from questionnaires.contacts import refusal_for as refusal_for
from questionnaires.contacts import set_disabled as set_disabled
from questionnaires.portal import tokens
from questionnaires.portal.policy import PortalPolicy
from questionnaires.portal.throttle import record_failure
from questionnaires.respondent import Respondent, respondent_for
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import PORTAL_SIGNIN_FAILURE, PortalAccount, PortalToken
from vendorwatch.i18n import t
from vendorwatch.registry.models import Registry

Method = Literal["passkey", "email_code", "enrolment"]

@dataclass(frozen=True)
class Contact:
    """A signed-in contact: their account, vendor and address."""

    account_id: int
    vendor_id: str
    email: str
    name: str | None

    def respondent(self) -> Respondent:
        """The respondent the questionnaire domain acts for."""
        return Respondent(self.vendor_id, self.email, "portal")


@dataclass(frozen=True)
class SignInResult:
    """A contact, or why the sign-in was refused (the reason is for the audit log, not for the page)."""

    contact: Contact | None
    reason: FailureReason | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        """Whether the sign-in succeeded."""
        return self.contact is not None


@dataclass(frozen=True)
class Invitation:
    """An account and the clear enrolment token to send (never stored, never shown again)."""

    account: PortalAccount
    token: str
    expires_at: datetime


def contact_of(account: PortalAccount) -> Contact:
    """The contact an account signs in as."""
    assert account.id is not None
    return Contact(account.id, account.vendor_id, account.email, account.name)


def actor(email: str) -> str:
    """The audit log's actor for a contact."""
    return f"contact:{email}"


def list_accounts(session: Session, vendor_id: str | None = None) -> list[PortalAccount]:
    """Accounts, by vendor and address."""
    query = select(PortalAccount)
    if vendor_id is not None:
        query = query.where(PortalAccount.vendor_id == vendor_id)
    return list(session.exec(query.order_by(col(PortalAccount.vendor_id), col(PortalAccount.email))))


def invite(session: Session, registry: Registry, vendor_id: str, email: str, *, actor_name: str, clock: Clock,
           policy: PortalPolicy | None = None) -> Invitation:
    """Create (or reuse) the contact's account and issue a new enrolment link; earlier unused links are spent."""
    rules = policy or PortalPolicy()
    respondent = respondent_for(registry, vendor_id, email)  # refused unless a contact of that vendor
    contact = next(c for c in registry.vendor(vendor_id).contacts if str(c.email).lower() == respondent.email)
    now = clock.now()
    account = find_account(session, respondent.email)
    if account is not None and account.vendor_id != vendor_id:
        raise PortalError(t(f"{respondent.email} は既に {account.vendor_id} のアカウントです（1 つのアドレスに 1 社）",
                            f"{respondent.email} already has an account for {account.vendor_id} (one vendor per address)"))
    if account is not None and account.disabled_at is not None:
        raise PortalError(t(f"{respondent.email} のアカウントは無効化されています",
                            f"the account of {respondent.email} is disabled"))
    if account is None:
        account = PortalAccount(vendor_id=vendor_id, email=respondent.email, name=contact.name,
                                user_handle=secrets.token_urlsafe(32), created_at=now, created_by=actor_name)
        session.add(account)
        session.flush()
    assert account.id is not None
    tokens.spend_others(session, account.id, "enrol", now)
    secret = tokens.new_secret()
    expires = now + rules.enrolment_valid
    session.add(PortalToken(purpose="enrol", token_hash=tokens.secret_hash(secret), account_id=account.id,
                            created_at=now, created_by=actor_name, expires_at=expires))
    audit.record(session, actor=actor_name, action="portal.invite", target=f"portal:account:{account.id}",
                 details={"vendor": vendor_id, "email": account.email, "expires_at": expires.isoformat(),
                          "reinvite": account.enrolled_at is not None}, clock=clock)
    session.flush()
    return Invitation(account, secret, expires)


# --- enrolment ----------------------------------------------------------------------------------------------


def _enrolment_token(session: Session, secret: str) -> PortalToken | None:
    return session.exec(select(PortalToken).where(PortalToken.token_hash == tokens.secret_hash(secret),
                                                  PortalToken.purpose == "enrol")).first()


def open_enrolment(session: Session, secret: str, *, clock: Clock, client: str | None,
                   registry: Registry | None = None) -> PortalAccount | None:
    """The account an enrolment link is for, while the link is unused and unexpired and its address is still a
    contact of the vendor in the registry; a bad link is a failure."""
    token = _enrolment_token(session, secret) if secret else None
    account = session.get(PortalAccount, token.account_id) if token is not None and token.account_id else None
    usable = token is not None and account is not None and tokens.is_usable(token, clock.now()) \
        and account.disabled_at is None
    removed = account is not None and not still_a_contact(account, registry_in_force(session, registry))
    if not usable or removed:
        record_failure(session, client, "invalid_link", clock=clock)
        audit.record(session, actor=actor(account.email) if account else "portal:anonymous",
                     action="portal.enrol.refused", target=f"portal:account:{account.id}" if account else "portal",
                     details={"reason": "not_a_contact" if removed else "invalid_link", "client": client,
                              "expired": bool(token and token.expires_at <= clock.now()),
                              "used": bool(token and token.used_at)}, clock=clock)
        return None
    return account


def complete_enrolment(session: Session, secret: str, *, method: Method, clock: Clock, client: str | None) -> Contact:
    """Spend the link and mark the account enrolled (after its passkey is registered, or for e-mail codes)."""
    token = _enrolment_token(session, secret)
    now = clock.now()
    if token is None or not tokens.is_usable(token, now) or token.account_id is None:
        raise PortalError(t("この登録リンクは無効か期限切れです", "this enrolment link is invalid or has expired"))
    account = session.get(PortalAccount, token.account_id)
    assert account is not None
    token.used_at = now
    account.enrolled_at = account.enrolled_at or now
    session.add(token)
    session.add(account)
    audit.record(session, actor=actor(account.email), action="portal.enrol", target=f"portal:account:{account.id}",
                 details={"vendor": account.vendor_id, "method": method, "client": client}, clock=clock)
    return signed_in(session, account, method="enrolment", clock=clock, client=client,
                     extra={"credential": method}).contact or contact_of(account)


# --- sign-in outcomes ---------------------------------------------------------------------------------------


def refused(session: Session, *, account: PortalAccount | None, given: str, method: str, reason: FailureReason,
            clock: Clock, client: str | None, policy: PortalPolicy | None = None, counts: bool = True,
            extra: dict[str, Any] | None = None) -> SignInResult:
    """Audit a failed sign-in step, count it against the address, and against the account (lockout) if ``counts``."""
    rules = policy or PortalPolicy()
    details: dict[str, Any] = {"method": method, "reason": reason, "client": client, **(extra or {})}
    if account is not None and counts and reason not in ("locked", "disabled", "not_enrolled", "not_a_contact"):
        account.failed_attempts += 1
        details["failed_attempts"] = account.failed_attempts
        if account.failed_attempts >= rules.max_failures:
            account.locked_until = clock.now() + rules.lockout
            account.failed_attempts = 0
            details["locked_until"] = account.locked_until.isoformat()
        session.add(account)
    record_failure(session, client, reason, clock=clock)
    who = account.email if account is not None else (given.strip().lower()[:254] or "?")
    audit.record(session, actor=actor(who), action=PORTAL_SIGNIN_FAILURE,
                 target=f"portal:account:{account.id}" if account is not None else "portal",
                 details=details, clock=clock)
    return SignInResult(None, reason, account.locked_until if account is not None else None)


def signed_in(session: Session, account: PortalAccount, *, method: Method, clock: Clock, client: str | None,
              extra: dict[str, Any] | None = None) -> SignInResult:
    """Audit a successful sign-in and clear the failure count."""
    account.failed_attempts = 0
    account.locked_until = None
    account.last_signin_at = clock.now()
    session.add(account)
    audit.record(session, actor=actor(account.email), action="portal.signin.success",
                 target=f"portal:account:{account.id}",
                 details={"vendor": account.vendor_id, "method": method, "client": client, **(extra or {})}, clock=clock)
    return SignInResult(contact_of(account))
