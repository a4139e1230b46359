"""Display conventions: Asia/Tokyo (or the organization's zone) for people, UTC in storage."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Tokyo"


def local_time(value: datetime | None, zone: str = DEFAULT_ZONE, *, seconds: bool = False) -> str:
    """``2026-11-26 16:24 JST`` (``16:24:05`` with ``seconds``) for an aware UTC datetime; empty for None."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M:%S " if seconds else "%Y-%m-%d %H:%M ") + (local.tzname() or "")
