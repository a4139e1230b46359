"""Write access events in large batches; the unique (source, source event id) makes re-collection idempotent.

Events come by the million, so this module skips the ORM and SQLAlchemy's per-row parameter processing:
rows are turned into plain tuples once and handed to the driver in one call per batch.

- SQLite: ``INSERT OR IGNORE`` through the DBAPI's ``executemany``; the rows of a batch are sorted by event
  id first, so the unique index (the largest single cost, random ids) is walked in order.
- PostgreSQL: ``COPY`` into a temporary table, then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``.

Both count stored rows from what the database reports (changes / rowcount), so stored + duplicate is exact.
An optional ``after_flush`` callback runs in the same transaction as the batch, for bookkeeping that must
commit together with the events (source objects); ``after_commit`` runs once it is committed (checkpoints).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from vendorwatch.records import AccessEventRecord

BATCH_SIZE = 50_000
TABLE = "access_events"
RECORD_FIELDS: tuple[str, ...] = AccessEventRecord._fields
COLUMNS: tuple[str, ...] = (*RECORD_FIELDS, "source_id", "vendor_id", "run_id")
_TIME = RECORD_FIELDS.index("event_time")
_DETAILS = RECORD_FIELDS.index("details")
_EVENT_ID = RECORD_FIELDS.index("source_event_id")
# SQLite page cache for the writing connection (KiB, negative = size); the unique index on random ids
# stops thrashing once its hot pages fit. 64 MiB keeps the process well under its memory budget.
SQLITE_CACHE_KIB = 65_536


@dataclass
class WriteCounts:
    """What writing did: rows stored, and rows that were already there."""

    stored: int = 0
    duplicate: int = 0


AfterFlush = Callable[[Connection], None]


def _sqlite_time(value: datetime) -> str:
    # The format SQLAlchemy's SQLite DateTime stores (naive UTC), so ORM reads and SQL comparisons agree.
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _pg_time(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


class EventWriter:
    """Buffers events and inserts them in transactions of ``batch_size`` rows, skipping duplicates."""

    def __init__(self, engine: Engine, *, source_id: str, vendor_id: str, run_id: int | None,
                 batch_size: int = BATCH_SIZE, after_flush: AfterFlush | None = None,
                 after_commit: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.source_id = source_id
        self.vendor_id = vendor_id
        self.run_id = run_id
        self.batch_size = batch_size
        self.after_flush = after_flush
        self.after_commit = after_commit
        self.counts = WriteCounts()
        self._buffer: list[AccessEventRecord] = []
        self._postgres = engine.dialect.name == "postgresql"
        self._time_cache: dict[datetime, Any] = {}

    def __len__(self) -> int:
        """Events queued and not yet written."""
        return len(self._buffer)

    def add(self, event: AccessEventRecord) -> None:
        """Queue one event; flushes when the batch is full."""
        self._buffer.append(event)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def add_all(self, events: Iterable[AccessEventRecord]) -> None:
        """Queue many events."""
        for event in events:
            self.add(event)

    def _rows(self, events: list[AccessEventRecord]) -> list[tuple[Any, ...]]:
        convert = _pg_time if self._postgres else _sqlite_time
        cache = self._time_cache
        if len(cache) > 100_000:
            cache.clear()
        tail = (self.source_id, self.vendor_id, self.run_id)
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for event in events:
            when: Any = event[_TIME]
            stamp = cache.get(when)
            if stamp is None:
                stamp = cache[when] = convert(when)
            details: Any = event[_DETAILS]
            append((*event[:_TIME], stamp, *event[_TIME + 1:_DETAILS],
                    None if details is None else _json(details), *tail))
        rows.sort(key=itemgetter(_EVENT_ID))
        return rows

    def flush(self) -> WriteCounts:
        """Insert what is queued in one transaction (with ``after_flush``); returns the running totals."""
        events, self._buffer = self._buffer, []
        if not events and self.after_flush is None:
            return self.counts
        rows = self._rows(events)
        with self.engine.begin() as connection:
            stored = (self._copy_postgres(connection, rows) if self._postgres
                      else self._insert_sqlite(connection, rows)) if rows else 0
            if self.after_flush is not None:
                self.after_flush(connection)
        self.counts.stored += stored
        self.counts.duplicate += len(rows) - stored
        if self.after_commit is not None:
            self.after_commit()
        return self.counts

    @staticmethod
    def _insert_sqlite(connection: Connection, rows: list[tuple[Any, ...]]) -> int:
        raw: Any = connection.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            before = raw.total_changes
            cursor.executemany(
                f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                rows,
            )
            return int(raw.total_changes - before)
        finally:
            cursor.close()

    @staticmethod
    def _copy_postgres(connection: Connection, rows: list[tuple[Any, ...]]) -> int:
        raw: Any = connection.connection.dbapi_connection
        columns = ", ".join(COLUMNS)
        with raw.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS vw_event_stage ON COMMIT DELETE ROWS AS "
                f"SELECT {columns} FROM {TABLE} WITH NO DATA"
            )
            with cursor.copy(f"COPY vw_event_stage ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM vw_event_stage "
                f"ON CONFLICT (source_id, source_event_id) DO NOTHING"
            )
            # ON COMMIT DELETE ROWS empties the stage for the next batch on this connection.
            return int(cursor.rowcount)
