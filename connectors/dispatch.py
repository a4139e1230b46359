"""Which connector collects a source kind, and a collection that always leaves a run in the database."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sqlmodel import Session, col, select

from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import NotBuiltError, VendorWatchError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.runs import RunRecorder

Collector = Callable[[CollectContext], CollectionRun]


def connector_for(kind: str) -> Collector:
    """The ``collect`` function of a source kind's connector (``connectors/<kind>/collect.py``)."""
    try:
        module = importlib.import_module(f"connectors.{kind}.collect")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"connectors.{kind}"):
            raise NotBuiltError(
                t(f"{kind} コネクタはまだ実装されていません", f"the {kind} connector is not built yet")
            ) from None
        raise
    collector: Collector = module.collect
    return collector


def collect_recorded(context: CollectContext) -> CollectionRun:
    """Collect one source; whatever goes wrong, the attempt is a finished run with its error (never lost, never
    left ``running``). ``KeyboardInterrupt``/``SystemExit`` close the run as failed and propagate."""
    source_id = context.source.id
    with Session(context.engine) as session:
        before = session.exec(select(CollectionRun.id).where(CollectionRun.source_id == source_id)
                              .order_by(col(CollectionRun.id).desc()).limit(1)).first() or 0
    try:
        return connector_for(context.source.kind)(context)
    except BaseException as exc:
        text = exc.message.both() if isinstance(exc, VendorWatchError) else f"{type(exc).__name__}: {exc}"
        run = _close_left_running(context, before, text[:2000])
        if not isinstance(exc, Exception):
            raise
        return run


def _close_left_running(context: CollectContext, before: int, error_text: str) -> CollectionRun:
    with Session(context.engine) as session:
        left = session.exec(select(CollectionRun).where(
            CollectionRun.source_id == context.source.id, col(CollectionRun.id) > before,
        ).order_by(col(CollectionRun.id).desc())).first()
        if left is not None and left.finished_at is not None:
            return left  # the connector finished its run (as failed) before raising
        for run in session.exec(select(CollectionRun).where(
                CollectionRun.source_id == context.source.id, col(CollectionRun.id) > before,
                col(CollectionRun.finished_at).is_(None))):
            run.finished_at = context.clock.now()
            run.status = "failed"
            run.error_text = error_text
            session.add(run)
        session.commit()
        if left is not None:
            session.refresh(left)
            return left
    return RunRecorder(context.engine, context.source.id, context.clock).finish("failed", error_text=error_text)
