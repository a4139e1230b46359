"""Masking of personal and customer data for screens and reports (on by default)."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<!\d)(\+?\d[\d-]{7,}\d)(?!\d)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ACCOUNT_NUMBER = re.compile(r"(?<![\d-])(\d{3,4})(\d{3,})(\d{2})(?![\d-])")


def mask_email(value: str) -> str:
    """``hanako.sato@asys.example`` → ``h***@asys.example``."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", value)


def mask_phone(value: str) -> str:
    """Keep the last four digits of a phone number."""

    def hide(match: re.Match[str]) -> str:
        digits = match.group(1)
        if _DATE.fullmatch(digits):
            return digits  # 2026-06-30 is a date, not a phone number
        return re.sub(r"\d", "*", digits[:-4]) + digits[-4:]

    return _PHONE.sub(hide, value)


def mask_name(value: str) -> str:
    """``佐藤 花子`` → ``佐藤 **``; ``Hanako Sato`` → ``H*** S***``."""
    parts = value.split()
    if len(parts) >= 2 and not parts[0].isascii():
        return parts[0] + " " + " ".join("*" * len(p) for p in parts[1:])
    if not value.isascii():
        return value[:1] + "*" * (len(value) - 1)
    return " ".join(p[:1] + "***" for p in parts)


_IDENTITY = re.compile(r"(:user/|\b(?:uid|cn)=)([^\s/,;:+)]+)", re.IGNORECASE)


def mask_identity(value: str) -> str:
    """The person's part of an IAM user ARN or a directory DN: ``...:user/yamada.taro`` → ``...:user/y***``,
    ``uid=yamada.taro,ou=people`` → ``uid=y***,ou=people``."""
    return _IDENTITY.sub(lambda m: m.group(1) + m.group(2)[:1] + "***", value)


def mask_text(value: str) -> str:
    """Mask every e-mail address, phone number and account-number-like digit run in free text."""
    return mask_phone(mask_email(_ACCOUNT_NUMBER.sub(lambda m: "*" * (len(m.group(0)) - 2) + m.group(3), value)))
