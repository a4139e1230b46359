"""Decoding directory attribute values as servers send them on the wire (bytes), OpenLDAP and AD alike.

Everything here is pure: raw values in, Python values out, ``None`` for absent or "never" values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

RawAttributes = Mapping[str, Sequence[bytes]]

#: 1601-01-01, the origin of Windows FILETIME (100-nanosecond intervals).
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
#: AD writes 0x7FFFFFFFFFFFFFFF (and sometimes 0) for "never" in accountExpires and similar attributes.
_FILETIME_NEVER = 0x7FFFFFFFFFFFFFFF
#: ppolicy writes this value in pwdAccountLockedTime for an account locked by an administrator, for good.
PERMANENT_LOCK = "000001010000Z"


def lower_keys(raw: RawAttributes) -> dict[str, Sequence[bytes]]:
    """Attribute names are case-insensitive in LDAP; servers answer in their own spelling."""
    return {name.lower(): values for name, values in raw.items()}


def text(raw: Mapping[str, Sequence[bytes]], name: str) -> str | None:
    """The first value of an attribute as text (UTF-8; undecodable bytes replaced), or ``None``."""
    values = raw.get(name)
    if not values:
        return None
    first = values[0]
    return first.decode("utf-8", "replace") if isinstance(first, bytes | bytearray) else str(first)


def texts(raw: Mapping[str, Sequence[bytes]], name: str) -> list[str]:
    """Every value of an attribute as text."""
    return [v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else str(v)
            for v in raw.get(name) or ()]


def integer(raw: Mapping[str, Sequence[bytes]], name: str) -> int | None:
    """The first value as an integer, or ``None`` if absent or not a number."""
    value = text(raw, name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def boolean(raw: Mapping[str, Sequence[bytes]], name: str) -> bool | None:
    """An LDAP Boolean (``TRUE`` / ``FALSE``)."""
    value = text(raw, name)
    if value is None:
        return None
    return value.strip().upper() == "TRUE"


def generalized_time(value: str | None) -> datetime | None:
    """Parse LDAP GeneralizedTime (``20240401093015Z``, ``20240401093015.123456Z``, ``...+0900``) to UTC."""
    if not value:
        return None
    value = value.strip()
    if value == PERMANENT_LOCK:
        return None
    try:
        zone = UTC
        offset = timedelta(0)
        if value.endswith("Z"):
            body = value[:-1]
        elif len(value) > 5 and value[-5] in "+-":
            sign = 1 if value[-5] == "+" else -1
            offset = sign * timedelta(hours=int(value[-4:-2]), minutes=int(value[-2:]))
            body = value[:-5]
        else:
            body = value
        fraction = 0.0
        if "." in body or "," in body:
            body, _, frac = body.replace(",", ".").partition(".")
            fraction = float(f"0.{frac}") if frac else 0.0
        year, month, day = int(body[0:4]), int(body[4:6]), int(body[6:8])
        hour = int(body[8:10]) if len(body) >= 10 else 0
        minute = int(body[10:12]) if len(body) >= 12 else 0
        second = int(body[12:14]) if len(body) >= 14 else 0
        moment = datetime(year, month, day, hour, minute, second, tzinfo=zone) - offset
        return moment + timedelta(seconds=fraction)
    except (ValueError, IndexError):
        return None


def filetime(value: int | None) -> datetime | None:
    """Windows FILETIME (100 ns since 1601, as in pwdLastSet, lastLogonTimestamp, lockoutTime) to UTC."""
    if value is None or value <= 0 or value >= _FILETIME_NEVER:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=value // 10)


def ad_interval_seconds(value: int | None) -> float | None:
    """An AD duration (maxPwdAge, lockoutDuration: negative 100 ns intervals) in seconds; ``None`` for never."""
    if value is None or value == -0x8000000000000000 or value == 0:
        return None
    return abs(value) / 10_000_000


def shadow_date(days: int | None) -> datetime | None:
    """``shadowExpire`` / ``shadowLastChange`` (days since 1970-01-01) to a UTC datetime; -1 means never."""
    if days is None or days < 0:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=days)


def sid_text(value: bytes | bytearray | str | None) -> str | None:
    """A binary security identifier (``objectSid`` as AD sends it, MS-DTYP 2.4.2) as ``S-1-5-21-…-RID``.

    Revision, the count of sub-authorities, a 48-bit big-endian identifier authority, then the sub-authorities
    as 32-bit little-endian numbers. ``None`` for a value that is not a SID; text already in ``S-`` form is kept.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.upper().startswith("S-") else None
    data = bytes(value)
    if len(data) < 8 or len(data) != 8 + 4 * data[1]:
        return None
    authority = int.from_bytes(data[2:8], "big")
    subs = [int.from_bytes(data[8 + 4 * i:12 + 4 * i], "little") for i in range(data[1])]
    return "-".join(["S", str(data[0]), str(authority), *map(str, subs)])


def primary_group_sid(account_sid: str | None, primary_group_id: int | None) -> str | None:
    """The SID of an AD account's primary group: the account's domain SID (its SID without the last RID) and
    ``primaryGroupID`` (513, Domain Users, for most)."""
    if not account_sid or primary_group_id is None or "-" not in account_sid:
        return None
    return f"{account_sid.rsplit('-', 1)[0]}-{primary_group_id}"


def sid_value(raw: Mapping[str, Sequence[bytes]], name: str) -> str | None:
    """The first value of a SID attribute (``objectSid``) as text, or ``None``."""
    values = raw.get(name)
    return sid_text(values[0]) if values else None
