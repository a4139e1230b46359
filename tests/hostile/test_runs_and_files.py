"""A run whose process was killed is marked interrupted by the next run of its source (one still going is left
alone; another host's collect once nothing holds its source's claim); the SQLite database and its -wal/-shm
files are readable by their owner only."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, col, select

from tests.hostile.harness import prepare
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.tables import CollectionRun
from vendorwatch.ingest.claims import SourceClaims
from vendorwatch.ingest.runs import RunRecorder

_HOLD_A_RUN = """
import sys, time
from vendorwatch.clock import SystemClock
from vendorwatch.db.engine import make_engine
from vendorwatch.ingest.runs import RunRecorder
RunRecorder(make_engine(sys.argv[1]), sys.argv[2], SystemClock(), kind="import")
print("started", flush=True)
time.sleep(600)
"""


def _start_run(url: str, source: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", _HOLD_A_RUN, url, source], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "started"
    return process


def _runs(url: str) -> list[tuple[str, str]]:
    with Session(make_engine(url)) as session:
        return [(r.source_id, r.status) for r in session.exec(select(CollectionRun).order_by(col(CollectionRun.id)))]


def test_a_run_of_a_killed_process_is_marked_interrupted_by_the_next_run(
        database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    prepare(tmp_path, database_url, clock)
    alive = _start_run(database_url, "acme-files")
    killed = _start_run(database_url, "acme-files")  # sees the first one alive: leaves it running
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    other_source = _start_run(database_url, "other-files")
    other_source.send_signal(signal.SIGKILL)
    other_source.wait()
    try:
        assert _runs(database_url) == [("acme-files", "running"), ("acme-files", "running"),
                                       ("other-files", "running")]
        recorder = RunRecorder(make_engine(database_url), "acme-files", clock, kind="import")
        recorder.finish()
        assert _runs(database_url) == [("acme-files", "running"), ("acme-files", "interrupted"),
                                       ("other-files", "running"), ("acme-files", "success")]
        with Session(make_engine(database_url)) as session:
            interrupted = session.get(CollectionRun, 2)
            assert interrupted is not None and interrupted.finished_at == clock.now()
            assert interrupted.error_text is not None and f"/{killed.pid}/" in interrupted.error_text
    finally:
        alive.kill()
        alive.wait()


def test_a_reused_process_id_does_not_keep_a_dead_run_alive(sqlite_url: str, tmp_path: Path,
                                                             clock: FixedClock) -> None:
    prepare(tmp_path, sqlite_url, clock)
    RunRecorder(make_engine(sqlite_url), "acme-files", clock)
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:  # this very process, but started at another moment: not the owner
        owner = connection.execute(text("SELECT owner FROM collection_runs")).scalar_one()
        connection.execute(text("UPDATE collection_runs SET owner = :o"), {"o": owner.rsplit("/", 1)[0] + "/1"})
    RunRecorder(engine, "acme-files", clock).finish()
    assert _runs(sqlite_url) == [("acme-files", "interrupted"), ("acme-files", "success")]


def test_the_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'vendorwatch.db'}")
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE t (x)"))
            connection.commit()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {"vendorwatch.db": 0o600, "vendorwatch.db-wal": 0o600, "vendorwatch.db-shm": 0o600}


def test_init_creates_the_database_readable_by_its_owner_only(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.hostile.world import REGISTRY

    (tmp_path / "vendorwatch.yaml").write_text(REGISTRY, encoding="utf-8")
    done = run_cli("init")
    assert done.exit_code == 0, done.stderr
    assert stat.S_IMODE((tmp_path / "vendorwatch.db").stat().st_mode) == 0o600


def _remote_run(database_url: str, source_id: str, kind: str, clock: FixedClock) -> None:
    """A run left ``running`` by a process of another host (a scheduler there killed mid-collection)."""
    with Session(make_engine(database_url)) as session:
        session.add(CollectionRun(source_id=source_id, kind=kind, started_at=clock.now(), status="running",
                                  owner="scheduler-host-b/4242/991"))
        session.commit()


def test_another_hosts_collect_run_is_interrupted_once_nothing_holds_its_claim(
        database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    prepare(tmp_path, database_url, clock)
    engine = make_engine(database_url)
    _remote_run(database_url, "acme-files", "collect", clock)
    _remote_run(database_url, "acme-files", "import", clock)  # imports hold no claim: nothing says it ended
    claims = SourceClaims(engine, clock, "scheduler-host-b", 120)
    assert claims.take("acme-files")  # host B still renews its claim: its collect may be running
    RunRecorder(engine, "acme-files", clock, kind="import").finish()
    assert _runs(database_url)[:2] == [("acme-files", "running"), ("acme-files", "running")]
    clock.set(clock.now() + timedelta(minutes=5))  # host B stopped renewing: the claim expired
    RunRecorder(engine, "acme-files", clock, kind="import").finish()
    assert _runs(database_url)[:2] == [("acme-files", "interrupted"), ("acme-files", "running")]
    with Session(engine) as session:
        first = session.get(CollectionRun, 1)
    assert first is not None and "no longer holds the source's claim" in (first.error_text or "")


def test_a_collect_under_the_claim_interrupts_another_hosts_collect(database_url: str, tmp_path: Path,
                                                                     clock: FixedClock) -> None:
    prepare(tmp_path, database_url, clock)
    engine = make_engine(database_url)
    _remote_run(database_url, "acme-files", "collect", clock)
    claims = SourceClaims(engine, clock, "collect:here", 120)
    with claims.held("acme-files") as ours:  # we hold the claim: no other collect can be running
        assert ours
        RunRecorder(engine, "acme-files", clock).finish()
    assert _runs(database_url) == [("acme-files", "interrupted"), ("acme-files", "success")]
