"""``vendorwatch config check``: validate the registry and report every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import styled

config_app = typer.Typer(help="委託先台帳の検証 / Validate the vendor registry.", no_args_is_help=True)


@config_app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="registry file (default: --config, VENDORWATCH_CONFIG, ./vendorwatch.yaml)")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="委託先台帳ファイル / registry file")] = None,
) -> None:
    """台帳を検証し、すべてのエラーを表示 / Validate the registry; every error at once, exit 2 if any."""
    from vendorwatch.registry.loader import load_registry

    current = runtime()
    path = file or current.config_path(config)
    registry, _ = load_registry(path)
    vendors = len(registry.vendors)
    sources = sum(len(v.sources) for v in registry.vendors)
    current.console.print(styled(
        ("OK", "green"), f" {path}: 委託先 {vendors} 社・ソース {sources} 件・移送承認 {len(registry.transfers)} 件 / "
        f"{vendors} vendors, {sources} sources, {len(registry.transfers)} approved transfers"))


def register(app: typer.Typer) -> None:
    """Add ``config`` to the app."""
    app.add_typer(config_app, name="config")
