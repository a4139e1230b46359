"""CSV that Japanese Excel opens as written and cannot be turned against its reader.

- UTF-8 with a byte order mark: without it Excel reads the file as Shift_JIS and Japanese text is garbled.
- Times in the organization's zone as ``2026-11-26 18:00:00`` (no offset, no microseconds), which Excel takes
  for a date and time; the column header names the zone.
- A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel (CSV
  injection: ``=HYPERLINK(...)`` in a user agent or a DN). Such cells get a leading apostrophe, which Excel
  shows as text and does not display.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from vendorwatch.clock import DEFAULT_ZONE

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The text of one cell, neutralised if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a number typed as one is data, even when negative
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def excel_time(value: datetime | None, zone: str = DEFAULT_ZONE) -> str:
    """``2026-11-26 18:00:00`` in the zone, for an aware datetime; empty for None."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV text line by line (records, really: a cell may hold a newline), the byte order mark first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_cell(h) for h in header])
    yield BOM + take()
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield take()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole CSV as one string (small exports)."""
    return "".join(csv_lines(header, rows))
