"""The scheduler service, driven with short intervals (a schedule minute lasts a fraction of a second)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.collection import Backoff
from scheduler.plan import Timing, cron_trigger, plan_jobs
from scheduler.service import SchedulerService, ServiceOptions, next_after
from tests.scheduler.conftest import files_source, import_registry, registry_yaml
from vendorwatch.clock import SystemClock
from vendorwatch.db.tables import CollectionRun, SchedulerJob

MINUTE = 0.5  # seconds per schedule minute in these tests


def options(**overrides: object) -> ServiceOptions:
    """Short everything: leases, polls, intervals; no jitter unless asked."""
    values: dict[str, object] = {
        "lease_seconds": 2, "poll_seconds": 0.2, "workers": 4,
        "timing": Timing(jitter_seconds=0, minute_seconds=MINUTE), "backoff": Backoff(MINUTE, 8 * MINUTE),
    }
    values.update(overrides)
    return ServiceOptions(**values)  # type: ignore[arg-type]


def runs(engine: Engine, source_id: str) -> list[CollectionRun]:
    with Session(engine) as session:
        return list(session.exec(select(CollectionRun).where(CollectionRun.source_id == source_id)
                                 .order_by(col(CollectionRun.id))))


@contextmanager
def service_running(engine: Engine, opts: ServiceOptions | None = None) -> Iterator[SchedulerService]:
    service = SchedulerService(engine, SystemClock(), opts or options())
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        service.stop()
        thread.join(timeout=30)
        assert not thread.is_alive()


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_cron_weekdays_are_read_as_cron_reads_them() -> None:
    trigger = cron_trigger("0 6 * * 0", "Asia/Tokyo", None)  # Sundays at 06:00 in Tokyo
    fire = trigger.get_next_fire_time(None, datetime(2026, 12, 1, tzinfo=UTC))  # a Tuesday
    assert fire is not None and fire.strftime("%a %H:%M") == "Sun 06:00" and fire.utcoffset() == timedelta(hours=9)
    weekdays = cron_trigger("30 8 * * 1-5", "Asia/Tokyo", None)
    assert str(weekdays.fields[4]) == "mon-fri"


def test_a_long_pause_is_caught_up_by_one_run_not_one_per_missed_slot() -> None:
    trigger = cron_trigger("*/10 * * * *", "UTC", None)
    due = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert next_after(trigger, due, due + timedelta(hours=5, minutes=3)) == due + timedelta(hours=5, minutes=10)


def test_the_plan_has_every_scheduled_source_the_reminders_the_alerts_and_the_digest(tmp_path: Path) -> None:
    from vendorwatch.registry.loader import validate_text

    registry, _ = validate_text(registry_yaml(files_source("a", tmp_path, minutes=60),
                                              files_source("b", tmp_path, minutes=None, cron="15 * * * *"),
                                              files_source("c", tmp_path, minutes=None)))
    assert registry is not None
    jobs = {job.id: job for job in plan_jobs(registry, Timing())}
    assert set(jobs) == {"collect:a", "collect:b", "digest", "reminders", "alerts"}  # c: on demand only
    assert jobs["collect:b"].interval == timedelta(hours=1)
    fire = jobs["digest"].trigger.get_next_fire_time(None, datetime(2026, 12, 10, tzinfo=UTC))
    assert fire is not None and fire.strftime("%Y-%m-%d %H") == "2027-01-01 08"  # days 1..5, 08:00 Tokyo


def test_jobs_run_on_time_and_a_failing_source_backs_off_while_the_others_run(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    import_registry(engine, registry_yaml(files_source("acme-good", good, minutes=2),
                                          files_source("acme-bad", tmp_path / "missing", minutes=1)),
                    SystemClock())
    with service_running(engine) as service:
        wait_for(lambda: len(runs(engine, "acme-good")) >= 5)
        assert service.active
    good_runs, bad_runs = runs(engine, "acme-good"), runs(engine, "acme-bad")
    assert all(r.status == "success" and r.kind == "collect" and r.finished_at for r in good_runs)
    assert all(r.status == "failed" and "does not exist" in (r.error_text or "") for r in bad_runs)
    # On time: a new source runs at once, then every interval (jitter off; the machine may be busy).
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(good_runs)]
    # A slot is skipped, not queued, while the run before it still goes on; a busy machine starts runs late, but
    # never before their slot.
    interval = 2 * MINUTE
    assert all(gap >= interval * 0.8 for gap in gaps[1:]), gaps
    # The failing source waited 1, 2, 4 ... minutes after each failure, so it ran less often than the good one.
    window = (good_runs[-1].started_at - good_runs[0].started_at).total_seconds()
    assert 2 <= len(bad_runs) <= window / MINUTE / 2, "due every half second, it ran far less often"
    bad_gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(bad_runs)]
    assert all(gap >= MINUTE * 2 ** n * 0.9 for n, gap in enumerate(bad_gaps)), bad_gaps


def test_a_restart_resumes_without_losing_or_doubling_a_run(engine: Engine, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    interval = MINUTE * 4
    import_registry(engine, registry_yaml(files_source("acme-drop", drop, minutes=4)), SystemClock())
    with service_running(engine):
        wait_for(lambda: len(runs(engine, "acme-drop")) >= 2)
    before = len(runs(engine, "acme-drop"))
    with Session(engine) as session:
        stored = session.get(SchedulerJob, "collect:acme-drop")
        assert stored is not None and stored.next_run_time is not None  # kept in the database
    slot = stored.next_run_time  # the next slot on the job's grid (UTC epoch seconds)
    time.sleep(max(0.0, slot + 2.2 * interval - time.time()))  # down for three slots, back early in the next
    next_slot = datetime.fromtimestamp(slot + 3 * interval, UTC)
    with service_running(engine):
        wait_for(lambda: any(r.started_at >= next_slot for r in runs(engine, "acme-drop")[before:]), timeout=30)
    after = runs(engine, "acme-drop")[before:]
    caught_up = [r for r in after if r.started_at < next_slot]
    assert len(caught_up) == 1, "the three missed slots ran once, at start, not once per slot"
    assert [r for r in after if r.started_at >= next_slot], "then the job goes on on its grid"
    assert all(r.finished_at is not None for r in after)


def test_a_new_registry_is_picked_up_without_a_restart(engine: Engine, tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    import_registry(engine, registry_yaml(files_source("acme-first", first, minutes=60)), SystemClock())
    with service_running(engine):
        wait_for(lambda: len(runs(engine, "acme-first")) == 1)
        import_registry(engine, registry_yaml(files_source("acme-first", first, minutes=60),
                                              files_source("acme-second", first, minutes=60)), SystemClock())
        wait_for(lambda: len(runs(engine, "acme-second")) == 1)
    assert len(runs(engine, "acme-first")) == 1  # unchanged job: not run again by the re-plan
