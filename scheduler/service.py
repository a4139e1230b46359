"""The scheduler service: APScheduler 3 with its job store in the database, active on one process per database.

``SchedulerService.run()`` loops until stopped (SIGTERM): stand by until the leadership (advisory lock or lease)
is ours, then schedule the registry's jobs, renew the leadership every ``poll_seconds`` and re-plan when a new
registry is imported; on stop, let the running collections finish, release the leadership and return.
``run_pending()`` runs once what is due or missed and returns (cron or a systemd timer).

Jobs keep their next run time in the job store across restarts. A job whose trigger is unchanged is left as it
is when the service starts or the registry changes, so a run missed while the service was down runs once
(coalesced) when it starts; a source that is new, or whose last run is older than its interval, runs at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler import jobs
from scheduler.collection import Backoff
from scheduler.leadership import Leadership, leadership_for
from scheduler.plan import ALERTS_JOB, COLLECT_PREFIX, JobSpec, Timing, plan_jobs
from vendorwatch.clock import Clock
from vendorwatch.db.tables import SchedulerJob
from vendorwatch.ingest.claims import SourceClaims
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import source_health
from vendorwatch.settings import Settings

log = logging.getLogger(__name__)
JOBS_TABLE = SchedulerJob.__tablename__
_MAX_CATCH_UP = 100_000  # trigger steps looked at to find the next run after a long pause


@dataclass(frozen=True)
class ServiceOptions:
    """The service's tunables."""

    lease_seconds: float = 30
    poll_seconds: float = 5
    workers: int = 4
    timing: Timing = field(default_factory=Timing)
    backoff: Backoff = field(default_factory=Backoff)

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceOptions:
        """From ``VENDORWATCH_SCHEDULER_*``."""
        return cls(
            lease_seconds=settings.scheduler_lease_seconds, poll_seconds=settings.scheduler_poll_seconds,
            workers=settings.scheduler_workers,
            timing=Timing(jitter_seconds=settings.scheduler_jitter_seconds,
                          minute_seconds=settings.scheduler_minute_seconds),
            backoff=Backoff(settings.scheduler_backoff_seconds, settings.scheduler_backoff_max_seconds),
        )


@dataclass
class PendingReport:
    """What ``--run-pending`` did."""

    ran: list[str] = field(default_factory=list)
    active_elsewhere: str | None = None


def registry_version(engine: Engine) -> int | None:
    """The id of the registry in force (the last imported)."""
    from vendorwatch.registry.sync import newest_snapshot_id

    with Session(engine) as session:
        return newest_snapshot_id(session)


def _current_registry(engine: Engine) -> Registry | None:
    from vendorwatch.registry.sync import imported_registry

    with Session(engine) as session:
        return imported_registry(session)


def next_after(trigger: BaseTrigger, first: datetime, now: datetime) -> datetime | None:
    """The first fire time after ``now`` of a job last due at ``first`` (all missed runs coalesced into one)."""
    moment: datetime | None = first
    for _ in range(_MAX_CATCH_UP):
        if moment is None or moment > now:
            return moment
        moment = trigger.get_next_fire_time(moment, now)
    return trigger.get_next_fire_time(None, now)


class SchedulerService:
    """One scheduler process."""

    def __init__(self, engine: Engine, clock: Clock, options: ServiceOptions | None = None, *,
                 environ: Mapping[str, str] | None = None, leadership: Leadership | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.options = options or ServiceOptions()
        self.leadership = leadership or leadership_for(engine, clock, self.options.lease_seconds)
        self.stopping = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self.version: int | None = None
        claims = SourceClaims(engine, clock, self.leadership.holder, max(2 * self.options.lease_seconds, 3.0))
        jobs.install(jobs.JobRuntime(engine, clock, claims, self.options.backoff, environ))

    @property
    def active(self) -> bool:
        """Whether this process is the active scheduler now."""
        return self.scheduler is not None

    def stop(self) -> None:
        """Ask the loop to end (the SIGTERM handler calls this)."""
        self.stopping.set()

    # --- the long-running service ------------------------------------------------------------------------

    def run(self) -> None:
        """Stand by or schedule until stopped; on stop, finish the running jobs and let the leadership go."""
        log.info("scheduler %s starting (standby until active)", self.leadership.holder)
        try:
            while not self.stopping.is_set():
                self.beat()
                self.stopping.wait(self.options.poll_seconds)
        finally:
            self._deactivate(wait=True)
            self.leadership.release()
            log.info("scheduler %s stopped", self.leadership.holder)

    def beat(self) -> None:
        """One heartbeat: take or keep the leadership; re-plan when a new registry was imported."""
        if not self.active:
            if self.leadership.acquire():
                log.info("scheduler %s is now active", self.leadership.holder)
                self._activate()
            return
        if not self.leadership.renew():
            log.error("scheduler %s lost the leadership; standing by", self.leadership.holder)
            self._deactivate(wait=False)
            return
        version = registry_version(self.engine)
        if version != self.version:
            log.info("registry %s imported; re-planning the jobs", version)
            self._sync()

    def _new_scheduler(self) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=JOBS_TABLE)},
            executors={"default": ThreadPoolExecutor(self.options.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )

    def _activate(self) -> None:
        scheduler = self._new_scheduler()
        scheduler.start(paused=True)
        self.scheduler = scheduler
        self._sync()
        scheduler.resume()

    def _deactivate(self, *, wait: bool) -> None:
        if self.scheduler is not None:
            # Paused first, so no job is handed to an executor being shut down (APScheduler would still move the
            # job's next run time on, and that run would be lost).
            self.scheduler.pause()
            self.scheduler.shutdown(wait=wait)
            self.scheduler = None

    # --- planning ----------------------------------------------------------------------------------------

    def _sync(self) -> None:
        """Make the job store match the registry in force, keeping the next run of every unchanged job."""
        assert self.scheduler is not None
        self.version = registry_version(self.engine)
        registry = _current_registry(self.engine)
        specs = plan_jobs(registry, self.options.timing) if registry is not None else []
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        due = self._due_now(registry, specs) if registry is not None else set()
        now = self.clock.now()
        for spec in specs:
            job = existing.get(spec.id)
            if job is not None and job.name == spec.fingerprint:
                continue
            start: dict[str, datetime] = {"next_run_time": now} if spec.id in due else {}
            self.scheduler.add_job(spec.func, spec.trigger, args=spec.args, id=spec.id, name=spec.fingerprint,
                                   replace_existing=True, **start)
            log.info("job %s %s", spec.id, "added" if job is None else "changed")
        for job_id in existing.keys() - {spec.id for spec in specs}:
            self.scheduler.remove_job(job_id)
            log.info("job %s removed (no longer in the registry)", job_id)

    def _due_now(self, registry: Registry, specs: list[JobSpec]) -> set[str]:
        """Collection jobs whose source has not run within its interval (or never), and the first alert pass."""
        with Session(self.engine) as session:
            health = {h.source_id: h for h in source_health(session, registry, self.clock)}
        now = self.clock.now()
        due = {ALERTS_JOB}
        for spec in specs:
            if not spec.id.startswith(COLLECT_PREFIX) or spec.interval is None:
                continue
            state = health.get(spec.args[0])
            times = [t for t in (state.last_success, state.last_failure) if t is not None] if state else []
            if not times or max(times) + spec.interval <= now:
                due.add(spec.id)
        return due

    # --- once --------------------------------------------------------------------------------------------

    def run_pending(self) -> PendingReport:
        """Run every job that is due or was missed, once, then return (another active scheduler: nothing)."""
        report = PendingReport()
        if not self.leadership.acquire():
            report.active_elsewhere = active_holder(self.engine) or "?"
            return report
        scheduler = self._new_scheduler()
        scheduler.start(paused=True)
        self.scheduler = scheduler
        try:
            self._sync()
            now = self.clock.now()
            pending = sorted((j for j in scheduler.get_jobs() if j.next_run_time and j.next_run_time <= now),
                             key=lambda j: (not j.id.startswith(COLLECT_PREFIX), j.next_run_time))
            for job in pending:
                if self.stopping.is_set() or not self.leadership.renew():
                    break
                self._run_once(scheduler, job, now)
                report.ran.append(job.id)
        finally:
            self._deactivate(wait=True)
            self.leadership.release()
        return report

    def _run_once(self, scheduler: BackgroundScheduler, job: Job, now: datetime) -> None:
        try:
            job.func(*job.args, **job.kwargs)
        except Exception:
            log.exception("job %s failed", job.id)
        following = next_after(job.trigger, job.next_run_time, now)
        if following is None:
            scheduler.remove_job(job.id)
        else:
            scheduler.modify_job(job.id, next_run_time=following)


def active_holder(engine: Engine) -> str | None:
    """The scheduler the database shows as active, if its heartbeat is recent."""
    from vendorwatch.db.tables import SchedulerLease

    with Session(engine) as session:
        lease = session.get(SchedulerLease, "scheduler")
    return lease.holder if lease is not None else None


