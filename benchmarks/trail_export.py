"""The access trail over 1,000,000 events: CSV export in constant memory, keyset pages in constant time.

    .venv/bin/python -m benchmarks.trail_export [--events 1000000] [--only sqlite|postgresql]

Targets: the export's Python memory stays flat (peak traced allocations < 50 MB whatever the row count; the
rows stream from a server-side cursor on PostgreSQL, ``yield_per`` on SQLite); a screen's page (50 rows) takes
< 0.5 s on the first page and on a page deep into the trail.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
import uuid

from sqlalchemy import create_engine, text
from sqlmodel import Session

from benchmarks.checks import peak_rss_mb, prepare
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
        tracemalloc.start()
        began = time.perf_counter()
        rows = 0
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for line in trail_csv(stream_trail(session, TrailFilter(vendor_id="tradesys"), masker)):
                sink.write(line)
                rows += 1
        seconds = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak_mb = peak / 1024 / 1024
        verdict = "ok" if peak_mb < MEMORY_TARGET_MB else "OVER TARGET"
        print(f"  CSV export of {rows - 1:,} rows: {seconds:.1f} s ({(rows - 1) / seconds:,.0f} rows/s), "
              f"peak Python memory {peak_mb:.1f} MB (target < {MEMORY_TARGET_MB} MB: {verdict}), "
              f"peak RSS {peak_rss_mb():.0f} MB")
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        path = f"/tmp/vendorwatch-trail-bench-{os.getpid()}.db"
        try:
            measure("SQLite", f"sqlite:///{path}", args.events)
        finally:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    if args.only in (None, "postgresql"):
        admin_url = os.environ.get("VENDORWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        name = f"vw_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            from sqlalchemy.engine import make_url

            measure("PostgreSQL", make_url(admin_url).set(database=name).render_as_string(hide_password=False),
                    args.events)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
