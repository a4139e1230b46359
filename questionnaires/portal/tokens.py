"""Single-use secrets: made with ``secrets``, stored only as SHA-256 hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlmodel import Session, col, select, update

from questionnaires.contacts import token_is_usable
from vendorwatch.db.tables import PortalToken


def new_secret() -> str:
    """32 random bytes, URL-safe (an enrolment link, a session cookie)."""
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """A six-digit one-time code."""
    return f"{secrets.randbelow(1_000_000):06d}"


def secret_hash(value: str) -> str:
    """What is stored of a secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def salted_hash(salt: str, value: str) -> str:
    """What is stored of a short code (salted, so equal codes of two accounts differ)."""
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def is_usable(token: PortalToken | None, now: datetime) -> bool:
    """Unused and not expired."""
    return token_is_usable(token, now)


def spend_others(session: Session, account_id: int, purpose: str, now: datetime, *, keep: int | None = None) -> None:
    """Mark the account's other unused tokens of a purpose as used (a new link or code supersedes the old one)."""
    query = update(PortalToken).where(col(PortalToken.account_id) == account_id, col(PortalToken.purpose) == purpose,
                                      col(PortalToken.used_at).is_(None))
    if keep is not None:
        query = query.where(col(PortalToken.id) != keep)
    session.exec(query.values(used_at=now))


def latest(session: Session, account_id: int, purpose: str) -> PortalToken | None:
    """The account's newest token of a purpose."""
    return session.exec(select(PortalToken).where(PortalToken.account_id == account_id, PortalToken.purpose == purpose)
                        .order_by(col(PortalToken.id).desc())).first()
