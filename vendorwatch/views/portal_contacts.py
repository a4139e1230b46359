"""Who at a vendor (and its sub-vendors) can use the vendor portal: each contact's account, invitation, sign-in
methods, last sign-in, lockout, whether it is disabled, and its recent failed sign-in steps.

The states come from the portal's own rules (``questionnaires.contacts``); failures are counted from the audit
log (``portal.signin.failure`` entries on the account). The registry's contacts without an account are listed as
not invited; an account whose address is no longer a contact of its vendor in the registry is flagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from questionnaires.contacts import (
    Enrolment,
    enrolment_state,
    is_locked,
    latest_invitations,
    passkey_counts,
    refusal_for,
)
from vendorwatch.clock import Clock
from vendorwatch.db.core_tables import AUDIT
from vendorwatch.db.tables import PORTAL_SIGNIN_FAILURE, PortalAccount
from vendorwatch.registry.models import Registry
from vendorwatch.views.personal import Masker

FAILURE_WINDOW = timedelta(days=30)  # "recent" failed sign-in steps
FAILURE_ACTION = PORTAL_SIGNIN_FAILURE  # the action the partial index ix_audit_log_portal_failures holds


@dataclass(frozen=True)
class PortalContactRow:
    """One contact of a vendor as the portal knows them (e-mail and name masked unless unmasked)."""

    vendor_id: str
    account_id: int | None  # None: a contact of the registry never invited
    email: str
    name: str
    enrolment: Enrolment  # enrolled | pending | expired | not_invited
    invited_at: datetime | None  # the newest invitation (or the account's creation)
    invited_by: str
    invitation_expires_at: datetime | None  # of the newest invitation
    enrolled_at: datetime | None
    passkeys: int  # in force
    email_code: bool  # may ask for a one-time code by e-mail (every enrolled account may)
    last_signin_at: datetime | None
    locked_until: datetime | None  # only while locked
    disabled_at: datetime | None
    failures: int  # failed sign-in steps within FAILURE_WINDOW
    in_registry: bool  # still a contact of this vendor in the registry in force
    can_sign_in: bool


@dataclass(frozen=True)
class PortalContacts:
    """The contacts of some vendors, and since when failures are counted."""

    rows: tuple[PortalContactRow, ...]
    failures_since: datetime
    failure_window: timedelta

    @property
    def accounts(self) -> tuple[PortalContactRow, ...]:
        """The rows with a portal account."""
        return tuple(r for r in self.rows if r.account_id is not None)

    def count(self, enrolment: Enrolment) -> int:
        """How many rows are in an enrolment state."""
        return sum(1 for r in self.rows if r.enrolment == enrolment)


def _failures(session: Session, account_ids: Sequence[int], since: datetime) -> Counter[int]:
    if not account_ids:
        return Counter()
    targets = {f"portal:account:{i}": i for i in account_ids}
    rows = session.execute(select(AUDIT.c.target, func.count().label("n"))
                           .where(AUDIT.c.action == FAILURE_ACTION, AUDIT.c.target.in_(sorted(targets)),
                                  AUDIT.c.at >= since)
                           .group_by(AUDIT.c.target))
    return Counter({targets[r.target]: int(r.n) for r in rows})


def portal_contacts(session: Session, registry: Registry, vendor_ids: Sequence[str], clock: Clock, masker: Masker, *,
                    failure_window: timedelta = FAILURE_WINDOW) -> PortalContacts:
    """The portal contacts of these vendors (a vendor's page passes its family: itself, then its sub-vendors),
    by vendor in the order given, then by address; contacts of the registry never invited come last."""
    now = clock.now()
    since = now - failure_window
    order = {v: n for n, v in enumerate(dict.fromkeys(vendor_ids))}
    accounts = list(session.exec(select(PortalAccount).where(col(PortalAccount.vendor_id).in_(list(order)))))
    ids = [a.id for a in accounts if a.id is not None]
    invitations = latest_invitations(session, ids)
    passkeys = passkey_counts(session, ids)
    failures = _failures(session, ids, since)
    declared: dict[str, dict[str, str | None]] = {}  # vendor -> address -> name, as the registry in force has them
    for vendor in registry.vendors:
        if vendor.id in order:
            declared[vendor.id] = {str(c.email).lower(): c.name for c in vendor.contacts}
    rows: list[tuple[tuple[int, int, str], PortalContactRow]] = []
    for account in accounts:
        assert account.id is not None
        invitation = invitations.get(account.id)
        enrolment = enrolment_state(account, invitation, now)
        row = PortalContactRow(
            vendor_id=account.vendor_id, account_id=account.id, email=masker.email(account.email),
            name=masker.name(account.name), enrolment=enrolment,
            invited_at=invitation.created_at if invitation else account.created_at,
            invited_by=masker.text((invitation.created_by if invitation else None) or account.created_by),
            invitation_expires_at=invitation.expires_at if invitation else None, enrolled_at=account.enrolled_at,
            passkeys=passkeys.get(account.id, 0), email_code=account.enrolled_at is not None,
            last_signin_at=account.last_signin_at,
            locked_until=account.locked_until if is_locked(account, now) else None,
            disabled_at=account.disabled_at, failures=failures.get(account.id, 0),
            in_registry=account.email in declared.get(account.vendor_id, {}),
            can_sign_in=refusal_for(account, now, registry) is None,
        )
        rows.append(((order[account.vendor_id], 0, account.email), row))
    invited = {(a.vendor_id, a.email) for a in accounts}
    for vendor_id, contacts in declared.items():
        for email, name in contacts.items():
            if (vendor_id, email) in invited:
                continue
            rows.append(((order[vendor_id], 1, email), PortalContactRow(
                vendor_id=vendor_id, account_id=None, email=masker.email(email), name=masker.name(name),
                enrolment="not_invited", invited_at=None, invited_by="", invitation_expires_at=None, enrolled_at=None,
                passkeys=0, email_code=False, last_signin_at=None, locked_until=None, disabled_at=None, failures=0,
                in_registry=True, can_sign_in=False)))
    rows.sort(key=lambda pair: pair[0])
    return PortalContacts(tuple(row for _, row in rows), since, failure_window)
