"""The access trail as CSV for Japanese Excel (see ``vendorwatch.spreadsheet``) and as JSON lines; both stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

import orjson

from vendorwatch.clock import DEFAULT_ZONE
from vendorwatch.spreadsheet import csv_lines, excel_time
from vendorwatch.trail.query import TrailEvent

FIELDS = ("event_time", "vendor", "source", "environment", "account", "principal", "action", "resource",
          "source_ip", "user_agent", "outcome", "error_code", "event_id")


def csv_header(zone: str = DEFAULT_ZONE) -> list[str]:
    """Column names; the time column says its zone (``event_time (Asia/Tokyo)``)."""
    return [f"event_time ({zone})", *FIELDS[1:]]


def _row(event: TrailEvent, zone: str) -> list[object]:
    return [excel_time(event.event_time, zone), event.vendor_id, event.source_id, event.environment_id or "",
            event.account_id or "", event.principal, event.action, event.resource, event.source_ip,
            event.user_agent, event.outcome, event.error_code or "", event.source_event_id]


def trail_csv(events: Iterable[TrailEvent], zone: str = DEFAULT_ZONE) -> Iterator[str]:
    """CSV records, the header (with the byte order mark) first."""
    return csv_lines(csv_header(zone), (_row(event, zone) for event in events))


def trail_record(event: TrailEvent, zone: str = DEFAULT_ZONE) -> dict[str, object]:
    """One event as a JSON object; the time in ISO 8601 with the zone's offset."""
    values = dict(zip(FIELDS, _row(event, zone), strict=True))
    values["event_time"] = event.event_time.astimezone(ZoneInfo(zone)).replace(microsecond=0).isoformat()
    for key in ("environment", "account", "error_code"):
        values[key] = values[key] or None
    return values


def trail_json_lines(events: Iterable[TrailEvent], zone: str = DEFAULT_ZONE) -> Iterator[str]:
    """One JSON object per line (``\\n`` ended), oldest event first."""
    for event in events:
        yield orjson.dumps(trail_record(event, zone)).decode() + "\n"
