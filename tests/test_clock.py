"""The one UTC helper and the one local-time rendering every layer uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from vendorwatch.clock import as_utc, local_time


def test_naive_times_are_taken_as_utc_and_aware_ones_converted() -> None:
    assert as_utc(datetime(2026, 11, 30, 15, 0)) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    tokyo = timezone(timedelta(hours=9))
    converted = as_utc(datetime(2026, 12, 1, 0, 0, tzinfo=tokyo))
    assert converted == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert converted.tzinfo is UTC


def test_times_computed_in_sql_come_back_aware_whatever_the_database_returns() -> None:
    # SQLite returns MIN/MAX of a time column as its stored text, PostgreSQL as a naive datetime.
    assert as_utc("2026-11-30 15:00:00.000000") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert as_utc("2026-12-01T00:00:00+09:00") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert as_utc(None) is None


def test_local_time_reads_in_the_organizations_zone() -> None:
    moment = datetime(2026, 11, 26, 7, 24, tzinfo=UTC)
    assert local_time(moment) == "2026-11-26 16:24 JST"
    assert local_time(moment, "Europe/London") == "2026-11-26 07:24 GMT"
    assert local_time(None) == ""
