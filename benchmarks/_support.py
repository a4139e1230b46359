"""What several benchmarks share: a scratch PostgreSQL database, latency figures of concurrent saves."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from tests.servers.postgres import fresh_database

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def scratch_postgres(admin_url: str = DEFAULT_POSTGRES) -> AbstractContextManager[str]:
    """The URL of a new, empty PostgreSQL database, dropped (connections and all) on the way out."""
    return contextmanager(fresh_database)(admin_url, "vw_bench")


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
