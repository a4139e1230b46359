"""The access trail over 1,000,000 events: CSV export in constant memory, keyset pages in constant time.

    .venv/bin/python -m benchmarks.trail_export [--events 1000000] [--only sqlite|postgresql]

Targets: the export's memory stays flat (the process's peak RSS grows < 50 MB whatever the row count; the
rows stream from a server-side cursor on PostgreSQL, ``yield_per`` on SQLite); a screen's page (50 rows) takes
< 0.5 s on the first page and on a page deep into the trail.
"""

from __future__ import annotations

import os
import time

from sqlmodel import Session

from benchmarks.checks import on_both_databases, peak_rss_mb, prepare
from vendorwatch.trail.export import trail_csv
from vendorwatch.trail.query import TrailFilter, stream_trail, trail_page
from vendorwatch.views.personal import Masker

MEMORY_TARGET_MB = 50
PAGE_TARGET_S = 0.5


def measure(label: str, url: str, count: int) -> None:
    """Load ``count`` events, export them all as CSV to /dev/null, and page through the trail."""
    engine, registry, loading = prepare(url, count)
    masker = Masker.for_registry(registry, masked=True)
    print(f"\n== {label}: {count:,} events loaded in {loading:.1f} s (peak RSS so far {peak_rss_mb():.0f} MB)")
    with Session(engine) as session:
        before = peak_rss_mb()
        began = time.perf_counter()
        rows = 0
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for line in trail_csv(stream_trail(session, TrailFilter(vendor_id="tradesys"), masker)):
                sink.write(line)
                rows += 1
        seconds = time.perf_counter() - began
        growth = peak_rss_mb() - before
        verdict = "ok" if growth < MEMORY_TARGET_MB else "OVER TARGET"
        print(f"  CSV export of {rows - 1:,} rows: {seconds:.1f} s ({(rows - 1) / seconds:,.0f} rows/s), "
              f"peak RSS grew {growth:.0f} MB (target < {MEMORY_TARGET_MB} MB: {verdict}; {peak_rss_mb():.0f} MB)")
        where = TrailFilter(vendor_id="tradesys")
        began = time.perf_counter()
        page = trail_page(session, where, masker)
        first = time.perf_counter() - began
        for _ in range(200):  # 10,000 rows in: a deep page
            assert page.next_after is not None
            page = trail_page(session, where, masker, after=page.next_after)
        began = time.perf_counter()
        trail_page(session, where, masker, after=page.next_after)
        deep = time.perf_counter() - began
        began = time.perf_counter()
        network = trail_page(session, TrailFilter(ip="203.0.113.0/25"), masker)
        by_network = time.perf_counter() - began
        for name, value in (("first page", first), ("page 201", deep), ("first page of 203.0.113.0/25", by_network)):
            print(f"  {name:32s} {value:6.3f} s (target < {PAGE_TARGET_S} s: "
                  f"{'ok' if value < PAGE_TARGET_S else 'OVER TARGET'})")
        assert network.items
    engine.dispose()


def main() -> None:
    """Run on SQLite (a temporary file) and PostgreSQL (a temporary database)."""
    on_both_databases(measure, __doc__)


if __name__ == "__main__":
    main()
