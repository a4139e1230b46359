"""One scheduled collection of one source: back off while it keeps failing, never run it twice at once, record
the run whatever happens, then evaluate the checks.

Evaluations coalesce: sources that finish while an evaluation runs are all covered by the one evaluation that
starts after it (it reads everything they stored), not evaluated one after another.

A failing source waits ``base * 2^(failures-1)`` (capped) after its last failure before it is tried again; the
scheduled slots in between are skipped (logged, not recorded as runs). The wait is computed from the source's
runs in the database, so it survives restarts and a standby taking over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session

from connectors.dispatch import collect_recorded
from vendorwatch.clock import Clock
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.ingest.claims import SourceClaims
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import SourceHealth, source_health

log = logging.getLogger(__name__)

Outcome = Literal["collected", "failed", "backing_off", "busy", "not_in_registry"]


class CoalescedEvaluation:
    """One evaluation at a time in this process, and none that an evaluation started later already covers.

    Each request is numbered when its collection has committed. An evaluation that starts (takes the lock) after
    request n covers every request up to the newest number at its start; a request already covered returns
    without evaluating again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._numbers = threading.Lock()
        self._requested = 0
        self._covered = 0

    @property
    def requested(self) -> int:
        """How many evaluations were asked for so far."""
        return self._requested

    def request(self, evaluate_now: Callable[[], object]) -> bool:
        """Evaluate unless an evaluation that started after this request did; True when this one evaluated."""
        with self._numbers:
            self._requested += 1
            mine = self._requested
        with self._lock:
            if self._covered >= mine:
                return False
            with self._numbers:
                covers = self._requested
            evaluate_now()
            self._covered = covers
            return True


_evaluations = CoalescedEvaluation()


@dataclass(frozen=True)
class Backoff:
    """How long a failing source waits before its next attempt."""

    base_seconds: float = 300
    max_seconds: float = 6 * 3600

    def delay(self, failures: int) -> timedelta:
        """The wait after ``failures`` failures in a row (none before the first)."""
        if failures <= 0:
            return timedelta(0)
        return timedelta(seconds=min(self.base_seconds * 2 ** min(failures - 1, 30), self.max_seconds))

    def until(self, health: SourceHealth) -> datetime | None:
        """When a failing source may be tried again (``None``: now)."""
        if health.state != "failing" or health.last_failure is None:
            return None
        return health.last_failure + self.delay(health.failures_in_a_row)


@dataclass(frozen=True)
class SourceOutcome:
    """What one scheduled slot of a source did."""

    source_id: str
    outcome: Outcome
    run_id: int | None = None
    status: str | None = None
    error: str | None = None
    retry_at: datetime | None = None


def _health(engine: Engine, registry: Registry, clock: Clock, source_id: str) -> SourceHealth | None:
    with Session(engine) as session:
        return next((h for h in source_health(session, registry, clock) if h.source_id == source_id), None)


def run_source(engine: Engine, registry: Registry, source_id: str, clock: Clock, claims: SourceClaims,
               backoff: Backoff, *, then_evaluate: bool = True) -> SourceOutcome:
    """Collect one source now unless it is backing off or already being collected; then evaluate the checks."""
    try:
        context = CollectContext.for_source(engine, registry, source_id, clock)
    except KeyError:
        return SourceOutcome(source_id, "not_in_registry")
    health = _health(engine, registry, clock, source_id)
    retry_at = backoff.until(health) if health else None
    if retry_at is not None and retry_at > clock.now():
        log.info("%s: failed %d times in a row; next attempt after %s", source_id,
                 health.failures_in_a_row if health else 0, retry_at.isoformat())
        return SourceOutcome(source_id, "backing_off", retry_at=retry_at)
    with claims.held(source_id) as ours:
        if not ours:
            log.info("%s: being collected by another process; slot skipped", source_id)
            return SourceOutcome(source_id, "busy")
        run = collect_recorded(context)
    error = run.error_text or (f"{run.errors[0]['where']}: {run.errors[0]['reason']}" if run.errors else None)
    if run.status == "failed":
        log.warning("%s: run %s failed: %s", source_id, run.id, error)
        return SourceOutcome(source_id, "failed", run.id, run.status, error)
    log.info("%s: run %s %s %s", source_id, run.id, run.status, dict(run.counts))
    if then_evaluate and not _evaluations.request(lambda: evaluate(engine, registry, clock, actor="scheduler")):
        log.info("%s: evaluation covered by one that started after this run", source_id)
    return SourceOutcome(source_id, "collected", run.id, run.status, error)
