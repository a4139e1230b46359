"""``vendorwatch status [--json]``: is monitoring working? Exit 1 when a source is past its SLA or never collected."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text as RichText

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import local_time

if TYPE_CHECKING:
    from rich.table import Table

    from vendorwatch.views.source_status import MonitoringStatus

_SLA = {"ok": "OK", "past": "超過 / past", "never": "未収集 / never"}


def _table(status: MonitoringStatus, zone: str) -> Table:
    from rich.table import Table

    table = Table("source", "委託先 / vendor", "状態 / state", "SLA", "最終成功 / last success",
                  "最終失敗 / last failure", "連続失敗 / in a row", "次回 / next run", "エラー / error")
    for s in status.sources:
        sla = RichText(_SLA[s.sla], style="green" if s.sla == "ok" else "bold red")
        table.add_row(RichText(s.source_id), RichText(s.vendor_id), s.state, sla, local_time(s.last_success, zone),
                      local_time(s.last_failure, zone), str(s.failures_in_a_row or ""),
                      "実行中 / running" if s.running_since else local_time(s.next_run, zone),
                      RichText((s.last_error or "")[:160]))
    return table


def status(
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力 / print the status as JSON")] = False,
) -> None:
    """監視の稼働状況 / Per source: last success, last failure, failures in a row, next run, SLA (exit 1 if any lapsed)."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.views.source_status import monitoring_status

    current = runtime()
    registry = current.registry()
    with session_scope(current.ready_engine()) as session:
        result = monitoring_status(session, registry, current.clock)
    lapsed = [s for s in result.sources if s.sla != "ok"]
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        zone = registry.organization.timezone
        current.console.print(_table(result, zone))
        holder = result.scheduler or "なし / none"
        current.console.print(f"スケジューラ / scheduler: {holder}", markup=False, highlight=False)
        if lapsed:
            names = ", ".join(f"{s.source_id} ({s.sla})" for s in lapsed)
            current.err.print(f"SLA 超過・未収集のソース / sources past their SLA or never collected: {names}",
                              markup=False, highlight=False)
    if lapsed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``status`` to the app."""
    app.command("status")(status)
