"""Periods typed by people: dates or times, in the organization's zone (Asia/Tokyo) unless an offset is given."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vendorwatch.clock import DEFAULT_ZONE
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t


def parse_bound(value: str, *, end: bool, zone: str = DEFAULT_ZONE) -> datetime:
    """A period bound as UTC: ``2026-11-25`` is that local day (its start, or for ``end`` the next day's start,
    exclusive), ``2026-11-25T09:30`` a local time, ``2026-11-25T00:30:00+00:00`` a time with its own offset."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=ZoneInfo(zone))
            return start.astimezone(UTC)
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ConfigError(t(f"日付・時刻が不正です: {value}（例 2026-11-25、2026-11-25T09:30）",
                            f"not a date or time: {value} (e.g. 2026-11-25, 2026-11-25T09:30)")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)
