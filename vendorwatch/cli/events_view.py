"""How the CLI shows access events (the trail of ``events``, the evidence of ``finding show``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from vendorwatch.cli.text import cell
from vendorwatch.clock import local_time

if TYPE_CHECKING:
    from rich.table import Table

    from vendorwatch.trail.query import TrailEvent


def events_table(events: Iterable[TrailEvent], title: str, zone: str) -> Table:
    """One row per event, times in the zone to the second; every value escaped."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("時刻 time", "委託先 vendor", "主体 principal", "操作 action", "対象 resource", "送信元 IP source IP",
                   "結果 outcome", "ユーザーエージェント user agent", "イベント ID event id"):
        table.add_column(column, overflow="fold")
    for event in events:
        outcome = event.outcome + (f" ({event.error_code})" if event.error_code else "")
        table.add_row(*(cell(value) for value in (
            local_time(event.event_time, zone, seconds=True), event.vendor_id, event.principal, event.action,
            event.resource, event.source_ip, outcome, event.user_agent, event.source_event_id)))
    return table
