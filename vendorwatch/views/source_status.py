"""Is monitoring itself working? Per source: last success, last failure and its error, failures in a row, the next
scheduled run, and whether it is within its collection SLA. What ``vendorwatch status`` prints and the dashboard
can show; read only (the next run comes from the scheduler's job store, ``apscheduler_jobs``).

SLA state: ``ok`` (a success within ``sla_hours``), ``past`` (the last success is older), ``never`` (no
successful run yet). A source that failed an hour after a good run is still ``ok`` and shows its failure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from vendorwatch.clock import Clock, as_utc
from vendorwatch.db.tables import SchedulerJob, SchedulerLease, SourceClaim
from vendorwatch.registry.models import Registry, Schedule
from vendorwatch.scoring.coverage import SourceState, source_health

COLLECT_JOB_PREFIX = "collect:"  # the scheduler's job id of a source's collection: collect:<source id>
SlaState = Literal["ok", "past", "never"]


@dataclass(frozen=True)
class SourceStatus:
    """One source as an operator watches it."""

    source_id: str
    vendor_id: str
    kind: str
    schedule: str | None
    sla_hours: int
    state: SourceState
    sla: SlaState
    last_success: datetime | None
    last_failure: datetime | None
    last_error: str | None
    failures_in_a_row: int
    next_run: datetime | None
    running_since: datetime | None


@dataclass(frozen=True)
class MonitoringStatus:
    """Every source, and the scheduler the database shows as active."""

    sources: list[SourceStatus]
    scheduler: str | None = None
    scheduler_heartbeat: datetime | None = None

    @property
    def gate_failed(self) -> bool:
        """Some source is past its SLA or was never collected (``status`` exits 1)."""
        return any(s.sla != "ok" for s in self.sources)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (times in ISO 8601 UTC)."""
        def plain(value: Any) -> Any:
            return value.isoformat() if isinstance(value, datetime) else value

        return {
            "ok": not self.gate_failed,
            "scheduler": {"holder": self.scheduler, "heartbeat": plain(self.scheduler_heartbeat)},
            "sources": [{k: plain(v) for k, v in asdict(s).items()} for s in self.sources],
        }


def describe_schedule(schedule: Schedule | None) -> str | None:
    """``cron 15 * * * *`` / ``every 60 min``; ``None`` for a source collected on demand only."""
    if schedule is None:
        return None
    return f"cron {schedule.cron}" if schedule.cron else f"every {schedule.interval_minutes} min"


def monitoring_status(session: Session, registry: Registry, clock: Clock) -> MonitoringStatus:
    """The status of every source of the registry, in registry order."""
    health = {h.source_id: h for h in source_health(session, registry, clock)}
    next_runs = {
        job.id.removeprefix(COLLECT_JOB_PREFIX): datetime.fromtimestamp(job.next_run_time, UTC)
        for job in session.exec(select(SchedulerJob).where(col(SchedulerJob.id).startswith(COLLECT_JOB_PREFIX)))
        if job.next_run_time is not None
    }
    now = clock.now()
    running = {c.source_id: as_utc(c.claimed_at) for c in session.exec(select(SourceClaim))
               if as_utc(c.expires_at) > now}
    lease = session.get(SchedulerLease, "scheduler")
    sources = []
    for vendor in registry.vendors:
        for source in vendor.sources:
            h = health[source.id]
            sla: SlaState = "ok" if h.covered else ("never" if h.last_success is None else "past")
            sources.append(SourceStatus(
                source_id=source.id, vendor_id=vendor.id, kind=source.kind,
                schedule=describe_schedule(source.schedule), sla_hours=source.sla_hours, state=h.state, sla=sla,
                last_success=h.last_success, last_failure=h.last_failure, last_error=h.last_error,
                failures_in_a_row=h.failures_in_a_row, next_run=next_runs.get(source.id),
                running_since=running.get(source.id),
            ))
    live = lease is not None and as_utc(lease.expires_at) > now
    return MonitoringStatus(sources, lease.holder if lease and live else None,
                            as_utc(lease.heartbeat_at) if lease and live else None)
