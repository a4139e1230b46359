"""Run the checks: derive transfers, run each check in its own session, time it, keep going on failure."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from vendorwatch.checks.discovery import discover_checks
from vendorwatch.checks.model import Check, EvaluationContext, FindingDraft
from vendorwatch.checks.transfers import derive_transfers
from vendorwatch.clock import Clock
from vendorwatch.registry.models import Registry


@dataclass
class CheckOutcome:
    """What one check produced, how long it took, and the error if it failed."""

    check: Check
    drafts: list[FindingDraft] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the check ran to the end (only then may its absent findings be resolved)."""
        return self.error is None


@dataclass
class CheckRun:
    """All outcomes of one evaluation."""

    outcomes: list[CheckOutcome]
    transfers_added: int
    derive_seconds: float

    @property
    def seconds(self) -> float:
        """Total time of derivation and checks."""
        return self.derive_seconds + sum(o.seconds for o in self.outcomes)


def select_checks(only: Iterable[str] | None = None, *, reads_findings: bool | None = None) -> list[Check]:
    """The checks to run: all, or those whose id or control is in ``only``; optionally only those that do (or do
    not) judge other checks' findings."""
    wanted = set(only or [])
    return [c for c in discover_checks()
            if (not wanted or c.id in wanted or c.meta.control in wanted)
            and (reads_findings is None or c.meta.reads_findings == reads_findings)]


def run_checks(engine: Engine, registry: Registry, clock: Clock, only: Iterable[str] | None = None, *,
               reads_findings: bool | None = None, derive: bool = True, now: datetime | None = None) -> CheckRun:
    """Derive transfers, then run the selected checks; a failing check is reported, never fatal."""
    started = time.perf_counter()
    added = 0
    if derive:
        with Session(engine) as session:
            added = derive_transfers(session, registry)
            session.commit()
    derive_seconds = time.perf_counter() - started
    outcomes: list[CheckOutcome] = []
    now = now or clock.now()
    for check in select_checks(only, reads_findings=reads_findings):
        outcome = CheckOutcome(check)
        began = time.perf_counter()
        with Session(engine) as session:
            context = EvaluationContext(engine, session, registry, clock).for_check(check.meta)
            context.now = now  # one instant for the whole evaluation
            try:
                outcome.drafts = [d for d in check.run(context) if context.enabled(d.vendor_id)]
            except Exception as error:  # a broken check must not stop the others
                outcome.error = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"
                session.rollback()
        outcome.seconds = time.perf_counter() - began
        outcomes.append(outcome)
    return CheckRun(outcomes, added, derive_seconds)
