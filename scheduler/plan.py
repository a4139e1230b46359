"""What the scheduler runs and when, from the registry in force (pure: no database, no APScheduler state).

Cron expressions are read as cron reads them: weekday 0 and 7 are Sunday (APScheduler 3 itself counts 0 as
Monday, so numeric weekdays are turned into names first).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from vendorwatch.registry.models import Registry, Schedule
from vendorwatch.views.source_status import COLLECT_JOB_PREFIX

COLLECT_PREFIX = COLLECT_JOB_PREFIX
DIGEST_JOB = "digest"
REMINDERS_JOB = "reminders"
ALERTS_JOB = "alerts"
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBER_NOT_STEP = re.compile(r"(?<![/\d])\d+")


@dataclass(frozen=True)
class Timing:
    """The scheduler's tunables (from ``Settings``), passed in so tests can shorten them."""

    jitter_seconds: float = 60
    minute_seconds: float = 60  # length of a minute of interval schedules
    alerts_every_minutes: int = 5
    digest_hour: int = 8  # local time of the organization; the digest job runs on days 1..deliver_by_day
    reminders_hour: int = 9


@dataclass(frozen=True)
class JobSpec:
    """One job: its id, the function (a textual reference, as the job store keeps it), arguments and trigger.

    ``fingerprint`` names what the trigger was built from: a job whose fingerprint is unchanged keeps its next
    run time across restarts and registry imports (a missed run is not lost).
    """

    id: str
    func: str
    args: tuple[str, ...]
    trigger: BaseTrigger
    fingerprint: str
    interval: timedelta | None = None  # for collection jobs: how often the source is due


def cron_trigger(expression: str, zone: str, jitter: float | None) -> CronTrigger:
    """A five-field crontab expression as an APScheduler trigger in the organization's time zone."""
    minute, hour, day, month, weekday = expression.split()
    weekday = _NUMBER_NOT_STEP.sub(lambda m: _WEEKDAYS[int(m.group())] if int(m.group()) <= 7 else m.group(),
                                   weekday)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone=zone,
                       jitter=jitter or None)


def source_trigger(schedule: Schedule, zone: str, timing: Timing) -> tuple[BaseTrigger, timedelta]:
    """The trigger of a source's schedule and roughly how often it fires."""
    if schedule.interval_minutes is not None:
        seconds = schedule.interval_minutes * timing.minute_seconds
        jitter = min(timing.jitter_seconds, seconds / 10)
        return IntervalTrigger(seconds=seconds, timezone=zone, jitter=jitter or None), timedelta(seconds=seconds)
    assert schedule.cron is not None
    trigger = cron_trigger(schedule.cron, zone, timing.jitter_seconds)
    return trigger, _cron_period(cron_trigger(schedule.cron, zone, None))


def _cron_period(trigger: CronTrigger) -> timedelta:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, start)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return (second - first) if first and second else timedelta(days=1)


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def plan_jobs(registry: Registry, timing: Timing) -> list[JobSpec]:
    """Every job of the registry: each scheduled source's collection, the reminders, the digest, the alerts."""
    zone = registry.organization.timezone
    jobs: list[JobSpec] = []
    for vendor in registry.vendors:
        for source in vendor.sources:
            if source.schedule is None:
                continue  # collected on demand only (`vendorwatch collect`)
            trigger, every = source_trigger(source.schedule, zone, timing)
            jobs.append(JobSpec(
                f"{COLLECT_PREFIX}{source.id}", "scheduler.jobs:collect_source", (source.id,), trigger,
                _fingerprint(source.schedule.model_dump(), zone, timing.minute_seconds, timing.jitter_seconds),
                every,
            ))
    deliver_by = registry.organization.digest.deliver_by_day
    jobs.append(JobSpec(
        DIGEST_JOB, "scheduler.jobs:deliver_digest", (),
        CronTrigger(day=f"1-{deliver_by}", hour=timing.digest_hour, minute=0, timezone=zone,
                    jitter=timing.jitter_seconds or None),
        _fingerprint("digest", deliver_by, zone, timing.digest_hour),
    ))
    jobs.append(JobSpec(
        REMINDERS_JOB, "scheduler.jobs:send_reminders", (),
        CronTrigger(hour=timing.reminders_hour, minute=0, timezone=zone, jitter=timing.jitter_seconds or None),
        _fingerprint("reminders", zone, timing.reminders_hour),
    ))
    alert_seconds = timing.alerts_every_minutes * timing.minute_seconds
    jobs.append(JobSpec(
        ALERTS_JOB, "scheduler.jobs:send_alerts", (), IntervalTrigger(seconds=alert_seconds, timezone=zone),
        _fingerprint("alerts", alert_seconds),
    ))
    return jobs
