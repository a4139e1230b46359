"""Password hashing (argon2id through argon2-cffi) and the rules a new password must meet."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vendorwatch.errors import VendorWatchError
from vendorwatch.i18n import t

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps a sign-in from being a denial of service

# argon2-cffi's defaults follow RFC 9106's second recommended profile (argon2id, 64 MiB, 3 passes).
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so an unknown name costs as long as a wrong password.

    Made on first use, not at import: every CLI command imports this module, few sign anyone in.
    """
    return _hasher.hash("vendorwatch-no-such-user")


class WeakPasswordError(VendorWatchError):
    """A new password that does not meet the rules."""


def check_new_password(password: str, *, name: str) -> None:
    """Refuse a password shorter than 12 characters, longer than 1024, or containing the account name."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(t(f"パスワードは {MIN_LENGTH} 文字以上にしてください",
                             f"the password must be at least {MIN_LENGTH} characters long"))
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(t(f"パスワードは {MAX_LENGTH} 文字以内にしてください",
                             f"the password must be at most {MAX_LENGTH} characters long"))
    if name and name.lower() in password.lower():
        raise WeakPasswordError(t("パスワードにアカウント名を含めないでください",
                             "the password must not contain the account name"))


def hash_password(password: str) -> str:
    """The argon2id hash (with its salt and parameters) to store."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password matches the stored hash; with no hash, spends the same time and says no."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash on the next sign-in)."""
    return _hasher.check_needs_rehash(stored)
