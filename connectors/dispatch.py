"""Which connector collects a source kind, and a collection that always leaves a run in the database."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import NotBuiltError, VendorWatchError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.runs import close_left_running, latest_run_id

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
    before = latest_run_id(context.engine, source_id)
    try:
        return connector_for(context.source.kind)(context)
    except BaseException as exc:
        text = exc.message.both() if isinstance(exc, VendorWatchError) else f"{type(exc).__name__}: {exc}"
        run = close_left_running(context.engine, source_id, before, context.clock, text[:2000])
        if not isinstance(exc, Exception):
            raise
        return run
