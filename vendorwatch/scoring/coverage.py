"""Is each source actually being collected? The state of every source from its collection runs.

- ``fresh``: collected successfully (success or partial) within its SLA, and its last run did not fail;
- ``failing``: its last finished run failed (whatever came before);
- ``stale``: its last run went through, but the last success is older than the SLA;
- ``never``: no run has finished yet.

``covered`` (a success within the SLA) is what the risk score's coverage counts: a source whose newest run
failed an hour after a good one is still covered, and is shown as failing so someone looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vendorwatch.clock import Clock, as_utc
from vendorwatch.db.core_tables import RUNS
from vendorwatch.registry.models import Registry

SourceState = Literal["fresh", "stale", "failing", "never"]
SOURCE_STATES: tuple[SourceState, ...] = ("fresh", "stale", "failing", "never")
_OK = ("success", "partial")


@dataclass(frozen=True)
class SourceHealth:
    """One source's collection record as monitoring sees it."""

    source_id: str
    vendor_id: str
    kind: str
    sla_hours: int
    state: SourceState
    covered: bool
    last_success: datetime | None
    last_failure: datetime | None
    last_error: str | None
    failures_in_a_row: int
    runs: int


def source_health(session: Session, registry: Registry, clock: Clock, *, as_of: bool = False) -> list[SourceHealth]:
    """The health of every source of the registry, in registry order (two queries whatever the number of runs).

    ``as_of``: only runs finished by the clock's time count (a report about a past month).
    """
    until = clock.now() if as_of else None
    summary_query = select(
        RUNS.c.source_id,
        func.max(RUNS.c.finished_at).filter(RUNS.c.status.in_(_OK)).label("last_ok"),
        func.max(RUNS.c.finished_at).filter(RUNS.c.status == "failed").label("last_failed"),
        func.max(RUNS.c.id).filter(RUNS.c.finished_at.is_not(None)).label("last_id"),
        func.count().label("runs"),
    ).group_by(RUNS.c.source_id)
    if until is not None:
        summary_query = summary_query.where(RUNS.c.started_at <= until,
                                            (RUNS.c.finished_at <= until) | RUNS.c.finished_at.is_(None))
    summary = {row.source_id: row for row in session.execute(summary_query)}
    # The newest finished run of each source (its status and error), then the failures in a row of those failing.
    last_ids = [row.last_id for row in summary.values() if row.last_id is not None]
    last_runs = {
        row.source_id: row
        for row in session.execute(select(RUNS.c.source_id, RUNS.c.status, RUNS.c.error_text, RUNS.c.errors)
                                   .where(RUNS.c.id.in_(last_ids)))
    } if last_ids else {}
    streaks: dict[str, int] = {}
    failing = [source_id for source_id, run in last_runs.items() if run.status == "failed"]
    if failing:
        ended: set[str] = set()
        streak_query = (
            select(RUNS.c.source_id, RUNS.c.status)
            .where(RUNS.c.source_id.in_(failing), RUNS.c.finished_at.is_not(None))
            .order_by(RUNS.c.source_id, RUNS.c.finished_at.desc(), RUNS.c.id.desc())
        )
        if until is not None:
            streak_query = streak_query.where(RUNS.c.finished_at <= until)
        for row in session.execute(streak_query):
            if row.source_id in ended:
                continue
            if row.status == "failed":
                streaks[row.source_id] = streaks.get(row.source_id, 0) + 1
            else:
                ended.add(row.source_id)
    now = clock.now()
    health: list[SourceHealth] = []
    for vendor in registry.vendors:
        for source in vendor.sources:
            totals = summary.get(source.id)
            last_ok = as_utc(totals.last_ok) if totals else None
            last_failed = as_utc(totals.last_failed) if totals else None
            last_run = last_runs.get(source.id)
            covered = last_ok is not None and last_ok >= now - timedelta(hours=source.sla_hours)
            state: SourceState
            if last_run is None:
                state = "never"
            elif last_run.status == "failed":
                state = "failing"
            elif covered:
                state = "fresh"
            else:
                state = "stale"
            error = None
            if last_run is not None and last_run.status == "failed":
                error = last_run.error_text or (last_run.errors[0].get("reason") if last_run.errors else None)
            health.append(SourceHealth(
                source_id=source.id, vendor_id=vendor.id, kind=source.kind, sla_hours=source.sla_hours, state=state,
                covered=covered, last_success=last_ok, last_failure=last_failed, last_error=error,
                failures_in_a_row=streaks.get(source.id, 0) if state == "failing" else 0,
                runs=int(totals.runs) if totals else 0,
            ))
    return health
