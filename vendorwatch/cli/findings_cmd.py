"""``vendorwatch findings``: list findings as a table, JSON (the contract), CSV or OCSF, with a severity gate."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime


class Format(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    csv = "csv"
    ocsf = "ocsf"


def findings(
    output: Annotated[Format, typer.Option("--format", help="出力形式 / table | json | csv | ocsf")] = Format.table,
    vendor: Annotated[str | None, typer.Option("--vendor", help="委託先 ID / vendor id")] = None,
    control: Annotated[str | None, typer.Option("--control", help="管理策 / control (3.2.1 ... 3.2.7)")] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="重大度 / severity "
                                                                    "(critical|high|medium|low|info)")] = None,
    status: Annotated[str | None, typer.Option("--status", help="状態（既定: 解決済み以外）/ open,acknowledged,"
                                                              "risk_accepted,resolved or all (default: all but "
                                                              "resolved)")] = None,
    check: Annotated[str | None, typer.Option("--check", help="チェック ID / check id")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="この重大度以上の未解決があれば終了コード 1 / exit 1 "
                                                                  "if an open or acknowledged finding listed is this "
                                                                  "severe or worse")]
    = None,
    wide: Annotated[bool, typer.Option("--wide", help="全文を表示（メッセージ・発生時刻・根拠）/ the full text "
                                                      "(messages, when it happened, evidence)")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="表の行数 / rows in the table")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="表で個人情報を表示（監査ログに記録）/ show personal data "
                                                         "in the table (written to the audit log)")] = False,
) -> None:
    """指摘事項の一覧 / List findings."""
    from vendorwatch.checks.discovery import checks_by_id
    from vendorwatch.checks.model import SEVERITIES, severity_rank
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.cli.findings_view import findings_table
    from vendorwatch.cli.unmask import record_unmask
    from vendorwatch.controls.catalog import load_catalog
    from vendorwatch.db.engine import session_scope
    from vendorwatch.findings.export import as_csv, as_json, as_ocsf
    from vendorwatch.findings.lifecycle import ACTIVE_STATUSES, STATUSES
    from vendorwatch.findings.query import list_findings
    from vendorwatch.views.personal import Masker

    require_choice("--severity", severity, SEVERITIES, several=True)
    require_choice("--fail-on", fail_on, SEVERITIES)
    if status != "all":
        require_choice("--status", status, STATUSES, several=True)
    require_choice("--control", control, [c.id for c in load_catalog().controls])
    require_choice("--check", check, checks_by_id())
    statuses = None if status == "all" else (status or ",".join(ACTIVE_STATUSES))
    current = runtime()
    registry = current.registry()
    require_choice("--vendor", vendor, vendor_ids(registry))
    zone = registry.organization.timezone
    with session_scope(current.ready_engine()) as session:
        found = list_findings(session, vendor=vendor, control=control, severity=severity, status=statuses, check=check)
        if output is Format.json:
            typer.echo(as_json(found))
        elif output is Format.csv:
            typer.echo(as_csv(found, zone), nl=False)
        elif output is Format.ocsf:
            typer.echo(as_ocsf(found))
        else:
            if unmask:
                record_unmask(session, current, "findings")
            shown = found[:limit] if limit else found
            if shown:
                masker = Masker.for_registry(registry, masked=not unmask)
                current.console.print(findings_table(shown, zone, wide=wide, masker=masker))
                if len(shown) < len(found):
                    current.console.print(f"{len(found)} 件中 {len(shown)} 件を表示 / {len(shown)} of {len(found)} "
                                          "findings shown")
            else:
                current.console.print("該当する指摘事項はありません / no findings match")
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
