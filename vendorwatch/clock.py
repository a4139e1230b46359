"""Time comes from a clock passed in, so tests can set it. Storage is always UTC; people read local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol, overload
from zoneinfo import ZoneInfo

# The zone people read times in unless the registry names the organization's own.
DEFAULT_ZONE = "Asia/Tokyo"


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and reproducible runs."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        """The time the clock was set to."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock."""
        self._at = as_utc(at)


@overload
def as_utc(value: datetime | str) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | str | None) -> datetime | None: ...
def as_utc(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime; naive values are taken to be UTC already.

    Also what a database hands back for a time computed in SQL (MIN, MAX, a window function), where the
    column's type does not apply: an ISO string on SQLite, a naive datetime on PostgreSQL. None stays None.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local_time(value: datetime | None, zone: str = DEFAULT_ZONE, *, seconds: bool = False) -> str:
    """``2026-11-26 16:24 JST`` (``16:24:05`` with ``seconds``) for an aware UTC datetime; empty for None."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M:%S " if seconds else "%Y-%m-%d %H:%M ") + (local.tzname() or "")


def end_of_local_day(day: date, zone: str) -> datetime:
    """23:59:59 of a calendar day in a time zone, as UTC (an expiry typed as a date lasts the whole day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_today(clock: Clock, zone: str) -> date:
    """Today's date in a time zone (the organization's, for people)."""
    return clock.now().astimezone(ZoneInfo(zone)).date()
