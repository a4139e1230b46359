"""Vendor contacts' portal accounts, the rules that need no web: whether an account can sign in right now, where
its invitation stands, which passkeys are in force, and disabling or enabling an account (audited).

The portal (``questionnaires.portal``, an entry point nothing below the CLI imports) acts on these; the
dashboard's read model (``vendorwatch.views.portal_contacts``) reads them, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from questionnaires.errors import QuestionnaireError
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import PortalAccount, PortalCredential, PortalToken
from vendorwatch.i18n import t
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import imported_registry

FailureReason = Literal["unknown_email", "unknown_credential", "not_enrolled", "disabled", "locked", "wrong_code",
                        "expired_code", "passkey_invalid", "invalid_link", "throttled", "not_a_contact"]
Enrolment = Literal["enrolled", "pending", "expired", "not_invited"]


class PortalError(QuestionnaireError):
    """A portal account request that cannot be carried out (with a bilingual message for the page or the CLI)."""


def token_is_usable(token: PortalToken | None, now: datetime) -> bool:
    """A single-use secret still accepted: unused and not expired."""
    return token is not None and token.used_at is None and token.expires_at > now


def still_a_contact(account: PortalAccount, registry: Registry | None) -> bool:
    """Whether the account's address is still a contact of its vendor in the registry in force (``None``: no
    registry imported, so no one is)."""
    if registry is None:
        return False
    vendor = next((v for v in registry.vendors if v.id == account.vendor_id), None)
    return vendor is not None and any(str(c.email).lower() == account.email.lower() for c in vendor.contacts)


def registry_in_force(session: Session, registry: Registry | None) -> Registry | None:
    """The registry a caller holds (the portal keeps the parsed one per import), else the one last imported."""
    return registry if registry is not None else imported_registry(session)


def refusal_for(account: PortalAccount, now: datetime, registry: Registry | None) -> FailureReason | None:
    """Why an account cannot sign in right now, if it cannot: disabled, no longer a contact of its vendor in the
    registry (removed contacts lose the portal at once, whatever their sessions or links), not enrolled, locked."""
    if account.disabled_at is not None:
        return "disabled"
    if not still_a_contact(account, registry):
        return "not_a_contact"
    if account.enrolled_at is None:
        return "not_enrolled"
    if is_locked(account, now):
        return "locked"
    return None


def is_locked(account: PortalAccount, now: datetime) -> bool:
    """Whether too many failed sign-in steps in a row lock the account right now."""
    return account.locked_until is not None and account.locked_until > now


def enrolment_state(account: PortalAccount | None, invitation: PortalToken | None, now: datetime) -> Enrolment:
    """Enrolled; invited with a link still usable (pending) or no longer (expired, or spent without enrolling);
    or no account at all (not invited). ``invitation`` is the account's newest enrolment link."""
    if account is None:
        return "not_invited"
    if account.enrolled_at is not None:
        return "enrolled"
    return "pending" if token_is_usable(invitation, now) else "expired"


def latest_invitations(session: Session, account_ids: Iterable[int]) -> dict[int, PortalToken]:
    """Each account's newest enrolment link (the one ``invite`` sent last)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    newest: dict[int, PortalToken] = {}
    for token in session.exec(select(PortalToken).where(col(PortalToken.account_id).in_(ids),
                                                        PortalToken.purpose == "enrol").order_by(col(PortalToken.id))):
        assert token.account_id is not None
        newest[token.account_id] = token
    return newest


def passkey_counts(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    """How many passkeys each account has in force (registered and not revoked)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = session.exec(select(PortalCredential.account_id, func.count()).where(
        col(PortalCredential.account_id).in_(ids), col(PortalCredential.revoked_at).is_(None))
        .group_by(col(PortalCredential.account_id)))
    return {int(account_id): int(count) for account_id, count in rows}


def find_account(session: Session, email: str) -> PortalAccount | None:
    """The account with this e-mail address (any case)."""
    return session.exec(select(PortalAccount).where(PortalAccount.email == email.strip().lower())).first()


def set_disabled(session: Session, email: str, *, disabled: bool, actor_name: str, clock: Clock) -> PortalAccount:
    """Disable an account (its sessions end at their next request) or enable it again (which lifts a lockout)."""
    account = find_account(session, email)
    if account is None:
        raise PortalError(t(f"{email} のポータルアカウントはありません", f"there is no portal account for {email}"))
    return change_disabled(session, account, disabled=disabled, actor_name=actor_name, clock=clock)


def change_disabled(session: Session, account: PortalAccount, *, disabled: bool, actor_name: str, clock: Clock,
                    via: str | None = None) -> PortalAccount:
    """``set_disabled`` for an account already found (``via`` names the screen in the audit entry)."""
    account.disabled_at = clock.now() if disabled else None
    if not disabled:
        account.failed_attempts = 0
        account.locked_until = None
    session.add(account)
    details = {"vendor": account.vendor_id} | ({"via": via} if via else {})
    audit.record(session, actor=actor_name, action="portal.disable" if disabled else "portal.enable",
                 target=f"portal:account:{account.id}", details=details, clock=clock)
    return account
