"""``vendorwatch audit``: read and verify the append-only audit log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import col, select

from vendorwatch import audit as audit_log
from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import cell, styled
from vendorwatch.clock import local_time
from vendorwatch.db.engine import session_scope
from vendorwatch.db.tables import AuditEntry

audit_app = typer.Typer(help="監査ログ / The audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    expect_head: Annotated[
        str | None, typer.Option("--expect-head", help="以前に別の場所へ控えた最新エントリのハッシュ（`audit log --limit 1` "
                                                       "の hash）/ hash of the newest entry recorded elsewhere earlier "
                                                       "(the hash `audit log --limit 1` prints)")
    ] = None,
) -> None:
    """ハッシュチェーンを検証 / Verify the hash chain; exit 1 if an entry was edited or deleted."""
    current = runtime()
    with session_scope(current.ready_engine()) as session:
        count, breaks = audit_log.verify(session)
        if expect_head:
            expect_head = expect_head.strip().lower()
            present = session.exec(select(AuditEntry).where(AuditEntry.hash == expect_head)).first()
            if present is None:
                breaks.append(audit_log.ChainBreak(0, f"the recorded head {expect_head[:12]}… is no longer in the log"))
    if breaks:
        current.console.print(styled(("改ざんを検出 / tampering detected", "bold red"),
                                     f": {len(breaks)} 件 / break(s) in {count} entries"))
        for item in breaks:
            current.console.print(styled(f"  entry {item.entry_id}: ", item.reason))
        raise typer.Exit(1)
    current.console.print(styled(("OK", "green"), f" 監査ログ {count} 件、チェーンは正常 / audit log intact ({count} entries)"))


@audit_app.command("log")
def show(limit: Annotated[int, typer.Option("--limit", min=1, help="件数 / entries")] = 20) -> None:
    """最近の監査ログ（ハッシュは全桁、`audit verify --expect-head` に使えます）/ The newest audit entries, with the
    full hash that `audit verify --expect-head` accepts."""
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
