"""``vendorwatch demo``: import the example registry into a demo database and show what VendorWatch sees."""

from __future__ import annotations

from typing import Annotated

import typer

from vendorwatch.cli.registry_view import print_plan, print_registry
from vendorwatch.cli.runtime import runtime
from vendorwatch.db.engine import make_engine, session_scope
from vendorwatch.db.migrate import upgrade
from vendorwatch.demo import DEMO_DATABASE_URL, DEMO_REGISTRY
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.sync import apply_import


def demo(
    database_url: Annotated[
        str, typer.Option("--demo-database-url", help="where the demo writes (never your real database)")
    ] = DEMO_DATABASE_URL,
) -> None:
    """デモ: 例示台帳を取込み表示 / Demo: import the example registry and show it."""
    current = runtime()
    if not DEMO_REGISTRY.exists():
        raise ConfigError(t(f"デモ台帳 {DEMO_REGISTRY} がありません", f"demo registry {DEMO_REGISTRY} is missing"))
    registry, text = load_registry(DEMO_REGISTRY)
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        plan = apply_import(session, registry, text, path=str(DEMO_REGISTRY), actor="demo", clock=current.clock)
    current.console.rule("VendorWatch demo / デモ")
    current.console.print(f"database / データベース: {database_url}", highlight=False)
    print_plan(current.console, plan, dry_run=False)
    print_registry(current.console, registry, today=current.clock.now().date())


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo")(demo)
