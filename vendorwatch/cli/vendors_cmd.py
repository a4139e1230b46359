"""``vendorwatch vendors``: show the registry in force (the one last imported)."""

from __future__ import annotations

from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime


def vendors(
    unmask: Annotated[bool, typer.Option("--unmask", help="個人情報を表示（監査ログに記録）/ show personal data "
                                                         "(written to the audit log)")] = False,
) -> None:
    """取込み済みの委託先台帳を表示 / Show the imported vendor registry (personal data masked)."""
    from vendorwatch.cli.registry_view import print_registry
    from vendorwatch.cli.unmask import record_unmask
    from vendorwatch.db.engine import session_scope

    current = runtime()
    if unmask:
        with session_scope(current.ready_engine()) as session:
            record_unmask(session, current, "vendors")
    print_registry(current.console, current.registry(), today=current.clock.now().date(), unmask=unmask)


def register(app: typer.Typer) -> None:
    """Add ``vendors`` to the app."""
    app.command("vendors")(vendors)
