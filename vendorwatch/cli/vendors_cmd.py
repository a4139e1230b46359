"""``vendorwatch vendors``: show the registry in force (the one last imported)."""

from __future__ import annotations

from typing import Annotated

import typer

from vendorwatch.cli.registry_view import print_registry
from vendorwatch.cli.runtime import runtime


def vendors(
    unmask: Annotated[bool, typer.Option("--unmask", help="show personal data unmasked")] = False,
) -> None:
    """取込み済みの委託先台帳を表示 / Show the imported vendor registry (personal data masked)."""
    current = runtime()
    print_registry(current.console, current.registry(), today=current.clock.now().date(), unmask=unmask)


def register(app: typer.Typer) -> None:
    """Add ``vendors`` to the app."""
    app.command("vendors")(vendors)
