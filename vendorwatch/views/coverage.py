"""Monitoring coverage: for every source of the registry, whether it is fresh, stale, failing or never collected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlmodel import Session

from vendorwatch.checks.sql import RUNS
from vendorwatch.clock import Clock, as_utc
from vendorwatch.registry.models import Registry

CoverageState = Literal["fresh", "stale", "failing", "never"]
COVERAGE_STATES: tuple[CoverageState, ...] = ("fresh", "stale", "failing", "never")
SUCCESSFUL = ("success", "partial")


@dataclass(frozen=True)
class SourceCoverage:
    """One source: its SLA, the last successful collection, the latest run and the state they give.

    fresh: collected successfully within its SLA; failing: not fresh and its latest run failed; stale: not
    fresh, collected before, latest run did not fail; never: never collected successfully nor tried.
    """

    source_id: str
    vendor_id: str
    environment_id: str
    kind: str
    sla_hours: int
    state: CoverageState
    last_success: datetime | None
    last_run_at: datetime | None
    last_run_status: str | None
    last_error: str | None


@dataclass(frozen=True)
class CoverageCounts:
    """How many sources of a vendor are in each state."""

    fresh: int = 0
    stale: int = 0
    failing: int = 0
    never: int = 0

    @property
    def total(self) -> int:
        """Sources counted."""
        return self.fresh + self.stale + self.failing + self.never


def _state(last_success: datetime | None, last_status: str | None, sla_hours: int, now: datetime) -> CoverageState:
    if last_success is not None and last_success >= now - timedelta(hours=sla_hours):
        return "fresh"
    if last_status == "failed":
        return "failing"
    if last_success is not None:
        return "stale"
    return "never"


def source_coverage(session: Session, registry: Registry, clock: Clock) -> dict[str, SourceCoverage]:
    """Every source of the registry in force, by id (two grouped queries over the runs, whatever their number)."""
    last_ok = {
        row.source_id: as_utc(row.last) if row.last else None
        for row in session.execute(
            select(RUNS.c.source_id, func.max(RUNS.c.finished_at).label("last"))
            .where(RUNS.c.status.in_(SUCCESSFUL)).group_by(RUNS.c.source_id)
        )
    }
    latest_ids = select(func.max(RUNS.c.id)).where(RUNS.c.status != "running").group_by(RUNS.c.source_id)
    latest = {
        row.source_id: row
        for row in session.execute(
            select(RUNS.c.source_id, RUNS.c.status, RUNS.c.started_at, RUNS.c.error_text)
            .where(RUNS.c.id.in_(latest_ids.scalar_subquery()))
        )
    }
    now = clock.now()
    found: dict[str, SourceCoverage] = {}
    for vendor in registry.vendors:
        for source in vendor.sources:
            run = latest.get(source.id)
            status = run.status if run else None
            success = last_ok.get(source.id)
            found[source.id] = SourceCoverage(
                source.id, vendor.id, source.environment, source.kind, source.sla_hours,
                _state(success, status, source.sla_hours, now), success,
                as_utc(run.started_at) if run else None, status, (run.error_text if run else None),
            )
    return found


def coverage_by_vendor(coverage: dict[str, SourceCoverage]) -> dict[str, CoverageCounts]:
    """Counts of fresh, stale, failing and never-collected sources per vendor."""
    counts: dict[str, Counter[str]] = {}
    for item in coverage.values():
        counts.setdefault(item.vendor_id, Counter())[item.state] += 1
    return {vendor: CoverageCounts(**{state: c.get(state, 0) for state in COVERAGE_STATES})
            for vendor, c in counts.items()}
