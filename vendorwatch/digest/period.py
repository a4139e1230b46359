"""A digest's month in the organization's time zone: its bounds, the month before, and its delivery deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class DigestMonth:
    """A calendar month, e.g. ``2026-11``."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> DigestMonth:
        """``YYYY-MM``; a clear bilingual error otherwise."""
        match = _MONTH.match(value.strip())
        if not match:
            raise ConfigError(t(f"月は YYYY-MM 形式で指定してください: {value}",
                                f"give the month as YYYY-MM: {value}"))
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: datetime, zone: str) -> DigestMonth:
        """The month an instant falls in, in a time zone."""
        local = moment.astimezone(ZoneInfo(zone))
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    def next(self) -> DigestMonth:
        """The month after."""
        return DigestMonth(self.year + 1, 1) if self.month == 12 else DigestMonth(self.year, self.month + 1)

    def previous(self) -> DigestMonth:
        """The month before."""
        return DigestMonth(self.year - 1, 12) if self.month == 1 else DigestMonth(self.year, self.month - 1)

    def start(self, zone: str) -> datetime:
        """Local midnight of the first day, as an aware instant."""
        return datetime.combine(self.first_day, time(0, 0), tzinfo=ZoneInfo(zone))

    def end(self, zone: str) -> datetime:
        """Local midnight of the next month's first day (exclusive)."""
        return self.next().start(zone)

    def last_day(self) -> date:
        """The month's last day."""
        return self.next().first_day - timedelta(days=1)

    def deadline(self, zone: str, deliver_by_day: int) -> datetime:
        """The end of day ``deliver_by_day`` of the following month (exclusive instant): the digest is due before."""
        following = self.next()
        return datetime.combine(date(following.year, following.month, deliver_by_day) + timedelta(days=1), time(0, 0),
                                tzinfo=ZoneInfo(zone))

    def label(self, language: str) -> str:
        """``2026年11月`` or ``November 2026``."""
        if language == "en":
            return format_date(self.first_day, "MMMM y", locale="en")
        return f"{self.year}年{self.month}月"


def due_month(now: datetime, zone: str) -> DigestMonth:
    """The month whose digest is due now: the one before the current month."""
    return DigestMonth.of(now, zone).previous()
