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


# People among principals: IAM user names (after any path), the session name of an assumed role (often the
# person's name or address), ``uid=`` values, and ``cn=`` values except those of groups and service accounts.
# Possessive quantifiers, so a lookahead that refuses a group cannot be dodged by matching a shorter value.
_IAM_PERSON = re.compile(
    r"(arn:aws[a-z-]*:(?:iam::\d{12}:user/(?:[\w+=,.@-]++/)*|sts::\d{12}:assumed-role/[\w+=,.@-]++/))([\w+=,.@-]++)"
)
_DN_PERSON = re.compile(
    r"(?i)\b(uid=|cn=)([^,+=\s]++(?: [^,+=\s]++)*+)(?!\s*,\s*(?:ou|cn)=(?:groups?|roles?|services?|service accounts)\b)"
)


def mask_identifier(value: str) -> str:
    """``kobayashi.ken`` → ``k***``: a person's account or roster id, first character kept."""
    return value[:1] + "***" if value else value


def mask_principal(value: str, keep: frozenset[str] = frozenset()) -> str:
    """Mask the people in a principal or in text naming principals (ARNs, DNs, e-mail addresses).

    ``keep`` holds principals that are not people (declared service and break-glass accounts): shown as they are.
    """
    if value in keep:
        return value

    def iam(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0) in keep else match.group(1) + mask_identifier(match.group(2))

    def dn(match: re.Match[str]) -> str:
        whole = value[match.start():].split(None, 1)[0].lower()
        if any(whole.startswith(k.lower()) for k in keep):
            return match.group(0)
        return match.group(1) + mask_identifier(match.group(2))

    return mask_email(_DN_PERSON.sub(dn, _IAM_PERSON.sub(iam, value)))
