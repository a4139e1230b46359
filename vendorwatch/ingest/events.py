"""Write access events in large batches; the unique (source, event time, source event id) makes re-collection
idempotent: an event read again has the same id and the same time.

Events come by the million, so this module skips the ORM and SQLAlchemy's per-row parameter processing:
rows are turned into plain tuples once and handed to the driver in a few calls per batch, by a worker
thread while the caller parses the next batch.

- SQLite: ``INSERT OR IGNORE`` of ``SQLITE_ROWS_PER_STATEMENT`` rows per statement, rows in the order they
  came (events arrive in time order, and every index on the table has the event time right after a few
  low-cardinality columns, so a batch is appended to them).
- PostgreSQL: binary ``COPY`` of the batch's new events straight into the table, after reading back which
  of them are stored already; the staging table with ``ON CONFLICT DO NOTHING`` when another writer got
  there first.
- ``access_events`` has no foreign keys: each batch checks, in its own transaction, that its source,
  vendor, run and environments exist, and is refused otherwise.

Why each of these choices, with the figures: docs/performance.md, "EventWriter".

Both count stored rows from what the database reports (changes / rowcount), so stored + duplicate is exact.
Callbacks let bookkeeping commit together with the events (source objects) or follow their commit
(checkpoints); see ``EventWriter``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from vendorwatch.errors import DatabaseError
from vendorwatch.i18n import t
from vendorwatch.records import AccessEventRecord

if TYPE_CHECKING:  # psycopg is imported on PostgreSQL only (10 MB and 0.1 s a SQLite process need not pay)
    from psycopg.types.json import Jsonb

BATCH_SIZE = 50_000
# With a background writer two batches are alive at once (one parsed, one written): less than half the size keeps
# the process's peak memory below one 50,000-row batch's, and the scheduler's pass within 150 MB (docs/performance.md).
BACKGROUND_BATCH_SIZE = 20_000
TABLE = "access_events"
RECORD_FIELDS: tuple[str, ...] = AccessEventRecord._fields
# Repeated strings (principal, agent, address, action, ...): shared between rows instead of one copy per row,
# which keeps two 20,000-row or one 50,000-row batch inside the writer's memory budget.
_SHARED_NAMES = ("action", "principal", "principal_kind", "access_key_id", "session_issuer", "service", "bucket",
                 "source_ip", "user_agent", "outcome", "account_id", "region", "environment_id", "data_class")
_OWN_NAMES = tuple(name for name in RECORD_FIELDS if name not in {*_SHARED_NAMES, "event_time", "details"})
# Columns in the order a row is built in (shared strings, the rest, converted values, the writer's own):
# one tuple display per event instead of placing values one by one.
COLUMNS: tuple[str, ...] = (*_SHARED_NAMES, *_OWN_NAMES, "event_time", "details", "source_id", "vendor_id", "run_id")
_shared_of = itemgetter(*(RECORD_FIELDS.index(name) for name in _SHARED_NAMES))
_own_of = itemgetter(*(RECORD_FIELDS.index(name) for name in _OWN_NAMES))
_RECORD_TIME = RECORD_FIELDS.index("event_time")
_RECORD_DETAILS = RECORD_FIELDS.index("details")
_TIME = COLUMNS.index("event_time")
_EVENT_ID = COLUMNS.index("source_event_id")
_ENVIRONMENT = COLUMNS.index("environment_id")
# PostgreSQL's binary COPY needs each column's type, given up front.
_PG_TYPES = {"event_time": "timestamp", "mfa_used": "bool", "customer_data": "bool", "run_id": "int4",
             "details": "jsonb"}
_COPY_TYPES = [_PG_TYPES.get(column, "text") for column in COLUMNS]
_SOURCE = COLUMNS.index("source_id")
# SQLite page cache for the writing connection (KiB, negative = size): the upper pages of the key and the
# indexes, and the pages being appended to, stay cached; 8 MiB keeps the process inside its memory budget.
SQLITE_CACHE_KIB = 8_192
SQLITE_ROWS_PER_STATEMENT = 1000


@dataclass
class WriteCounts:
    """What writing did: rows stored, and rows that were already there."""

    stored: int = 0
    duplicate: int = 0


AfterFlush = Callable[[Connection, Any], None]
AfterCommit = Callable[[Any], None]
BeforeWrite = Callable[[], Any]


def _sqlite_time(value: datetime) -> str:
    # The format SQLAlchemy's SQLite DateTime stores (naive UTC), so ORM reads and SQL comparisons agree.
    if value.tzinfo is UTC:  # what parsers give: one C call, the "+00:00" cut off
        return value.isoformat(" ", "microseconds")[:26]
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _pg_time(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value.replace(tzinfo=None)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _orjson_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _jsonb_encoder() -> Callable[[dict[str, Any]], Jsonb]:
    from psycopg.types.json import Jsonb

    def encode(value: dict[str, Any]) -> Jsonb:
        return Jsonb(value, dumps=_orjson_bytes)

    return encode


def _one_database_for_all_threads(engine: Engine) -> bool:
    # In-memory SQLite pools keep one connection (one database) per thread, or one shared connection.
    return not isinstance(engine.pool, SingletonThreadPool | StaticPool)


@cache
def _sqlite_insert(rows: int) -> str:
    row = f"({', '.join('?' * len(COLUMNS))})"
    return f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([row] * rows)}"


def _rows_per_statement(raw: Any) -> int:
    # Many rows per INSERT: one statement step per SQLITE_ROWS_PER_STATEMENT rows instead of one per row
    # (faster than executemany, and long enough steps for the background writer), within the connection's
    # limit on parameters (1,000 rows x 26 columns fits the default of SQLite 3.32 and later, 32,766; an
    # older library, limited to 999, gets fewer rows per statement).
    limit = int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // len(COLUMNS)))


class EventWriter:
    """Buffers events and inserts them in transactions of ``batch_size`` rows, skipping duplicates.

    With ``background`` (the default, except for in-memory SQLite, whose connections are per thread), a full
    batch is written by one worker thread while the caller goes on parsing the next one: psycopg's COPY and
    SQLite's statement steps run without the GIL (on SQLite because a statement inserts
    ``SQLITE_ROWS_PER_STATEMENT`` rows; measured in docs/performance.md, "EventWriter").
    At most one batch is in flight; ``flush()`` waits for everything to be written, and a failure of the
    worker is raised in the caller's thread at the next hand-over or at ``flush()``.
    ``before_write`` is called when a batch is handed over; what it returns is given to ``after_flush``
    (same transaction as the batch) and ``after_commit`` (once committed), so bookkeeping describes
    exactly the events of that batch and those before it. Both run in the worker's thread when in the
    background.
    ``batch_size`` defaults to ``BATCH_SIZE``, or ``BACKGROUND_BATCH_SIZE`` when writing in the background.
    """

    def __init__(self, engine: Engine, *, source_id: str, vendor_id: str, run_id: int | None,
                 batch_size: int | None = None, after_flush: AfterFlush | None = None,
                 after_commit: AfterCommit | None = None, before_write: BeforeWrite | None = None,
                 background: bool | None = None) -> None:
        self.engine = engine
        self.source_id = source_id
        self.vendor_id = vendor_id
        self.run_id = run_id
        self._postgres = engine.dialect.name == "postgresql"
        self._background = _one_database_for_all_threads(engine) if background is None else background
        if batch_size is None:
            batch_size = BACKGROUND_BATCH_SIZE if self._background else BATCH_SIZE
        self.batch_size = batch_size
        self.after_flush = after_flush
        self.after_commit = after_commit
        self.before_write = before_write
        self.counts = WriteCounts()
        self._buffer: list[tuple[Any, ...]] = []
        self._convert = _pg_time if self._postgres else _sqlite_time
        self._last_time: Any = None
        self._last_stamp: Any = None
        self._encode_details = _jsonb_encoder() if self._postgres else _json
        self._tail = (source_id, vendor_id, run_id)
        self._strings: dict[Any, Any] = {}
        self._worker: ThreadPoolExecutor | None = None
        self._inflight: Future[None] | None = None

    def __len__(self) -> int:
        """Events queued and not yet handed to the database."""
        return len(self._buffer)

    def add(self, event: AccessEventRecord) -> None:
        """Queue one event (kept only as its row tuple); a full batch is handed over for writing."""
        self._buffer.append(self._row(event))
        if len(self._buffer) >= self.batch_size:
            self._hand_over()

    def add_all(self, events: Iterable[AccessEventRecord]) -> None:
        """Queue many events."""
        for event in events:
            self.add(event)

    def _row(self, event: AccessEventRecord) -> tuple[Any, ...]:
        strings = self._strings
        if len(strings) > 50_000:
            strings.clear()
        shared = _shared_of(event)
        when: Any = event[_RECORD_TIME]
        if when is not self._last_time:  # parsers hand out one object per repeated time (events of a second)
            self._last_time, self._last_stamp = when, self._convert(when)
        details: Any = event[_RECORD_DETAILS]
        return (*map(strings.setdefault, shared, shared), *_own_of(event), self._last_stamp,
                None if details is None else self._encode_details(details), *self._tail)

    def flush(self) -> WriteCounts:
        """Write everything queued and wait until it is committed; returns the running totals.

        The worker thread (if any) stops here, so a writer that is only flushed leaves no thread behind;
        adding more events afterwards starts a new one.
        """
        try:
            self._hand_over(force=True)
            self._wait()
        finally:
            self._stop_worker()
        return self.counts

    def close(self) -> WriteCounts:
        """Write everything queued (the same as ``flush``; kept for callers that read better with it)."""
        return self.flush()

    def _hand_over(self, force: bool = False) -> None:
        rows, self._buffer = self._buffer, []
        if not rows and not force:
            return
        if not rows and self.after_flush is None and self.after_commit is None:
            return
        token = self.before_write() if self.before_write is not None else None
        self._wait()  # one batch in flight at most: memory stays bounded
        if not self._background:
            self._write(rows, token)
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vendorwatch-events")
        self._inflight = self._worker.submit(self._write, rows, token)

    def _wait(self) -> None:
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            try:
                inflight.result()  # re-raises a failure of the write in the caller's thread
            except BaseException:
                self._stop_worker()  # the writer has failed: nothing more is written, no thread is left
                raise

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    def _write(self, rows: list[tuple[Any, ...]], token: Any) -> None:
        with self.engine.begin() as connection:
            if rows:
                self._check_references(connection, rows)
            stored = (self._copy_postgres(connection, rows) if self._postgres
                      else self._insert_sqlite(connection, rows)) if rows else 0
            if self.after_flush is not None:
                self.after_flush(connection, token)
        self.counts.stored += stored
        self.counts.duplicate += len(rows) - stored
        if self.after_commit is not None:
            self.after_commit(token)

    def _check_references(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """What foreign keys would check per row, once per batch: the source, vendor, run, environments."""
        wanted: dict[str, set[Any]] = {
            "sources": {self.source_id},
            "vendors": {self.vendor_id},
            "collection_runs": set() if self.run_id is None else {self.run_id},
            "environments": {row[_ENVIRONMENT] for row in rows} - {None},
        }
        raw: Any = connection.connection.dbapi_connection
        marker = "%s" if self._postgres else "?"
        cursor = raw.cursor()
        try:
            for table, keys in wanted.items():
                if not keys:
                    continue
                ordered = sorted(keys, key=str)
                cursor.execute(f"SELECT id FROM {table} WHERE id IN ({', '.join([marker] * len(ordered))})", ordered)
                missing = set(ordered) - {found for (found,) in cursor.fetchall()}
                if missing:
                    names = ", ".join(sorted(map(str, missing)))
                    raise DatabaseError(t(
                        f"イベントが存在しない {table} を参照しています: {names}（登録簿を取り込み直してください）",
                        f"events refer to {table} that do not exist: {names} (import the registry again)",
                    ))
        finally:
            cursor.close()

    @staticmethod
    def _insert_sqlite(connection: Connection, rows: list[tuple[Any, ...]]) -> int:
        raw: Any = connection.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # per connection; cheap to repeat
            before = raw.total_changes
            per_statement = _rows_per_statement(raw)
            whole = len(rows) - len(rows) % per_statement
            if whole:
                many = _sqlite_insert(per_statement)
                for start in range(0, whole, per_statement):
                    cursor.execute(many, list(chain.from_iterable(rows[start:start + per_statement])))
            if whole < len(rows):
                cursor.executemany(_sqlite_insert(1), rows[whole:])
            return int(raw.total_changes - before)
        finally:
            cursor.close()

    @classmethod
    def _copy_postgres(cls, connection: Connection, rows: list[tuple[Any, ...]]) -> int:
        """COPY the batch's new events straight into the table (about 1.6 times the rate of staging them).

        The batch's events already stored are read back (one probe of the unique key each) and left out, as are
        repeats within the batch, so the COPY meets no duplicate. If another writer stores one of them
        meanwhile, the COPY fails on the unique key, is rolled back to a savepoint, and the batch goes through
        the staging table with ``ON CONFLICT DO NOTHING``.
        """
        from psycopg import errors as pg_errors

        raw: Any = connection.connection.dbapi_connection
        with raw.cursor() as cursor:
            fresh = cls._new_rows(cursor, rows)
            if not fresh:
                return 0
            cursor.execute("SAVEPOINT vw_direct_copy")
            try:
                cls._copy(cursor, TABLE, fresh)
            except pg_errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT vw_direct_copy")
                return cls._copy_staged(cursor, rows)
            cursor.execute("RELEASE SAVEPOINT vw_direct_copy")
            return len(fresh)

    @staticmethod
    def _new_rows(cursor: Any, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The rows not stored yet, each once: the batch's keys already stored are read back.

        One probe of the unique key per row: bounded by the batch, however many events the table holds.
        The LATERAL ... LIMIT 1 keeps it a probe per row; as a plain join, the planner (its statistics
        behind a bulk load) chose to read every event of the source into a hash table.
        """
        cursor.execute(
            f"SELECT b.t, b.id FROM unnest(%s::timestamp[], %s::text[]) AS b(t, id) CROSS JOIN LATERAL "
            f"(SELECT 1 FROM {TABLE} e WHERE e.source_id = %s AND e.event_time = b.t AND e.source_event_id = b.id "
            f"LIMIT 1) AS stored",
            ([row[_TIME] for row in rows], [row[_EVENT_ID] for row in rows], rows[0][_SOURCE]),
        )
        known = set(cursor.fetchall())
        fresh = []
        for row in rows:
            key = (row[_TIME], row[_EVENT_ID])
            if key not in known:
                known.add(key)
                fresh.append(row)
        return fresh

    @staticmethod
    def _copy(cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        # Binary COPY with the types given up front: about twice the rate of text COPY.
        with cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_COPY_TYPES)
            for row in rows:
                copy.write_row(row)

    @classmethod
    def _copy_staged(cls, cursor: Any, rows: list[tuple[Any, ...]]) -> int:
        columns = ", ".join(COLUMNS)
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS vw_event_stage ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {TABLE} WITH NO DATA"
        )
        cls._copy(cursor, "vw_event_stage", rows)
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM vw_event_stage "
            f"ON CONFLICT (source_id, event_time, source_event_id) DO NOTHING"
        )
        # ON COMMIT DELETE ROWS empties the stage for the next batch (one batch per transaction).
        return int(cursor.rowcount)
