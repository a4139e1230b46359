"""``vendorwatch import cloudtrail PATH --source S``: ingest exported CloudTrail files into a source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vendorwatch.cli.import_group import import_app
from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import styled

if TYPE_CHECKING:
    from connectors.aws.import_files import ImportResult


@import_app.command("cloudtrail")
def import_cloudtrail(
    path: Annotated[Path, typer.Argument(help="file or folder (.json, .json.gz, .ndjson, .jsonl; gzipped or not)")],
    source: Annotated[str, typer.Option("--source", help="台帳のソース ID / source id in the registry")],
    as_json: Annotated[bool, typer.Option("--json", help="読込・格納・重複・拒否の件数を JSON で出力 / "
                                                         "print read/stored/duplicate/rejected as JSON")] = False,
) -> None:
    """CloudTrail ファイルの取込み / Import CloudTrail files (delivery format or one event per line)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from connectors.aws.import_files import import_path

    current = runtime()
    context = current.source_context(source, kinds=("aws", "files"), data="CloudTrail files / CloudTrail ファイル")
    if current.console.is_terminal and not as_json:
        total = sum(p.stat().st_size for p in _files(path))
        with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), console=current.err) as bar:
            task = bar.add_task("取込み中 / importing", total=total)
            result = import_path(context, path, progress=lambda done: bar.advance(task, done))
    else:
        result = import_path(context, path)
    if as_json:
        typer.echo(json.dumps(result.summary(), ensure_ascii=False))
    else:
        _print_summary(result)
    if result.failed_files:  # a file that could not be read to its end: the import did not do all it was asked
        raise typer.Exit(1)


def _print_summary(result: ImportResult) -> None:
    console = runtime().console
    console.print(
        f"読込 / read: {result.read}  格納 / stored: {result.stored}  "
        f"重複 / duplicate: {result.duplicate}  却下 / rejected: {result.rejected}  "
        f"(ファイル / files: {result.files}, 失敗 / failed: {result.failed_files}, run {result.run.id})"
    )
    for file, why in result.failures:
        console.print(styled(("  失敗 / failed: ", "bold red"), file, ": ", why.both()))
    for account, count in sorted(result.rejected_accounts.items()):
        console.print(styled(f"  却下 / rejected: {count} 件 / event(s) of account ", account,
                             " (委託先の環境にない / not declared for the source's vendor)"))
    errors = [e for e in result.run.errors if e["where"] not in {file for file, _ in result.failures}]
    for error in errors[:20]:
        console.print(styled("  ! ", error["where"], ": ", error["reason"]))
    if len(errors) > 20:
        console.print(f"  … {len(errors) - 20} more / 他 {len(errors) - 20} 件")


def _files(path: Path) -> list[Path]:
    from connectors.aws.cloudtrail_files import find_files

    return find_files(path) if path.exists() else []


def register(app: typer.Typer) -> None:
    """Nothing to add: ``cloudtrail`` joins the ``import`` group when this module is imported."""
