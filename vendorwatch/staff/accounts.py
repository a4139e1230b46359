"""Staff accounts of the dashboard: add, list, disable, reset; sign-in with a password or through OIDC.

Every change and every sign-in, successful or not, is written to the audit log in the caller's transaction
(the caller commits: a failed sign-in must be recorded too). After ``MAX_FAILURES`` wrong passwords in a row an
account is locked for ``LOCKOUT``; a reset by an administrator unlocks it. OIDC users are matched to an enabled
account by their e-mail address, which gives them that account's role.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, col, select

from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import StaffUser
from vendorwatch.errors import VendorWatchError
from vendorwatch.i18n import t
from vendorwatch.staff.passwords import check_new_password, hash_password, needs_rehash, verify_password
from vendorwatch.staff.roles import Role, parse_role

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")

Method = Literal["password", "oidc"]
FailureReason = Literal["unknown_name", "wrong_password", "locked", "disabled", "no_password", "no_email",
                        "email_not_verified", "no_account_for_email"]


class AccountError(VendorWatchError):
    """A staff-account request that cannot be applied (unknown name, duplicate, bad e-mail...)."""


@dataclass(frozen=True)
class StaffIdentity:
    """Who is signed in: the account, its role, and how they signed in."""

    id: int
    name: str
    role: Role
    email: str | None
    display_name: str | None
    method: Method

    @property
    def label(self) -> str:
        """The display name, else the account name."""
        return self.display_name or self.name


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a sign-in: an identity, or the reason it was refused (for the audit log, not the screen)."""

    identity: StaffIdentity | None
    reason: FailureReason | None = None

    @property
    def ok(self) -> bool:
        """Whether the sign-in succeeded."""
        return self.identity is not None


def _identity(user: StaffUser, method: Method) -> StaffIdentity:
    assert user.id is not None
    return StaffIdentity(user.id, user.name, Role(user.role), user.email, user.display_name, method)


def _clean_name(name: str) -> str:
    value = name.strip().lower()
    if not NAME_PATTERN.match(value):
        raise AccountError(t(f"アカウント名 {name!r} は使えません（英小文字・数字・. _ @ - の 64 文字以内）",
                             f"{name!r} cannot be an account name (lower-case letters, digits, . _ @ -; "
                             "at most 64 characters)"))
    return value


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(t(f"メールアドレスが正しくありません: {email}", f"not a valid e-mail address: {email} ({error})"))\
            from None


def find_user(session: Session, name: str) -> StaffUser | None:
    """The account with that name (any case), if there is one."""
    return session.exec(select(StaffUser).where(StaffUser.name == name.strip().lower())).first()


def get_user(session: Session, name: str) -> StaffUser:
    """The account with that name; ``AccountError`` if there is none."""
    user = find_user(session, name)
    if user is None:
        raise AccountError(t(f"アカウント {name} はありません", f"there is no account {name}"))
    return user


def list_users(session: Session) -> list[StaffUser]:
    """Every account, by name."""
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.name))))


def add_user(session: Session, *, name: str, role: Role | str, password: str | None, email: str | None = None,
             display_name: str | None = None, actor: str, clock: Clock) -> StaffUser:
    """A new account: a local one with a password, or (no password, an e-mail) one that signs in through OIDC."""
    clean = _clean_name(name)
    address = _clean_email(email)
    chosen = parse_role(role) if isinstance(role, str) else role
    if password is None and address is None:
        raise AccountError(t("パスワードかメールアドレス（OIDC 用）のどちらかが必要です",
                             "an account needs a password or an e-mail address (for OIDC sign-in)"))
    if find_user(session, clean) is not None:
        raise AccountError(t(f"アカウント {clean} は既にあります", f"the account {clean} already exists"))
    if address is not None and session.exec(select(StaffUser).where(StaffUser.email == address)).first():
        raise AccountError(t(f"メールアドレス {address} は別のアカウントで使われています",
                             f"the e-mail address {address} belongs to another account"))
    now = clock.now()
    user = StaffUser(name=clean, email=address, display_name=(display_name or "").strip() or None, role=chosen.value,
                     created_at=now)
    if password is not None:
        check_new_password(password, name=clean)
        user.password_hash = hash_password(password)
        user.password_changed_at = now
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="staff.add", target=f"staff:{clean}",
                 details={"role": chosen.value, "email": address, "password": password is not None}, clock=clock)
    return user


def set_disabled(session: Session, name: str, *, disabled: bool, actor: str, clock: Clock) -> StaffUser:
    """Disable an account (it can no longer sign in, open sessions end at their next step) or enable it again."""
    user = get_user(session, name)
    user.disabled_at = clock.now() if disabled else None
    session.add(user)
    audit.record(session, actor=actor, action="staff.disable" if disabled else "staff.enable",
                 target=f"staff:{user.name}", clock=clock)
    return user


def reset_password(session: Session, name: str, password: str, *, actor: str, clock: Clock) -> StaffUser:
    """Set a new password and lift a lockout."""
    user = get_user(session, name)
    check_new_password(password, name=user.name)
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, actor=actor, action="staff.password_reset", target=f"staff:{user.name}", clock=clock)
    return user


def set_role(session: Session, name: str, role: Role | str, *, actor: str, clock: Clock) -> StaffUser:
    """Give an account another role."""
    user = get_user(session, name)
    chosen = parse_role(role) if isinstance(role, str) else role
    previous = user.role
    user.role = chosen.value
    session.add(user)
    audit.record(session, actor=actor, action="staff.role", target=f"staff:{user.name}",
                 details={"from": previous, "to": chosen.value}, clock=clock)
    return user


def _refuse(session: Session, *, given: str, user: StaffUser | None, method: Method, reason: FailureReason,
            clock: Clock, client: str | None, extra: Mapping[str, Any] | None = None) -> SignInResult:
    shown = (user.name if user else given.strip()[:64]) or "?"
    audit.record(session, actor=shown, action="signin.failure", target=f"staff:{shown}",
                 details={"method": method, "reason": reason, "client": client, **(extra or {})}, clock=clock)
    return SignInResult(None, reason)


def _accept(session: Session, user: StaffUser, *, method: Method, clock: Clock, client: str | None,
            extra: Mapping[str, Any] | None = None) -> SignInResult:
    user.failed_attempts = 0
    user.locked_until = None
    user.last_signin_at = clock.now()
    session.add(user)
    audit.record(session, actor=user.name, action="signin.success", target=f"staff:{user.name}",
                 details={"method": method, "role": user.role, "client": client, **(extra or {})}, clock=clock)
    return SignInResult(_identity(user, method))


def sign_in_with_password(session: Session, name: str, password: str, *, clock: Clock,
                          client: str | None = None) -> SignInResult:
    """Check a local account's password; count failures and lock the account after ``MAX_FAILURES``."""
    user = find_user(session, name) if name.strip() else None
    matches = verify_password(user.password_hash if user else None, password)  # always costs one verification
    if user is None:
        return _refuse(session, given=name, user=None, method="password", reason="unknown_name", clock=clock,
                       client=client)
    now = clock.now()
    if user.disabled_at is not None:
        return _refuse(session, given=name, user=user, method="password", reason="disabled", clock=clock, client=client)
    if user.locked_until is not None and user.locked_until > now:
        return _refuse(session, given=name, user=user, method="password", reason="locked", clock=clock, client=client,
                       extra={"locked_until": user.locked_until.isoformat()})
    if user.password_hash is None:
        return _refuse(session, given=name, user=user, method="password", reason="no_password", clock=clock,
                       client=client)
    if not matches:
        user.failed_attempts += 1
        extra: dict[str, Any] = {"failed_attempts": user.failed_attempts}
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_attempts = 0
            extra["locked_until"] = user.locked_until.isoformat()
        session.add(user)
        return _refuse(session, given=name, user=user, method="password", reason="wrong_password", clock=clock,
                       client=client, extra=extra)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return _accept(session, user, method="password", clock=clock, client=client)


def sign_in_with_oidc(session: Session, claims: Mapping[str, Any], *, provider: str | None, clock: Clock,
                      client: str | None = None) -> SignInResult:
    """Match a user the OIDC provider vouched for to an enabled account by e-mail (the account gives the role)."""
    email = str(claims.get("email") or "").strip().lower()
    extra = {"provider": provider or "default", "issuer": claims.get("iss"), "subject": claims.get("sub")}
    if not email:
        return _refuse(session, given=str(claims.get("sub") or "?"), user=None, method="oidc", reason="no_email",
                       clock=clock, client=client, extra=extra)
    if claims.get("email_verified") is False:
        return _refuse(session, given=email, user=None, method="oidc", reason="email_not_verified", clock=clock,
                       client=client, extra=extra)
    user = session.exec(select(StaffUser).where(func.lower(StaffUser.email) == email)).first()
    if user is None:
        return _refuse(session, given=email, user=None, method="oidc", reason="no_account_for_email", clock=clock,
                       client=client, extra=extra)
    if user.disabled_at is not None:
        return _refuse(session, given=email, user=user, method="oidc", reason="disabled", clock=clock, client=client,
                       extra=extra)
    return _accept(session, user, method="oidc", clock=clock, client=client, extra=extra)


def still_allowed(session: Session, identity: StaffIdentity) -> StaffIdentity | None:
    """The identity with its current role, or None if the account was disabled since it signed in."""
    user = session.get(StaffUser, identity.id)
    if user is None or user.disabled_at is not None:
        return None
    return _identity(user, identity.method)


def record_sign_out(session: Session, identity: StaffIdentity, *, reason: str, clock: Clock,
                    client: str | None = None) -> None:
    """An audit entry for the end of a session (signed out, idle timeout, account disabled)."""
    audit.record(session, actor=identity.name, action="signout", target=f"staff:{identity.name}",
                 details={"method": identity.method, "reason": reason, "client": client}, clock=clock)
