"""EventWriter on both databases: duplicates within and across batches, and PostgreSQL's two COPY paths."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.conftest import CONTRACT_REGISTRY, _fresh_postgres_database
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import AccessEvent
from vendorwatch.ingest.events import EventWriter
from vendorwatch.records import AccessEventRecord
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.sync import apply_import


def _register(engine: Engine, clock: FixedClock) -> Engine:
    upgrade(engine)
    registry, text = load_registry(CONTRACT_REGISTRY)
    with Session(engine) as session:
        apply_import(session, registry, text, path="vendorwatch.yaml", actor="tester", clock=clock)
        session.commit()
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
