"""The scheduler's jobs as the job store calls them: the digest to a real SMTP server, a crashing connector."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler import jobs
from scheduler.collection import Backoff, run_source
from tests.scheduler.conftest import files_source, import_registry, registry_yaml
from tests.servers.smtp import SmtpServer
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import CollectionRun, DigestDelivery
from vendorwatch.ingest.claims import SourceClaims


def test_the_digest_job_delivers_last_month_once(sqlite_engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> None:
    organization = (f"  mail: {json.dumps(smtp_server.mail_settings())}\n"
                    "  digest: {recipients: [board@example-sec.co.jp], deliver_by_day: 3}")
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))
    import_registry(sqlite_engine, registry_yaml(files_source("acme-drop", tmp_path), organization=organization), clock)
    clock.set(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))  # 2 December 08:00 in Tokyo: day 2 of 3
    jobs.install(jobs.JobRuntime(sqlite_engine, clock, SourceClaims(sqlite_engine, clock, "test", 10), Backoff()))
    try:
        jobs.deliver_digest()
        jobs.deliver_digest()  # the next day's run: already delivered, nothing sent
        jobs.send_reminders()  # no campaign: nothing due, nothing sent
    finally:
        jobs.install(None)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["board@example-sec.co.jp"]]
    with Session(sqlite_engine) as session:
        [delivery] = session.exec(select(DigestDelivery)).all()
    assert delivery.month == "2026-11" and delivery.status == "delivered"


def test_a_connector_that_crashes_leaves_a_failed_run_and_the_scheduler_goes_on(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A mock: no real peer makes a connector raise an unexpected error (a bug); the guard around it is tested.
    import connectors.files.collect as files_collect

    def broken(context: object) -> CollectionRun:
        raise KeyError("surprise")

    monkeypatch.setattr(files_collect, "collect", broken)
    clock = FixedClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    registry = import_registry(sqlite_engine, registry_yaml(files_source("acme-drop", tmp_path)), clock)
    outcome = run_source(sqlite_engine, registry, "acme-drop", clock, SourceClaims(sqlite_engine, clock, "t", 10),
                         Backoff())
    assert outcome.outcome == "failed" and outcome.error == "KeyError: 'surprise'"
    with Session(sqlite_engine) as session:
        [run] = session.exec(select(CollectionRun)).all()
    assert (run.status, run.error_text, run.finished_at is not None) == ("failed", "KeyError: 'surprise'", True)
    again = run_source(sqlite_engine, registry, "acme-drop", clock, SourceClaims(sqlite_engine, clock, "t", 10),
                       Backoff())
    assert again.outcome == "backing_off"  # a failing source waits before it is tried again


def test_collect_by_hand_refuses_a_source_the_scheduler_is_collecting(sqlite_url: str, tmp_path: Path,
                                                                     run_cli: Any) -> None:
    from vendorwatch.clock import SystemClock
    from vendorwatch.db.engine import make_engine
    from vendorwatch.db.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    import_registry(engine, registry_yaml(files_source("acme-drop", tmp_path)), SystemClock())
    claims = SourceClaims(engine, SystemClock(), "scheduler-on-another-host", 120)
    assert claims.take("acme-drop")
    env = {"VENDORWATCH_DATABASE_URL": sqlite_url}
    busy = run_cli("collect", "acme-drop", env=env)
    assert busy.exit_code == 1 and "busy" in busy.stdout
    claims.release("acme-drop")
    done = run_cli("collect", "acme-drop", env=env)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "success" in done.stdout
    engine.dispose()
