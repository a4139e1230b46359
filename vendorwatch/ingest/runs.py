"""The life of a collection run: started (visible at once), errors and counts as they come, finished."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from vendorwatch.clock import Clock
from vendorwatch.db.tables import CollectionRun
from vendorwatch.ingest.run_owner import mark_interrupted, this_process

RunStatus = Literal["running", "success", "partial", "failed", "interrupted"]
MAX_RECORDED_ERRORS = 1000


class RunRecorder:
    """Records one run of one source. Errors are kept with the object or API they concern and the reason."""

    def __init__(self, engine: Engine, source_id: str, clock: Clock, kind: str = "collect") -> None:
        self.engine = engine
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []
        self.error_total = 0
        self.checkpoint: dict[str, Any] | None = None
        with Session(engine) as session:
            mark_interrupted(session, source_id, clock.now(), noticed_by=this_process())
            previous = last_checkpoint(session, source_id)
            run = CollectionRun(source_id=source_id, kind=kind, started_at=clock.now(), status="running",
                                checkpoint=previous, owner=this_process())
            session.add(run)
            session.commit()
            session.refresh(run)
        assert run.id is not None
        self.run_id: int = run.id
        self.source_id = source_id
        self.checkpoint = previous

    def error(self, where: str, reason: str) -> None:
        """Record a problem with one object or call; the run goes on with the rest."""
        self.error_total += 1
        if len(self.errors) < MAX_RECORDED_ERRORS:
            self.errors.append({"where": where, "reason": reason[:2000], "at": self.clock.now().isoformat()})

    def count(self, name: str, amount: int = 1) -> None:
        """Add to a named count (read, stored, duplicate, rejected, principals, ...)."""
        self.counts[name] += amount

    def save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Remember how far the source has been read; only move it past data that was stored."""
        self.checkpoint = checkpoint
        with Session(self.engine) as session:
            run = session.get(CollectionRun, self.run_id)
            assert run is not None
            run.checkpoint = checkpoint
            run.counts = dict(self.counts)
            session.add(run)
            session.commit()

    def finish(self, status: RunStatus | None = None, error_text: str | None = None) -> CollectionRun:
        """Close the run; without an explicit status, ``partial`` if errors were recorded, else ``success``."""
        final: RunStatus = status or ("partial" if self.error_total else "success")
        with Session(self.engine) as session:
            run = session.get(CollectionRun, self.run_id)
            assert run is not None
            run.finished_at = self.clock.now()
            run.status = final
            run.counts = dict(self.counts) | ({"errors": self.error_total} if self.error_total else {})
            run.errors = list(self.errors)
            run.error_text = error_text
            run.checkpoint = self.checkpoint
            session.add(run)
            session.commit()
            session.refresh(run)
            return run


def last_checkpoint(session: Session, source_id: str) -> dict[str, Any] | None:
    """The checkpoint of the newest finished run of a source that recorded one."""
    run = session.exec(
        select(CollectionRun)
        .where(CollectionRun.source_id == source_id, col(CollectionRun.finished_at).is_not(None),
               col(CollectionRun.checkpoint).is_not(None))
        .order_by(col(CollectionRun.id).desc())
        .limit(1)
    ).first()
    return run.checkpoint if run else None
