"""Benchmark: the audit log's lookups by action, target and time, before and after migration 0010auditidx.

    .venv/bin/python -m benchmarks.audit_lookups [--entries 1000000] [--only sqlite|postgresql] [--repeat 7]

A database at 0009sched gets ``--entries`` audit entries spread over a year (in id order, as the chain writes
them): portal sign-ins and failures of 2,000 accounts, questionnaire saves, finding changes, a few risk
acceptances, staff sign-ins, unmaskings, evaluations. Each lookup is timed (median of ``--repeat`` runs, warm)
and its plan printed; then the database is upgraded to the head (the index is built on the full log, timed)
and every lookup is timed again, together with appending entries through ``audit.record``:

- ``portal failures``: ``views.portal_contacts``' count of one family's 8 accounts' failed sign-ins of the
  last 30 days (the dashboard's Portal contacts tab);
- ``staff sign-ins``: ``views.staff.recent_sign_ins`` (the newest 50; the users page);
- ``risk acceptances``: the digest timeline's ``finding.risk_accepted`` entries before a month's end;
- ``append``: one ``audit.record`` (a transaction each).

PostgreSQL is vacuumed and analysed after the fill (autovacuum does it on a live server); SQLite is not
analysed (VendorWatch never runs ANALYZE on it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, event, text
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from benchmarks._support import DEFAULT_POSTGRES, scratch_postgres
from vendorwatch import audit
from vendorwatch.clock import FixedClock
from vendorwatch.db.core_tables import AUDIT
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import alembic_config, head_revision
from vendorwatch.db.tables import AuditEntry
from vendorwatch.views import portal_contacts, staff

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ACCOUNTS = 2_000
FAMILY = list(range(1, 9))  # one vendor's family: 8 portal accounts
# (action, target prefix, how many targets, share in percent)
MIX = [
    ("portal.signin.failure", "portal:account:", ACCOUNTS, 15),
    ("portal.signin.success", "portal:account:", ACCOUNTS, 15),
    ("request.answers_saved", "request:", 20_000, 30),
    ("finding.status_changed", "finding:", 50_000, 20),
    ("finding.risk_accepted", "finding:", 50_000, 1),
    ("signin.success", "staff:", 40, 4),
    ("signin.failure", "staff:", 40, 1),
    ("signout", "staff:", 40, 4),
    ("personal_data.unmask", "dashboard:", 5, 5),
    ("findings.evaluate", "checks", 1, 5),
]
WHEEL = [(action, prefix, targets) for action, prefix, targets, share in MIX for _ in range(share)]


def _rows(entries: int, start: int) -> Iterator[dict[str, Any]]:
    first = NOW - timedelta(days=365)
    step = timedelta(days=365) / entries
    for i in range(start, start + entries):
        action, prefix, targets = WHEEL[(i * 37) % len(WHEEL)]
        target = prefix if targets == 1 else f"{prefix}{(i * 7919) % targets + 1}"
        details = {"method": "password", "client": "192.0.2.1"} if "signin" in action else {}
        yield {"id": i, "at": first + step * (i - start), "actor": "bench", "action": action, "target": target,
               "details": details, "prev_hash": f"{i - 1:064x}", "hash": f"{i:064x}", "mac": None}


def fill(engine: Engine, entries: int) -> float:
    """Write the entries straight into the table (the chain's hashes are placeholders); seconds taken."""
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in _rows(entries, 1):
            batch.append(row)
            if len(batch) == 20_000:
                connection.execute(AUDIT.insert(), batch)
                batch = []
        if batch:
            connection.execute(AUDIT.insert(), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE audit_log"))
    return time.perf_counter() - started


def _risk_acceptances() -> Select[Any]:
    # As vendorwatch/digest/timeline.py asks for them.
    return select(AuditEntry).where(col(AuditEntry.action) == "finding.risk_accepted",
                                    col(AuditEntry.at) < NOW).order_by(col(AuditEntry.id))


def lookups(engine: Engine) -> dict[str, Callable[[Session], object]]:
    since = NOW - portal_contacts.FAILURE_WINDOW
    return {
        # The view's own query (a private helper: the rest of portal_contacts needs a registry).
        "portal failures": lambda s: portal_contacts._failures(s, FAMILY, since),
        "staff sign-ins": lambda s: staff.recent_sign_ins(s),
        "risk acceptances": lambda s: len(s.exec(_risk_acceptances()).all()),
    }


def _plan(engine: Engine, name: str) -> list[str]:
    """The plan of a lookup: its last statement as sent (caught on one run), sent again after EXPLAIN."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
    sent: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        with Session(engine) as session:
            lookups(engine)[name](session)
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(prefix + sent[-1][0], sent[-1][1])
        return [str(row[-1]) for row in cursor.fetchall()]
    finally:
        connection.close()


def measure(engine: Engine, repeat: int) -> dict[str, float]:
    """Median milliseconds of each lookup (one warm-up run first), and of one append."""
    figures: dict[str, float] = {}
    for name, lookup in lookups(engine).items():
        times = []
        with Session(engine) as session:
            lookup(session)
            for _ in range(repeat):
                started = time.perf_counter()
                lookup(session)
                times.append((time.perf_counter() - started) * 1000)
        figures[name] = statistics.median(times)
    times = []
    clock = FixedClock(NOW)
    for _ in range(max(repeat, 50)):
        with Session(engine) as session:
            started = time.perf_counter()
            audit.record(session, actor="bench", action="portal.signin.failure", target="portal:account:1",
                         clock=clock, key=None)
            session.commit()
            times.append((time.perf_counter() - started) * 1000)
    figures["append"] = statistics.median(times)
    return figures


def report(engine: Engine, label: str, repeat: int) -> dict[str, float]:
    figures = measure(engine, repeat)
    print(f"  {label}:")
    for name in lookups(engine):
        print(f"    {name:17} {figures[name]:9.2f} ms")
        for line in _plan(engine, name):
            print(f"      | {line}")
    print(f"    {'append':17} {figures['append']:9.2f} ms  (audit.record, one transaction)")
    return figures


def run(url: str, entries: int, repeat: int) -> None:
    engine = make_engine(url)
    print(f"{engine.dialect.name}: {entries:,} audit entries", flush=True)
    command.upgrade(alembic_config(engine), "0009sched")
    print(f"  filled in {fill(engine, entries):.1f} s", flush=True)
    before = report(engine, "0009sched (no index)", repeat)
    started = time.perf_counter()
    command.upgrade(alembic_config(engine), "head")
    print(f"  upgrade to {head_revision()}: {time.perf_counter() - started:.1f} s (the index over the full log)")
    after = report(engine, f"{head_revision()} (ix_audit_log_portal_failures)", repeat)
    print("  before -> after: " + ", ".join(f"{n} {before[n]:.2f} -> {after[n]:.2f} ms" for n in before), flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", default=os.environ.get("VENDORWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    options = parser.parse_args()
    if options.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'audit.db'}", options.entries, options.repeat)
    if options.only in (None, "postgresql"):
        with scratch_postgres(options.postgres) as url:
            run(url, options.entries, options.repeat)


if __name__ == "__main__":
    main()
