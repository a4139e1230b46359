"""The functions the job store names (``scheduler.jobs:<name>``) and what they run against.

The job store keeps only a textual reference and the arguments (a source id), never an engine: the service
installs a :class:`JobRuntime` before it starts, and every job reads the registry in force when it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.collection import Backoff, SourceOutcome, run_source
from vendorwatch.alerts import send as alert_mail
from vendorwatch.alerts.send import AlertReport
from vendorwatch.clock import Clock
from vendorwatch.errors import VendorWatchError
from vendorwatch.ingest.claims import SourceClaims
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import imported_registry

log = logging.getLogger(__name__)


@dataclass
class JobRuntime:
    """The database, clock, claims and back-off every job uses."""

    engine: Engine
    clock: Clock
    claims: SourceClaims
    backoff: Backoff
    environ: Mapping[str, str] | None = None

    def registry(self) -> Registry | None:
        """The registry in force now."""
        with Session(self.engine) as session:
            return imported_registry(session)


_runtime: JobRuntime | None = None


def install(runtime: JobRuntime | None) -> None:
    """Set (or clear) what the jobs run against."""
    global _runtime
    _runtime = runtime


def current() -> JobRuntime:
    """What the jobs run against; an error if the service did not install it."""
    if _runtime is None:
        raise RuntimeError("scheduler jobs run only inside the scheduler service")
    return _runtime


def collect_source(source_id: str) -> SourceOutcome | None:
    """Collect one source (then evaluate and alert)."""
    runtime = current()
    registry = runtime.registry()
    if registry is None:
        return None
    outcome = run_source(runtime.engine, registry, source_id, runtime.clock, runtime.claims, runtime.backoff)
    if outcome.outcome in ("collected", "failed"):
        send_alerts_now(runtime, registry)
    return outcome


def send_alerts_now(runtime: JobRuntime, registry: Registry) -> AlertReport | None:
    """Alerts after a run; a mail failure is logged, never raised into the scheduler."""
    try:
        report = alert_mail.send_alerts(runtime.engine, registry, runtime.clock, environ=runtime.environ)
    except VendorWatchError as error:
        log.error("alerts: %s", error.message.en)
        return None
    if report.skipped:
        log.warning("alerts not sent: %s", report.skipped)
    for kind, detail in report.failed.items():
        log.error("alert mail (%s) failed: %s", kind, detail)
    return report


def send_alerts() -> AlertReport | None:
    """The periodic alert pass (a source falls past its SLA with time, not with an event)."""
    runtime = current()
    registry = runtime.registry()
    return send_alerts_now(runtime, registry) if registry else None


def send_reminders() -> None:
    """Questionnaire requests coming due and evidence documents expiring: each stage once."""
    from questionnaires.reminders import send_due_reminders

    runtime = current()
    registry = runtime.registry()
    if registry is None:
        return
    report = send_due_reminders(runtime.engine, registry, runtime.clock, environ=runtime.environ)
    for outcome in report.outcomes:
        log.info("reminder %s %s %s: %s", outcome.kind, outcome.target_id, outcome.stage, outcome.status)


def deliver_digest() -> None:
    """The month's digest, produced and delivered once (idempotent; a failure is retried the next day)."""
    from vendorwatch.digest.service import deliver_month

    runtime = current()
    registry = runtime.registry()
    if registry is None:
        return
    try:
        done = deliver_month(runtime.engine, registry, runtime.clock, environ=runtime.environ)
    except VendorWatchError as error:
        log.error("digest: %s", error.message.en)
        return
    log.info("digest %s: %s", done.month, done.outcome)
