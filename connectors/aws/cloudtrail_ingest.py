"""Feed CloudTrail files into the event writer and keep a ``source_objects`` row per file.

Used by every way events come in (S3 delivery, exported files). The row of a file is written in the
same transaction as the batch that holds its last events, so "this file was ingested" is never true
before its events are committed; a checkpoint built on these rows never moves past unread data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connectors.aws.cloudtrail_files import FileReadError, RecordProblem
from connectors.aws.cloudtrail_parse import RecordError, parse_record
from vendorwatch.clock import Clock
from vendorwatch.db.tables import SourceObject
from vendorwatch.ingest.events import EventWriter, WriteCounts
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.ingest.tagging import RegistryIndex

_OBJECTS: Table = SourceObject.__table__  # type: ignore[attr-defined]
MAX_REJECTS_RECORDED_PER_FILE = 20


@dataclass
class FileOutcome:
    """What happened to one file."""

    key: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    status: str = "ingested"  # ingested | failed
    reason: str | None = None
    size: int | None = None
    etag: str | None = None
    sha256: str | None = None
    integrity: str | None = None


@dataclass
class EventSink:
    """Parses, tags and writes the events of files; records each file once its events are committed."""

    engine: Engine
    source_id: str
    vendor_id: str
    environment_id: str | None
    index: RegistryIndex
    recorder: RunRecorder
    clock: Clock
    batch_size: int | None = None  # the writer's default for the database
    on_commit: Callable[[list[FileOutcome]], None] | None = None
    read: int = 0
    rejected: int = 0
    _pending: list[FileOutcome] = field(default_factory=list)
    writer: EventWriter = field(init=False)

    def __post_init__(self) -> None:
        self.writer = EventWriter(self.engine, source_id=self.source_id, vendor_id=self.vendor_id,
                                  run_id=self.recorder.run_id, batch_size=self.batch_size,
                                  before_write=self._take_pending, after_flush=self._record_objects,
                                  after_commit=self._committed)

    @property
    def counts(self) -> WriteCounts:
        """Stored and duplicate totals so far (of what was flushed)."""
        return self.writer.counts

    def ingest(self, outcome: FileOutcome, records: Iterator[dict[str, Any] | RecordProblem]) -> FileOutcome:
        """Take every record of one file; a file that breaks off keeps what was read and is marked failed."""
        index = self.index
        environment = self.environment_id
        add = self.writer.add
        rejected_here = 0
        try:
            for item in records:
                outcome.read += 1
                if type(item) is not dict:
                    rejected_here += 1
                    problem: Any = item
                    self._reject(outcome, rejected_here, f"record {problem.position}: {problem.reason}")
                    continue
                try:
                    event = parse_record(item, index, environment)
                except RecordError as exc:
                    rejected_here += 1
                    position = item.get("eventID") or f"#{outcome.read - 1}"
                    self._reject(outcome, rejected_here, f"record {position}: {exc}")
                    continue
                add(event)
                outcome.accepted += 1
        except FileReadError as exc:
            outcome.status = "failed"
            outcome.reason = str(exc)
            self.recorder.error(outcome.key, str(exc))
        outcome.rejected = rejected_here
        if rejected_here and outcome.reason is None:
            outcome.reason = f"{rejected_here} record(s) rejected"
        self.read += outcome.read
        self.rejected += rejected_here
        self._pending.append(outcome)
        return outcome

    def _reject(self, outcome: FileOutcome, number: int, reason: str) -> None:
        if number <= MAX_REJECTS_RECORDED_PER_FILE:
            self.recorder.error(outcome.key, reason)
        elif number == MAX_REJECTS_RECORDED_PER_FILE + 1:
            self.recorder.error(outcome.key, "further rejected records of this file are counted, not listed")

    def skip_failed(self, outcome: FileOutcome) -> None:
        """Record a file that could not even be fetched (no events)."""
        outcome.status = "failed"
        self.recorder.error(outcome.key, outcome.reason or "not read")
        self._pending.append(outcome)

    def close(self) -> WriteCounts:
        """Write what is left (events and file rows), stop the writer and total the run's counts."""
        self.writer.close()
        counts = self.writer.counts
        self.recorder.counts["read"] = self.read
        self.recorder.counts["stored"] = counts.stored
        self.recorder.counts["duplicate"] = counts.duplicate
        self.recorder.counts["rejected"] = self.rejected
        return counts

    def _take_pending(self) -> list[FileOutcome]:
        # Files completed so far: all their events are in the batch being handed over or in earlier ones.
        done, self._pending = self._pending, []
        return done

    def _record_objects(self, connection: Connection, done: list[FileOutcome]) -> None:
        if done:
            upsert_objects(connection, self.source_id, self.recorder.run_id, self.clock.now(), done)

    def _committed(self, done: list[FileOutcome]) -> None:
        if done and self.on_commit is not None:
            self.on_commit(done)


def upsert_objects(connection: Connection, source_id: str, run_id: int, now: datetime,
                   outcomes: Iterable[FileOutcome]) -> None:
    """Insert or update the ``source_objects`` rows of files (keyed by source and key)."""
    rows = [
        {"source_id": source_id, "key": o.key, "size": o.size, "etag": o.etag, "sha256": o.sha256,
         "status": o.status, "integrity": o.integrity, "reason": (o.reason or None) and o.reason[:1000],
         "events": o.accepted, "run_id": run_id, "processed_at": now}
        for o in outcomes
    ]
    if not rows:
        return
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(_OBJECTS)
    statement = statement.on_conflict_do_update(
        index_elements=["source_id", "key"],
        set_={name: statement.excluded[name] for name in
              ("size", "etag", "sha256", "status", "integrity", "reason", "events", "run_id", "processed_at")},
    )
    connection.execute(statement, rows)


def ingested_keys(connection: Connection, source_id: str, prefix: str = "") -> dict[str, str | None]:
    """Keys of this source's files already ingested completely, with their ETag."""
    query = select(_OBJECTS.c.key, _OBJECTS.c.etag).where(
        _OBJECTS.c.source_id == source_id, _OBJECTS.c.status == "ingested"
    )
    if prefix:
        query = query.where(_OBJECTS.c.key.startswith(prefix, autoescape=True))
    return {key: etag for key, etag in connection.execute(query)}
