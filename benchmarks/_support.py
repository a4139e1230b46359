"""What several benchmarks share: a scratch PostgreSQL database, latency figures of concurrent saves."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_postgres(admin_url: str = DEFAULT_POSTGRES) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (connections and all) on the way out."""
    name = f"vw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def save_figures(latencies: Sequence[float], errors: Sequence[str], lost: int, seconds: float) -> dict[str, Any]:
    """Saves, errors, lost answers and latency percentiles (ms) of one run."""
    ordered = sorted(latencies)
    return {"saves": len(ordered) - len(errors), "errors": len(errors), "first_errors": list(errors[:3]),
            "lost": lost, "p50": statistics.median(ordered) if ordered else 0.0,
            "p95": ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0,
            "max": ordered[-1] if ordered else 0.0, "seconds": seconds}


def report_saves(name: str, figures: dict[str, Any], target_p95_ms: float, width: int = 10) -> bool:
    """Print one run's saves beside the targets (0 errors, 0 lost, p95 under target); True when all are met."""
    ok = figures["errors"] == 0 and figures["lost"] == 0 and figures["p95"] < target_p95_ms
    print(f"{name:{width}} saves {figures['saves']:6d} ({figures['saves'] / figures['seconds']:.0f}/s)  "
          f"p50 {figures['p50']:.1f} ms  p95 {figures['p95']:.1f} ms  max {figures['max']:.1f} ms  "
          f"errors {figures['errors']} (target 0)  lost {figures['lost']} (target 0)  "
          f"p95 target < {target_p95_ms:.0f} ms  {'OK' if ok else 'MISSED'}", flush=True)
    for error in figures["first_errors"]:
        print(f"           {error}")
    return ok
