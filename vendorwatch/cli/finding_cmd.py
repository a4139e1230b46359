"""``vendorwatch finding ack|accept|resolve|show ID``: triage one finding (every change is audited)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import local_time
from vendorwatch.db.engine import session_scope
from vendorwatch.errors import ConfigError
from vendorwatch.findings import triage
from vendorwatch.findings.query import history, to_contract
from vendorwatch.i18n import t

finding_app = typer.Typer(help="指摘事項の対応 / Finding triage (ack, accept, resolve, show).", no_args_is_help=True)

Reason = Annotated[str | None, typer.Option("--reason", help="why (required for accept and resolve)")]
Actor = Annotated[str | None, typer.Option("--actor", help="who decides (default VENDORWATCH_ACTOR or the OS user)")]


def parse_until(value: str, zone: str) -> datetime:
    """``2026-12-31`` (end of that day in the organization's zone) or an ISO time with an offset."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()  # a date, placed in the zone below
            return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(t(f"日付が不正です: {value}（例 2026-12-31）", f"not a date: {value} (e.g. 2026-12-31)")) from None
    return parsed.replace(tzinfo=ZoneInfo(zone)) if parsed.tzinfo is None else parsed


def _done(finding_id: int, status: str) -> None:
    runtime().console.print(f"指摘事項 {finding_id} → {status} / finding {finding_id} is now {status}", highlight=False)


@finding_app.command("ack")
def ack(finding_id: Annotated[int, typer.Argument(metavar="ID")], reason: Reason = None, actor: Actor = None) -> None:
    """確認済みにする / Acknowledge: someone owns it."""
    current = runtime()
    with session_scope(current.ready_engine()) as session:
        triage.acknowledge(session, finding_id, actor=current.settings.actor_name(actor), reason=reason,
                           clock=current.clock)
    _done(finding_id, "acknowledged")


@finding_app.command("accept")
def accept(
    finding_id: Annotated[int, typer.Argument(metavar="ID")],
    until: Annotated[str, typer.Option("--until", help="expiry date (YYYY-MM-DD, organization time zone)")],
    reason: Reason = None,
    actor: Actor = None,
) -> None:
    """リスク受容（期限付き）/ Accept the risk until a date."""
    current = runtime()
    zone = current.registry().organization.timezone
    with session_scope(current.ready_engine()) as session:
        triage.accept_risk(session, finding_id, actor=current.settings.actor_name(actor), reason=reason,
                           until=parse_until(until, zone), clock=current.clock)
    _done(finding_id, "risk_accepted")


@finding_app.command("resolve")
def resolve(finding_id: Annotated[int, typer.Argument(metavar="ID")], reason: Reason = None,
            actor: Actor = None) -> None:
    """解決済みにする / Resolve (reopens if the next evaluation still finds it)."""
    current = runtime()
    with session_scope(current.ready_engine()) as session:
        triage.resolve(session, finding_id, actor=current.settings.actor_name(actor), reason=reason,
                       clock=current.clock)
    _done(finding_id, "resolved")


@finding_app.command("show")
def show(finding_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """詳細と履歴 / Details and history of one finding."""
    current = runtime()
    zone = current.registry().organization.timezone
    with session_scope(current.ready_engine()) as session:
        finding = triage._load(session, finding_id)
        item = to_contract(finding)
        console = current.console
        console.print(f"[bold]#{finding_id} {item['title']['ja']} / {item['title']['en']}[/]", highlight=False)
        message = item["message"] or item["title"]
        console.print(f"{message['ja']}\n{message['en']}", highlight=False, markup=False)
        console.print(f"check {item['check']}  control {item['control']}  vendor {item['vendor']}  "
                      f"severity {item['severity']}  status {item['status']}", highlight=False)
        console.print(f"subject: {item['subject']}", highlight=False, markup=False)
        console.print(f"event ids: {', '.join(item['evidence']['event_ids']) or '-'}", highlight=False, markup=False)
        console.print(f"principals: {', '.join(item['evidence']['principals']) or '-'}", highlight=False, markup=False)
        if item["remediation"]:
            console.print(f"対処 / remediation: {item['remediation']['ja']} / {item['remediation']['en']}",
                          highlight=False, markup=False)
        for entry in history(session, finding_id):
            console.print(f"  {local_time(entry.at, zone)} {entry.from_status or '-'} → {entry.to_status} "
                          f"({entry.actor}) {entry.reason or ''}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``finding`` group to the app."""
    app.add_typer(finding_app, name="finding")
