"""One evaluation: run the checks over the database, reconcile the findings and record each vendor's posture,
in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.checks.engine import CheckRun, run_checks
from vendorwatch.clock import Clock
from vendorwatch.findings.lifecycle import SYSTEM_ACTOR
from vendorwatch.findings.reconcile import ReconcileSummary, reconcile
from vendorwatch.posture.snapshot import record_posture
from vendorwatch.registry.models import Registry


@dataclass
class Evaluation:
    """The checks' outcomes and what reconciliation changed."""

    run: CheckRun
    summary: ReconcileSummary


def evaluate(engine: Engine, registry: Registry, clock: Clock, *, only: Iterable[str] | None = None,
             actor: str = SYSTEM_ACTOR) -> Evaluation:
    """Evaluate the selected checks (all by default), store the findings' new state and today's posture."""
    run = run_checks(engine, registry, clock, only)
    with Session(engine, expire_on_commit=False) as session:
        summary = reconcile(session, run.outcomes, clock, actor=actor)
        record_posture(session, registry, clock)
        audit.record(
            session, actor=actor, action="evaluate", target="checks",
            details={"checks": len(run.outcomes), "failed": [o.check.id for o in run.outcomes if not o.ok],
                     "changes": dict(summary.counts), "transfers_added": run.transfers_added,
                     "seconds": round(run.seconds, 3)},
            clock=clock,
        )
        session.commit()
    return Evaluation(run, summary)
