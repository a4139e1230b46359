"""``vendorwatch import slapd-log PATH --source S``: ingest slapd stats log files into a source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.import_group import import_app
from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import styled
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t


@import_app.command("slapd-log")
def import_slapd_log(
    path: Annotated[Path, typer.Argument(help="a stats log file or a folder of them (.gz too)")],
    source: Annotated[str, typer.Option("--source", help="台帳のソース ID / source id in the registry")],
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="オフセットのない syslog 行のタイムゾーン（既定: ソースの stats_log_timezone または UTC） / "
                           "zone of syslog lines without offset (default: the source's stats_log_timezone or UTC)",
    )] = None,
    as_json: Annotated[bool, typer.Option("--json", help="件数を JSON で出力 / print the figures as JSON")] = False,
) -> None:
    """slapd 統計ログの取込み / Import slapd stats log lines (binds with client IP) into a source."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from connectors.ldap.importer import import_path

    current = runtime()
    context = current.source_context(source, kinds=("ldap", "files"), data="slapd logs / slapd ログ")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(t(f"不明なタイムゾーンです: {timezone}", f"unknown time zone: {timezone}")) from None
    if not path.exists():
        raise ConfigError(t(f"{path} がありません", f"{path} does not exist"))
    result = import_path(context, path, timezone)
    if as_json:
        typer.echo(json.dumps(result.summary(), ensure_ascii=False))
    else:
        current.console.print(
            f"行 / lines: {result.lines}  バインド / binds: {result.binds}  格納 / stored: {result.stored}  "
            f"重複 / duplicate: {result.duplicate}  判読不能 / garbled: {result.garbled}  "
            f"(ファイル / files: {result.files}, 失敗 / failed: {result.failed_files}, run {result.run.id})"
        )
        for error in result.run.errors[:20]:
            current.console.print(styled("  ! ", error["where"], ": ", error["reason"]))
    if result.failed_files:  # any file that could not be read to its end, not only all of them
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Nothing to add: ``slapd-log`` joins the ``import`` group when this module is imported."""
