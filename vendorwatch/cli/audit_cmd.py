"""``vendorwatch audit``: read and verify the append-only audit log, and print its anchor."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import cell, styled
from vendorwatch.clock import local_time
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

audit_app = typer.Typer(help="監査ログ / The audit log.", no_args_is_help=True)
_HASH = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


def _anchors(given: list[str], file: Path | None) -> list[str]:
    """The anchors of ``--anchor`` and of ``--anchors FILE`` (the first 64-hex hash of each line; # comments)."""
    anchors: list[str] = []
    for value in given:
        if not _HASH.fullmatch(value.strip()):
            raise ConfigError(t(f"--anchor は 64 桁の SHA-256 ハッシュです: {value[:80]!r}",
                                f"--anchor takes a 64-digit SHA-256 hash: {value[:80]!r}"))
        anchors.append(value.strip().lower())
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(t(f"{file} を読めません: {exc}", f"cannot read {file}: {exc}")) from None
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            found = _HASH.search(line)
            if found is None:
                raise ConfigError(t(f"{file}:{number}: 基点（64 桁のハッシュ）がありません",
                                    f"{file}:{number}: no anchor (64-digit hash) on this line"))
            anchors.append(found.group(0).lower())
    return anchors


@audit_app.command("verify")
def verify(
    expect_head: Annotated[
        str | None, typer.Option("--expect-head", help="以前に別の場所へ控えた最新エントリのハッシュ（`audit log --limit 1` "
                                                       "の hash）/ hash of the newest entry recorded elsewhere earlier "
                                                       "(the hash `audit log --limit 1` prints)")
    ] = None,
    anchor: Annotated[list[str] | None, typer.Option(
        "--anchor", help="基点のハッシュ（繰返し可）/ a head printed by `audit anchor` or a digest (repeatable)")] = None,
    anchors: Annotated[Path | None, typer.Option(
        "--anchors", help="基点のファイル（1 行に 1 つ）/ a file of anchors, one per line")] = None,
) -> None:
    """保護・チェーン・基点を検証 / Verify the protections, the hash chain and anchors; exit 1 on any break."""
    from sqlalchemy import inspect

    from vendorwatch import audit as audit_log
    from vendorwatch.db.append_only import missing_protections
    from vendorwatch.db.engine import session_scope
    from vendorwatch.db.tables import AuditEntry

    current = runtime()
    wanted = _anchors(anchor or [], anchors)
    if expect_head:
        wanted.append(expect_head.strip().lower())
    key = audit_log.audit_key()
    with session_scope(current.ready_engine()) as session:
        if not inspect(session.connection()).has_table(AuditEntry.__tablename__):
            current.console.print(styled(
                ("改ざんを検出 / tampering detected", "bold red"),
                ": 監査ログのテーブルがありません（削除されました）。バックアップから復元してください / "
                "the audit log table is missing (dropped): restore the database from a backup"))
            raise typer.Exit(1)
        unprotected = missing_protections(session.connection())
        count, breaks = audit_log.verify(session, key)
        breaks += audit_log.check_anchors(session, wanted)
    for problem in unprotected:
        current.console.print(styled("  保護なし / unprotected: ", problem))
    if unprotected:
        current.console.print(styled(("保護が外されています / protections removed", "bold red"),
                                     ": `vendorwatch init` で復元 / restore them with `vendorwatch init`"))
    if breaks:
        current.console.print(styled(("改ざんを検出 / tampering detected", "bold red"),
                                     f": {len(breaks)} 件 / break(s) in {count} entries"))
        for item in breaks:
            current.console.print(styled(f"  entry {item.entry_id}: ", item.reason))
    if breaks or unprotected:
        raise typer.Exit(1)
    proven = f", {len(wanted)} 基点 / anchor(s) held" if wanted else ""
    signed = ", 鍵の署名を確認 / signatures checked" if key else ""
    current.console.print(styled(("OK", "green"), f" 監査ログ {count} 件、チェーンは正常 / audit log intact ({count} entries)"
                                                  f"{proven}{signed}"))


@audit_app.command("anchor")
def anchor_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="基点を JSON で表示 / print the anchor as JSON")] = False,
) -> None:
    """監査ログの基点（先頭のハッシュと件数）/ Print the chain's head (hash and count) to keep outside the database."""
    from vendorwatch import audit as audit_log
    from vendorwatch.db.engine import session_scope

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        head = audit_log.head(session)
    if as_json:
        typer.echo(json.dumps({"entries": head.entries, "entry_id": head.entry_id, "hash": head.hash,
                               "at": head.at.isoformat() if head.at else None}))
        return
    when = local_time(head.at) if head.at else "-"
    current.console.print(
        f"監査ログの基点 / audit log anchor: {head.entries} 件 / entries, #{head.entry_id}, {when}\n"
        f"SHA-256 {head.hash}\n"
        "データベースの外に保管し、後で `vendorwatch audit verify --anchor HASH` で確認します / keep it outside the "
        "database; `vendorwatch audit verify --anchor HASH` proves later that nothing up to it changed",
    )


@audit_app.command("log")
def show(limit: Annotated[int, typer.Option("--limit", min=1, help="件数 / entries")] = 20) -> None:
    """最近の監査ログ（ハッシュは全桁、`audit verify --expect-head` に使えます）/ The newest audit entries, with the
    full hash that `audit verify --expect-head` accepts."""
    from rich.table import Table
    from sqlmodel import col, select

    from vendorwatch.db.engine import session_scope
    from vendorwatch.db.tables import AuditEntry

    current = runtime()
    table = Table("id", "時刻 / time (JST)", "actor", "action", "target", "hash")
    table.columns[-1].no_wrap = True
    table.columns[-1].min_width = 64
    with session_scope(current.ready_engine()) as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)).all()
    for row in rows:
        table.add_row(str(row.id), local_time(row.at), cell(row.actor), cell(row.action), cell(row.target), row.hash)
    current.console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``audit`` to the app."""
    app.add_typer(audit_app, name="audit")
