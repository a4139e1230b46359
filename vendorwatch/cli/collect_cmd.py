"""``vendorwatch collect [SOURCE]``: run the connector of each source (or one) and show each run's outcome.

Each source kind's connector lives in ``connectors/<kind>/collect.py`` and exposes
``collect(context: CollectContext) -> CollectionRun``; a kind whose connector is not built yet is reported
as such for its sources, and the others are still collected.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

from vendorwatch.cli.runtime import runtime
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import ConfigError, NotBuiltError, VendorWatchError
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext

Collector = Callable[[CollectContext], CollectionRun]


def connector_for(kind: str) -> Collector:
    """The ``collect`` function of a source kind's connector."""
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


def collect(
    source: Annotated[str | None, typer.Argument(help="source id (default: every source)")] = None,
) -> None:
    """ソースを収集 / Collect every source, or one; exit 1 if any run failed."""
    current = runtime()
    engine = current.ready_engine()
    registry = current.registry()
    ids = [s.id for v in registry.vendors for s in v.sources]
    if source is not None and source not in ids:
        raise ConfigError(t(f"ソース {source} は台帳にありません", f"source {source} is not in the registry"),
                          details=[f"sources: {', '.join(ids) or '-'}"])
    table = Table("source", "状態 / status", "件数 / counts", "エラー / errors")
    failed = False
    for source_id in [source] if source else ids:
        context = CollectContext.for_source(engine, registry, source_id, current.clock,
                                            show_progress=current.console.is_terminal)
        try:
            run = connector_for(context.source.kind)(context)
        except VendorWatchError as error:
            failed = True
            table.add_row(source_id, "failed", "", error.message.both())
            continue
        failed |= run.status == "failed"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()))
        first_error = f"{run.errors[0]['where']}: {run.errors[0]['reason']}" if run.errors else (run.error_text or "")
        table.add_row(source_id, run.status, counts, first_error[:200])
    current.console.print(table)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``collect`` to the app."""
    app.command("collect")(collect)
