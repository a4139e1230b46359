"""The scheduler as operators run it: separate processes, SIGTERM, SIGKILL, a standby taking over."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.connectors.aws.conftest import cloudtrail_record
from tests.scheduler.conftest import files_source, import_registry, registry_yaml
from tests.scheduler.test_service import runs, wait_for
from vendorwatch.clock import SystemClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import CollectionRun, SchedulerLease

FAST = {"VENDORWATCH_SCHEDULER_LEASE_SECONDS": "2", "VENDORWATCH_SCHEDULER_POLL_SECONDS": "0.2",
        "VENDORWATCH_SCHEDULER_MINUTE_SECONDS": "0.5", "VENDORWATCH_SCHEDULER_JITTER_SECONDS": "0",
        "VENDORWATCH_SCHEDULER_BACKOFF_SECONDS": "0.5"}


@contextmanager
def scheduler_process(url: str, log: Path, *args: str, **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    env |= FAST | {"VENDORWATCH_DATABASE_URL": url} | {f"VENDORWATCH_SCHEDULER_{k.upper()}": v
                                                       for k, v in settings.items()}
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "vendorwatch", "scheduler", *args], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def said(log: Path, text: str) -> bool:
    return text in log.read_text(encoding="utf-8", errors="replace")


def _world(url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = make_engine(url)
    upgrade(engine)
    drop = tmp_path / "drop"
    drop.mkdir()
    import_registry(engine, registry_yaml(files_source("acme-a", drop, minutes=2),
                                          files_source("acme-b", drop, minutes=2)), SystemClock())
    yield url, engine
    engine.dispose()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """Two sources due every second, on SQLite and on PostgreSQL."""
    yield from _world(database_url, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """The same on SQLite only (what does not depend on the database; each process takes seconds to start)."""
    yield from _world(sqlite_url, tmp_path)


def _overlapping(engine: Engine, source_id: str) -> list[tuple[int | None, int | None]]:
    done = [r for r in runs(engine, source_id) if r.finished_at is not None]
    return [(a.id, b.id) for a, b in itertools.pairwise(done)
            if a.finished_at is not None and b.started_at < a.finished_at]


def test_a_standby_never_runs_jobs_and_takes_over_within_a_minute_when_the_active_one_is_killed(
    world: tuple[str, Engine], tmp_path: Path,
) -> None:
    url, engine = world
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with scheduler_process(url, first_log) as first:
        wait_for(lambda: said(first_log, "is now active"), timeout=60)
        with scheduler_process(url, second_log) as second:
            wait_for(lambda: said(second_log, "standby until active"), timeout=60)
            wait_for(lambda: len(runs(engine, "acme-a")) >= 3, timeout=60)
            assert not said(second_log, "is now active")  # the standby ran nothing
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            killed = time.monotonic()
            wait_for(lambda: said(second_log, "is now active"), timeout=60)
            took_over = time.monotonic() - killed
            count = len(runs(engine, "acme-a"))
            wait_for(lambda: len(runs(engine, "acme-a")) > count + 1, timeout=60)  # and it runs the jobs
            assert second.poll() is None
    assert took_over < 60
    for source_id in ("acme-a", "acme-b"):
        assert _overlapping(engine, source_id) == [], "a source ran twice at once"


def test_sigterm_finishes_the_running_collection_and_exits_cleanly(sqlite_world: tuple[str, Engine],
                                                                 tmp_path: Path) -> None:
    url, engine = sqlite_world
    log = tmp_path / "scheduler.log"
    # An upload cut short stays in the folder: every run of either source looks at it twice, half a second apart,
    # and leaves it for the next run. Runs of an empty folder take milliseconds, too short to be caught running.
    whole = gzip.compress(orjson.dumps({"Records": [cloudtrail_record(account="111111111111") for _ in range(5)]}))
    cut = tmp_path / "drop" / "cut-short.json.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    os.utime(cut, (1_700_000_000, 1_700_000_000))
    with scheduler_process(url, log) as process:
        wait_for(lambda: len(runs(engine, "acme-a")) >= 2, timeout=60)
        wait_for(lambda: any(r.finished_at is None for r in runs(engine, "acme-a") + runs(engine, "acme-b")),
                 timeout=30)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert said(log, "finishing the running jobs") and said(log, "stopped")
    with Session(engine) as session:
        assert [r.id for r in session.exec(select(CollectionRun).where(CollectionRun.finished_at == None))] == []  # noqa: E711
        assert session.get(SchedulerLease, "scheduler") is None  # released: a standby need not wait


def test_run_pending_runs_what_is_due_once_and_exits(sqlite_world: tuple[str, Engine], tmp_path: Path,
                                                    run_cli: Any) -> None:
    url, engine = sqlite_world
    log = tmp_path / "pending.log"
    real = {"minute_seconds": "60"}  # the sources are due every two real minutes
    with scheduler_process(url, log, "--run-pending", **real) as process:
        assert process.wait(timeout=120) == 0, log.read_text()
    assert len(runs(engine, "acme-a")) == 1 and len(runs(engine, "acme-b")) == 1  # never collected: due
    with scheduler_process(url, log, "--run-pending", **real) as process:
        assert process.wait(timeout=120) == 0
    assert len(runs(engine, "acme-a")) == 1 and len(runs(engine, "acme-b")) == 1  # not due again yet
    status = run_cli("status", "--json", env={"VENDORWATCH_DATABASE_URL": url})
    assert status.exit_code == 0, status.stderr  # both collected within their SLA
    document = json.loads(status.stdout)
    first = runs(engine, "acme-a")[0].started_at
    next_runs = [datetime.fromisoformat(s["next_run"]) for s in document["sources"]]
    assert all(first < moment <= first + timedelta(minutes=3) for moment in next_runs)  # from the job store
    import_registry(engine, registry_yaml(files_source("acme-a", tmp_path, minutes=2),
                                          files_source("acme-b", tmp_path, minutes=2),
                                          files_source("acme-c", tmp_path, minutes=2)), SystemClock())
    with scheduler_process(url, log, "--run-pending", **real) as process:
        assert process.wait(timeout=120) == 0
    assert [len(runs(engine, s)) for s in ("acme-a", "acme-b", "acme-c")] == [1, 1, 1]
