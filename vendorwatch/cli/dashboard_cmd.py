"""``vendorwatch dashboard``: serve the Streamlit dashboard over the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime


def dashboard(
    host: Annotated[str, typer.Option("--host", help="address to listen on / 待ち受けアドレス")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port / ポート")] = 8501,
    secrets: Annotated[Path | None, typer.Option(
        "--secrets", help="Streamlit secrets.toml with the [auth] OIDC settings / OIDC 設定 (default: "
                          ".streamlit/secrets.toml)")] = None,
) -> None:
    """ダッシュボードを起動 / Serve the dashboard (Ctrl-C to stop)."""
    from dashboard.server import dashboard_url, serve

    current = runtime()
    current.ready_engine()  # a clear error now (not migrated, unreachable) rather than in the browser
    current.console.print(f"ダッシュボード / dashboard: {dashboard_url(host, port)}  (Ctrl-C で終了 / to stop)",
                          highlight=False, markup=False)
    serve(current.url, host=host, port=port, secrets=secrets, debug=current.debug)


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` to the app."""
    app.command("dashboard")(dashboard)
