"""EventWriter on both databases: duplicates within and across batches, and PostgreSQL's two COPY paths."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.conftest import CONTRACT_REGISTRY, _fresh_postgres_database
from tests.registry_import import import_registry
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import AccessEvent
from vendorwatch.ingest.events import BACKGROUND_BATCH_SIZE, BATCH_SIZE, EventWriter
from vendorwatch.records import AccessEventRecord


def _register(engine: Engine, clock: FixedClock) -> Engine:
    upgrade(engine)
    import_registry(engine, CONTRACT_REGISTRY, clock)
    return engine


@pytest.fixture
def registered(database_url: str, clock: FixedClock) -> Iterator[Engine]:
    engine = _register(make_engine(database_url), clock)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres(postgres_server: str, clock: FixedClock) -> Iterator[Engine]:
    """A registered PostgreSQL database, for the paths only PostgreSQL has."""
    for url in _fresh_postgres_database(postgres_server):
        engine = _register(make_engine(url), clock)
        yield engine
        engine.dispose()


def _events(clock: FixedClock, count: int, start: int = 0) -> list[AccessEventRecord]:
    return [AccessEventRecord(source_event_id=f"evt-{n}", event_time=clock.now() + timedelta(seconds=n),
                              action="PutEventSelectors", principal=f"arn:aws:iam::111111111111:user/u{n % 3}",
                              environment_id="asys-prod", details={"trail_name": f"t{n}", "n": n})
            for n in range(start, start + count)]


def _write(engine: Engine, events: list[AccessEventRecord], batch_size: int = 4) -> tuple[int, int]:
    writer = EventWriter(engine, source_id="asys-aws-prod", vendor_id="asys", run_id=None, batch_size=batch_size)
    writer.add_all(events)
    counts = writer.flush()
    return counts.stored, counts.duplicate


def _stored(engine: Engine) -> list[tuple[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(select(AccessEvent.source_event_id, AccessEvent.details)).all()
    return sorted((event_id, details) for event_id, details in rows)


def test_repeats_within_a_batch_and_across_batches_are_stored_once(registered: Engine, clock: FixedClock) -> None:
    events = _events(clock, 6)
    assert _write(registered, [*events[:3], events[0], events[1], *events[3:]]) == (6, 2)
    assert _write(registered, [*events, *_events(clock, 2, start=6)]) == (2, 6)
    stored = _stored(registered)
    assert [event_id for event_id, _ in stored] == sorted(f"evt-{n}" for n in range(8))
    assert dict(stored)["evt-5"] == {"trail_name": "t5", "n": 5}  # details come back as an object


def test_a_race_with_another_writer_falls_back_to_the_staging_table(postgres: Engine, clock: FixedClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer stores events after the read-back: the direct COPY fails and the batch is staged."""
    _write(postgres, _events(clock, 5))
    staged = _count_staged(monkeypatch)
    monkeypatch.setattr(EventWriter, "_new_rows", staticmethod(lambda _cursor, rows: list(rows)))
    assert _write(postgres, _events(clock, 8), batch_size=100) == (3, 5)
    with Session(postgres) as session:
        assert session.exec(select(func.count()).select_from(AccessEvent)).one() == 8
    assert staged == [8]


def test_new_events_are_copied_straight_into_the_table(postgres: Engine, clock: FixedClock,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    staged = _count_staged(monkeypatch)
    assert _write(postgres, _events(clock, 8), batch_size=100) == (8, 0)
    assert _write(postgres, _events(clock, 8), batch_size=100) == (0, 8)
    assert staged == []


def _count_staged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every batch that goes through the staging table."""
    sizes: list[int] = []
    original = EventWriter._copy_staged.__func__  # type: ignore[attr-defined]

    def spy(cls: type[EventWriter], cursor: Any, rows: list[tuple[Any, ...]]) -> int:
        sizes.append(len(rows))
        return int(original(cls, cursor, rows))

    monkeypatch.setattr(EventWriter, "_copy_staged", classmethod(spy))
    return sizes


def _writer_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("vendorwatch-events")]


def test_events_are_written_in_the_background_and_bookkeeping_sees_each_batch_in_order(registered: Engine,
                                                                                      clock: FixedClock) -> None:
    """A worker thread writes by default; the callbacks run there, once per batch, and no thread is left."""
    default = EventWriter(registered, source_id="asys-aws-prod", vendor_id="asys", run_id=None)
    assert default._background
    assert default.batch_size == BACKGROUND_BATCH_SIZE
    seen: list[dict[str, Any]] = []
    handed = iter(range(100))

    def after_flush(connection: Any, token: int) -> None:
        # Same transaction as the batch: its events are visible here, before the commit.
        stored = connection.execute(select(func.count()).select_from(AccessEvent)).scalar_one()
        seen.append({"step": "flush", "token": token, "thread": threading.current_thread().name, "stored": stored})

    def after_commit(token: int) -> None:
        seen.append({"step": "commit", "token": token, "thread": threading.current_thread().name})

    writer = EventWriter(registered, source_id="asys-aws-prod", vendor_id="asys", run_id=None, batch_size=3,
                         before_write=lambda: next(handed), after_flush=after_flush, after_commit=after_commit)
    writer.add_all(_events(clock, 7))
    assert writer.flush().stored == 7
    assert [(entry["step"], entry["token"]) for entry in seen] == [
        ("flush", 0), ("commit", 0), ("flush", 1), ("commit", 1), ("flush", 2), ("commit", 2)]
    assert [entry["stored"] for entry in seen if entry["step"] == "flush"] == [3, 6, 7]
    assert all(entry["thread"].startswith("vendorwatch-events") for entry in seen)
    assert _writer_threads() == []
    writer.add_all(_events(clock, 2, start=7))  # a flushed writer takes more events
    assert writer.flush().stored == 9


def test_a_failed_background_batch_is_raised_in_the_callers_thread(registered: Engine, clock: FixedClock) -> None:
    """The worker's error surfaces at the next hand-over; nothing of the refused batch is stored."""
    from vendorwatch.errors import DatabaseError

    writer = EventWriter(registered, source_id="asys-aws-prod", vendor_id="asys", run_id=None, batch_size=2,
                         background=True)
    good = _events(clock, 2)
    writer.add_all(good)  # first batch handed over, written meanwhile
    bad = [event._replace(source_event_id=f"bad-{n}", environment_id="nowhere-prod")
           for n, event in enumerate(_events(clock, 2, start=2))]
    with pytest.raises(DatabaseError, match="environments"):
        writer.add_all([*bad, *_events(clock, 2, start=4)])  # the bad batch fails in the worker ...
        writer.flush()  # ... and is raised at the next hand-over or here at the latest
    assert _writer_threads() == []
    assert [event_id for event_id, _ in _stored(registered)] == ["evt-0", "evt-1"]


def test_in_memory_sqlite_is_written_in_the_callers_thread(clock: FixedClock) -> None:
    """An in-memory database is one per thread (or one shared connection): a worker would miss it."""
    engine = _register(make_engine("sqlite://"), clock)
    writer = EventWriter(engine, source_id="asys-aws-prod", vendor_id="asys", run_id=None, batch_size=2)
    assert not writer._background and EventWriter(engine, source_id="asys-aws-prod", vendor_id="asys",
                                                  run_id=None).batch_size == BATCH_SIZE
    writer.add_all(_events(clock, 5))
    assert writer.flush().stored == 5
    assert len(_stored(engine)) == 5
    engine.dispose()


@pytest.mark.parametrize("count", [999, 1000, 1001, 2500])
def test_sqlite_rows_are_inserted_many_per_statement_and_the_rest_one_by_one(sqlite_engine: Engine,
                                                                              clock: FixedClock, count: int) -> None:
    """Whole statements of SQLITE_ROWS_PER_STATEMENT rows, then the remainder; duplicates counted either way."""
    engine = _register(sqlite_engine, clock)
    assert _write(engine, _events(clock, count), batch_size=5000) == (count, 0)
    assert _write(engine, _events(clock, count + 3), batch_size=5000) == (3, count)
    stored = _stored(engine)
    assert len(stored) == count + 3
    assert dict(stored)[f"evt-{count - 1}"] == {"trail_name": f"t{count - 1}", "n": count - 1}


def test_event_times_are_stored_as_utc_whatever_zone_they_come_in(registered: Engine, clock: FixedClock) -> None:
    """Parsers give UTC (the fast path); an offset or zone is converted; reading back gives the same instant."""
    utc = clock.now().replace(microsecond=123456)
    tokyo = utc.astimezone(ZoneInfo("Asia/Tokyo")) + timedelta(seconds=1)
    fixed = utc.astimezone(timezone(timedelta(hours=-5))) + timedelta(seconds=2)
    events = [AccessEventRecord(source_event_id=f"t-{n}", event_time=when, action="GetObject")
              for n, when in enumerate((utc, tokyo, fixed))]
    assert _write(registered, events) == (3, 0)
    with Session(registered) as session:
        stored = dict(session.exec(select(AccessEvent.source_event_id, AccessEvent.event_time)).all())
    assert stored == {"t-0": utc, "t-1": utc + timedelta(seconds=1), "t-2": utc + timedelta(seconds=2)}
    assert all(when.tzinfo is not None for when in stored.values())
