"""Write access events in large batches; the unique (source, source event id) makes re-collection idempotent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from vendorwatch.db.tables import AccessEvent
from vendorwatch.records import AccessEventRecord

BATCH_SIZE = 50_000
_TABLE: Table = AccessEvent.__table__  # type: ignore[attr-defined]


@dataclass
class WriteCounts:
    """What writing did: rows stored, and rows that were already there."""

    stored: int = 0
    duplicate: int = 0


class EventWriter:
    """Buffers events and inserts them in transactions of ``batch_size`` rows, skipping duplicates."""

    def __init__(self, engine: Engine, *, source_id: str, vendor_id: str, run_id: int | None,
                 batch_size: int = BATCH_SIZE) -> None:
        self.engine = engine
        self.source_id = source_id
        self.vendor_id = vendor_id
        self.run_id = run_id
        self.batch_size = batch_size
        self.counts = WriteCounts()
        self._buffer: list[dict[str, Any]] = []
        self._statement: Any
        if engine.dialect.name == "postgresql":
            # psycopg does not sum rowcount over a batch; count the rows actually inserted instead.
            self._statement = (
                pg_insert(_TABLE)
                .on_conflict_do_nothing(index_elements=["source_id", "source_event_id"])
                .returning(_TABLE.c.id)
            )
        else:
            self._statement = insert(_TABLE).prefix_with("OR IGNORE")

    def add(self, event: AccessEventRecord) -> None:
        """Queue one event; flushes when the batch is full."""
        row = event._asdict()
        row["source_id"] = self.source_id
        row["vendor_id"] = self.vendor_id
        row["run_id"] = self.run_id
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def add_all(self, events: Iterable[AccessEventRecord]) -> None:
        """Queue many events."""
        for event in events:
            self.add(event)

    def flush(self) -> WriteCounts:
        """Insert what is queued in one transaction; returns the running totals."""
        if not self._buffer:
            return self.counts
        rows, self._buffer = self._buffer, []
        with self.engine.begin() as connection:
            result = connection.execute(self._statement, rows)
            stored = len(result.all()) if result.returns_rows else max(result.rowcount, 0)
        self.counts.stored += stored
        self.counts.duplicate += len(rows) - stored
        return self.counts
