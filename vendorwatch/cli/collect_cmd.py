"""``vendorwatch collect [SOURCE]``: run the connector of each source (or one) and show each run's outcome.

Each source kind's connector lives in ``connectors/<kind>/collect.py`` and exposes
``collect(context: CollectContext) -> CollectionRun``; a kind whose connector is not built yet is reported
as such for its sources, and the others are still collected.
"""

from __future__ import annotations

from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.errors import VendorWatchError

CLAIM_SECONDS = 60  # renewed every 20 s while the connector runs


def collect(
    source: Annotated[str | None, typer.Argument(help="source id (default: every source)")] = None,
) -> None:
    """ソースを収集 / Collect every source, or one; exit 1 if any run failed."""
    from rich.table import Table

    from connectors.dispatch import connector_for
    from scheduler.leadership import holder_name
    from vendorwatch.ingest.claims import SourceClaims

    current = runtime()
    registry = current.registry()
    ids = [s.id for v in registry.vendors for s in v.sources]
    if source is not None:
        current.source_context(source)  # an unknown source is a usage error (exit 2), not a failed run
    table = Table("source", "状態 / status", "件数 / counts", "エラー / errors")
    failed = False
    claims = SourceClaims(current.ready_engine(), current.clock, f"collect:{holder_name()}", CLAIM_SECONDS)
    for source_id in [source] if source else ids:
        context = current.source_context(source_id, show_progress=current.console.is_terminal)
        with claims.held(source_id) as ours:
            if not ours:  # the scheduler (or another person) is collecting it right now
                failed = True
                table.add_row(source_id, "busy", "", "収集中のため実行しません / being collected right now; try later")
                continue
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
