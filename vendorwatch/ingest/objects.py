"""Source objects: each file or object a connector reads (log file, exported file, LookupEvents window), its
version (ETag), what happened to it and its integrity, in ``source_objects``.

A connector reads an object and turns its content into records; this module stores both. ``ObjectSink``
writes an object's events through the event writer and its ``source_objects`` row in the same transaction
as the batch that holds its last events, so "this object was ingested" is never true before its events are
committed, and a checkpoint built on these rows never moves past unread data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vendorwatch.db.tables import SourceObject
from vendorwatch.i18n import Text, t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.events import EventWriter, WriteCounts
from vendorwatch.ingest.reading import ObjectReadError as ObjectReadError  # re-exported: connectors use them
from vendorwatch.ingest.reading import Rejected as Rejected
from vendorwatch.ingest.runs import Count, RunRecorder
from vendorwatch.records import AccessEventRecord

_OBJECTS: Table = SourceObject.__table__  # type: ignore[attr-defined]
MAX_REJECTS_RECORDED_PER_OBJECT = 20
INGESTED = "ingested"
FAILED = "failed"


@dataclass
class ObjectOutcome:
    """What happened to one object: how many records were read, stored, rejected, and its state."""

    key: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    status: str = INGESTED  # ingested | failed
    reason: Text | None = None
    size: int | None = None
    etag: str | None = None
    sha256: str | None = None
    integrity: str | None = None


OnCommit = Callable[[list[ObjectOutcome]], None]


@dataclass
class ObjectSink:
    """Stores the events of objects for one run, and each object's row once its events are committed.

    ``on_commit`` is told which objects were committed (in the writer's thread when it writes in the
    background): a connector moves its checkpoint with it.
    """

    context: CollectContext
    recorder: RunRecorder
    batch_size: int | None = None  # the writer's default for the database
    on_commit: OnCommit | None = None
    read: int = 0
    rejected: int = 0
    rejected_accounts: Counter[str] = field(default_factory=Counter)  # records rejected for their account
    failed: list[ObjectOutcome] = field(default_factory=list)  # objects that could not be read to their end
    _pending: list[ObjectOutcome] = field(default_factory=list)
    writer: EventWriter = field(init=False)

    def __post_init__(self) -> None:
        self.writer = EventWriter(self.context.engine, source_id=self.context.source.id,
                                  vendor_id=self.context.vendor.id, run_id=self.recorder.run_id,
                                  batch_size=self.batch_size, before_write=self._take_pending,
                                  after_flush=self._record_objects, after_commit=self._committed)

    @property
    def counts(self) -> WriteCounts:
        """Stored and duplicate totals so far (of what was flushed)."""
        return self.writer.counts

    def store(self, outcome: ObjectOutcome, items: Iterable[AccessEventRecord | Rejected]) -> ObjectOutcome:
        """Take every record of one object; an object that breaks off keeps what was read and is marked failed."""
        add = self.writer.add
        read = accepted = rejected = 0
        try:
            for item in items:
                read += 1
                if type(item) is Rejected:
                    rejected += 1
                    self._reject(outcome, rejected, item.reason)
                    if item.account is not None:
                        self.rejected_accounts[item.account] += 1
                else:
                    add(item)  # type: ignore[arg-type]
                    accepted += 1
        except ObjectReadError as exc:
            outcome.status = FAILED
            outcome.reason = exc.reason
            self.recorder.error(outcome.key, exc.reason)
            self.failed.append(outcome)
        outcome.read += read
        outcome.accepted += accepted
        outcome.rejected += rejected
        if rejected and outcome.reason is None:
            outcome.reason = t(f"{rejected} 件のレコードを取り込めませんでした", f"{rejected} record(s) rejected")
        self.read += read
        self.rejected += rejected
        self._pending.append(outcome)
        return outcome

    def _reject(self, outcome: ObjectOutcome, number: int, reason: Text) -> None:
        if number <= MAX_REJECTS_RECORDED_PER_OBJECT:
            self.recorder.error(outcome.key, reason)
        elif number == MAX_REJECTS_RECORDED_PER_OBJECT + 1:
            self.recorder.error(outcome.key, t("このファイルのそれ以降の不正レコードは件数のみ記録します",
                                               "further rejected records of this file are counted, not listed"))

    def skip_failed(self, outcome: ObjectOutcome) -> None:
        """Record an object that could not even be fetched (no events)."""
        outcome.status = FAILED
        self.recorder.error(outcome.key, outcome.reason or t("読み込めませんでした", "not read"))
        self.failed.append(outcome)
        self._pending.append(outcome)

    def close(self) -> WriteCounts:
        """Write what is left (events and object rows), stop the writer and total the run's counts."""
        self.writer.close()
        counts = self.writer.counts
        self.recorder.set_count(Count.READ, self.read)
        self.recorder.set_count(Count.STORED, counts.stored)
        self.recorder.set_count(Count.DUPLICATE, counts.duplicate)
        self.recorder.set_count(Count.REJECTED, self.rejected)
        if self.rejected_accounts:
            self.recorder.set_count(Count.REJECTED_ACCOUNT, sum(self.rejected_accounts.values()))
        return counts

    def _take_pending(self) -> list[ObjectOutcome]:
        # Objects completed so far: all their events are in the batch being handed over or in earlier ones.
        done, self._pending = self._pending, []
        return done

    def _record_objects(self, connection: Connection, done: list[ObjectOutcome]) -> None:
        if done:
            upsert_objects(connection, self.context.source.id, self.recorder.run_id, self.context.clock.now(), done)

    def _committed(self, done: list[ObjectOutcome]) -> None:
        if done and self.on_commit is not None:
            self.on_commit(done)


def upsert_objects(connection: Connection, source_id: str, run_id: int, now: datetime,
                   outcomes: Iterable[ObjectOutcome]) -> None:
    """Insert or update the ``source_objects`` rows of objects (keyed by source and key)."""
    rows = [
        {"source_id": source_id, "key": o.key, "size": o.size, "etag": o.etag, "sha256": o.sha256,
         "status": o.status, "integrity": o.integrity, "reason": o.reason.both()[:1000] if o.reason else None,
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


def ingested_keys(context: CollectContext, prefix: str = "") -> dict[str, str | None]:
    """Keys of the source's objects already ingested completely, with their ETag."""
    query = select(_OBJECTS.c.key, _OBJECTS.c.etag).where(
        _OBJECTS.c.source_id == context.source.id, _OBJECTS.c.status == INGESTED
    )
    if prefix:
        query = query.where(_OBJECTS.c.key.startswith(prefix, autoescape=True))
    with context.engine.connect() as connection:
        return {key: etag for key, etag in connection.execute(query)}


class StoredObject(NamedTuple):
    """An object this source read (ingested or failed), with the hash of its content."""

    key: str
    sha256: str | None


class Integrity(NamedTuple):
    """The verdict on one object's integrity (``verified``, ``failed``, ``no_digest``, ``unsigned``) and why."""

    key: str
    verdict: str
    reason: Text | None = None


def stored_objects(context: CollectContext) -> list[StoredObject]:
    """The objects of the source that were read (ingested or failed), to check their integrity."""
    with context.engine.connect() as connection:
        rows = connection.execute(
            select(_OBJECTS.c.key, _OBJECTS.c.sha256).where(
                _OBJECTS.c.source_id == context.source.id, _OBJECTS.c.status.in_([INGESTED, FAILED]))
            .order_by(_OBJECTS.c.id)
        ).all()
    return [StoredObject(key, sha256) for key, sha256 in rows]


def record_integrity(context: CollectContext, verdicts: Iterable[Integrity]) -> None:
    """Write each object's integrity verdict (and the reason of a failure) in one transaction."""
    with context.engine.begin() as connection:
        for verdict in verdicts:
            values: dict[str, str] = {"integrity": verdict.verdict}
            if verdict.reason is not None:
                values["reason"] = verdict.reason.both()[:1000]
            connection.execute(update(_OBJECTS).where(
                _OBJECTS.c.source_id == context.source.id, _OBJECTS.c.key == verdict.key).values(**values))
