"""``overlapping_use``: the pure part of 3.2.5 shared credential, on one credential's sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from vendorwatch.checks.c3_2_5.sharing import overlapping_use

NINE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _session(ip: str, start: int, end: int, principal: str = "alice", hour: int = 0) -> SimpleNamespace:
    return SimpleNamespace(source_ip=ip, principal=principal, hour=hour,
                           first=NINE + timedelta(minutes=start), last=NINE + timedelta(minutes=end))


def test_two_networks_active_at_once_are_an_overlap() -> None:
    use = overlapping_use([_session("203.0.113.5", 0, 30), _session("198.51.100.7", 20, 50),
                           _session("203.0.113.9", 40, 45)], 24, 64)
    assert use is not None
    assert use.networks == ["198.51.100.0/24", "203.0.113.0/24"]
    assert use.source_ips == ["198.51.100.7", "203.0.113.5", "203.0.113.9"]
    assert (use.start, use.end, use.periods, use.principals) == (NINE, NINE + timedelta(minutes=50), 1, ["alice"])


def test_one_network_after_another_or_one_network_only_is_not_sharing() -> None:
    assert overlapping_use([_session("203.0.113.5", 0, 10), _session("198.51.100.7", 20, 50)], 24, 64) is None
    assert overlapping_use([_session("203.0.113.5", 0, 30), _session("203.0.113.77", 10, 20)], 24, 64) is None
    assert overlapping_use([_session("not an address", 0, 30), _session("198.51.100.7", 10, 20)], 24, 64) is None
