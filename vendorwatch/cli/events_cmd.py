"""``vendorwatch events``: the access trail (guideline 6(3)②, 3(2)③) as a table, CSV for Excel or JSON lines.

CSV and JSON stream from the database to the output (constant memory whatever the period); the table shows
the first ``--limit`` events and says how many there are.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from vendorwatch.cli.runtime import runtime

if TYPE_CHECKING:
    from vendorwatch.trail.query import TrailFilter

MAX_ID = 2**63 - 1


class Format(StrEnum):
    """Output formats."""

    table = "table"
    csv = "csv"
    json = "json"


def events(
    finding: Annotated[int | None, typer.Option("--finding", min=1, max=MAX_ID, metavar="ID",
                                                help="指摘事項の根拠イベント / the evidence events of a finding")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="委託先 ID / vendor id")] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="主体 (ARN, DN, アクセスキー) / principal "
                                                                      "(ARN, DN, access key)")] = None,
    ip: Annotated[str | None, typer.Option("--ip", metavar="CIDR", help="送信元 IP またはネットワーク / source IP or "
                                                                        "network (203.0.113.0/24)")] = None,
    action: Annotated[str | None, typer.Option("--action", help="操作 (GetObject など) / action (e.g. GetObject)")]
    = None,
    since: Annotated[str | None, typer.Option("--from", metavar="WHEN", help="開始日・時刻（組織のタイムゾーン）/ "
                                                                            "from date or time (organization zone)")]
    = None,
    until: Annotated[str | None, typer.Option("--to", metavar="WHEN", help="終了日（その日を含む）・時刻 / to date "
                                                                          "(inclusive) or time")] = None,
    output: Annotated[Format, typer.Option("--format", help="出力形式 / table | csv | json (JSON lines)")] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", help="書き出し先ファイル / write to this file")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="表の行数 / rows in the table")] = 100,
    unmask: Annotated[bool, typer.Option("--unmask", help="個人情報を表示（監査ログに記録）/ show personal data "
                                                         "(written to the audit log)")] = False,
) -> None:
    """アクセス履歴の抽出 / The access trail for a finding, vendor, principal, IP or action over a period."""
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.cli.events_view import events_table
    from vendorwatch.cli.unmask import record_unmask
    from vendorwatch.db.engine import session_scope
    from vendorwatch.trail.export import trail_csv, trail_json_lines
    from vendorwatch.trail.period import parse_bound
    from vendorwatch.trail.query import TrailFilter, count_trail, stream_trail, trail_page
    from vendorwatch.views.personal import Masker

    current = runtime()
    registry = current.registry()
    zone = registry.organization.timezone
    where = TrailFilter(finding_id=finding, vendor_id=vendor, principal=principal, ip=ip, action=action,
                        since=parse_bound(since, end=False, zone=zone) if since else None,
                        until=parse_bound(until, end=True, zone=zone) if until else None)
    _ = where.network  # a malformed network is a usage error before anything is read
    if vendor is not None:
        require_choice("--vendor", vendor, vendor_ids(registry))
    masker = Masker.for_registry(registry, masked=not unmask)
    engine = current.ready_engine()
    if unmask:
        with session_scope(engine) as session:
            record_unmask(session, current, "events", filter=_described(where))
    with session_scope(engine) as session:
        if output is Format.table:
            page = trail_page(session, where, masker, size=limit, newest_first=False)
            total = count_trail(session, where)
            if page.items:
                current.console.print(events_table(page.items, f"アクセス履歴 / access trail ({zone})", zone))
            shown = len(page.items)
            current.console.print(
                f"{total} 件中 {shown} 件を表示（全件は --format csv|json）/ {shown} of {total} events shown "
                f"(all of them with --format csv|json)" if total > shown else
                f"{total} 件 / {total} events", highlight=False, markup=False)
            return
        lines = (trail_csv if output is Format.csv else trail_json_lines)(stream_trail(session, where, masker), zone)
        if out is None:
            _write(sys.stdout, lines)
        else:
            with out.open("w", encoding="utf-8", newline="") as handle:
                _write(handle, lines)


def _write(handle: TextIO, lines: object) -> None:
    """Write records as they come, a block at a time."""
    block: list[str] = []
    for line in lines:  # type: ignore[attr-defined]
        block.append(line)
        if len(block) >= 1000:
            handle.write("".join(block))
            block.clear()
    handle.write("".join(block))
    handle.flush()


def _described(where: TrailFilter) -> dict[str, str]:
    return {k: str(v) for k, v in vars(where).items() if v is not None}


def register(app: typer.Typer) -> None:
    """Add ``events`` to the app."""
    app.command("events")(events)
