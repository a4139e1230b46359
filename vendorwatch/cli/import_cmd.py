"""Register the ``vendorwatch import`` group (its commands come from ``import_*_cmd.py``)."""

from __future__ import annotations

import typer

from vendorwatch.cli.import_group import import_app


def register(app: typer.Typer) -> None:
    """Add ``import`` to the app."""
    app.add_typer(import_app, name="import")
