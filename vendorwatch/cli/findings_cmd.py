"""``vendorwatch findings``: list findings as a table, JSON (the contract), CSV or OCSF, with a severity gate."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from vendorwatch.checks.model import SEVERITIES, severity_rank
from vendorwatch.cli.findings_view import findings_table
from vendorwatch.cli.runtime import runtime
from vendorwatch.db.engine import session_scope
from vendorwatch.errors import ConfigError
from vendorwatch.findings.export import as_csv, as_json, as_ocsf
from vendorwatch.findings.lifecycle import ACTIVE_STATUSES, STATUSES
from vendorwatch.findings.query import list_findings
from vendorwatch.i18n import t


class Format(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    csv = "csv"
    ocsf = "ocsf"


def _check_choice(value: str | None, allowed: tuple[str, ...], what: str) -> None:
    for part in (value or "").split(","):
        if part and part not in allowed:
            raise ConfigError(t(f"{what} が不正です: {part}（{', '.join(allowed)}）",
                                f"unknown {what}: {part} ({', '.join(allowed)})"))


def findings(
    output: Annotated[Format, typer.Option("--format", help="table | json | csv | ocsf")] = Format.table,
    vendor: Annotated[str | None, typer.Option("--vendor", help="vendor id")] = None,
    control: Annotated[str | None, typer.Option("--control", help="3.2.1 ... 3.2.7")] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="critical|high|medium|low|info")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open,acknowledged,risk_accepted,resolved or all "
                                                              "(default: all but resolved)")] = None,
    check: Annotated[str | None, typer.Option("--check", help="check id")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="exit 1 if an open or acknowledged finding listed "
                                                                  "is this severe or worse")]
    = None,
) -> None:
    """指摘事項の一覧 / List findings."""
    _check_choice(severity, SEVERITIES, "severity")
    _check_choice(fail_on, SEVERITIES, "--fail-on")
    if status != "all":
        _check_choice(status, STATUSES, "status")
    statuses = None if status == "all" else (status or ",".join(ACTIVE_STATUSES))
    current = runtime()
    registry = current.registry()
    with session_scope(current.ready_engine()) as session:
        found = list_findings(session, vendor=vendor, control=control, severity=severity, status=statuses, check=check)
        if output is Format.json:
            typer.echo(as_json(found))
        elif output is Format.csv:
            typer.echo(as_csv(found), nl=False)
        elif output is Format.ocsf:
            typer.echo(as_ocsf(found))
        else:
            if found:
                current.console.print(findings_table(found, registry.organization.timezone))
            else:
                current.console.print("該当する指摘事項はありません / no findings match", highlight=False)
        if fail_on:
            gate = severity_rank(fail_on)
            # Acknowledged is still unresolved; only an accepted risk (until its expiry) passes the gate.
            failing = [f for f in found if f.status in ("open", "acknowledged") and severity_rank(f.severity) <= gate]
            if failing:
                current.err.print(
                    f"ゲート失敗 / gate failed: {fail_on} 以上の未解決の指摘 {len(failing)} 件 / {len(failing)} unresolved "
                    f"finding(s) at {fail_on} or worse", highlight=False)
                raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``findings`` to the app."""
    app.command("findings")(findings)
