"""``vendorwatch finding ack|accept|resolve|show ID``: triage one finding (every change is audited)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import styled
from vendorwatch.clock import local_time
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

MAX_ID = 2**63 - 1  # the database's integer: a larger id is a usage error, not an overflow
EVENTS_SHOWN = 50

finding_app = typer.Typer(help="指摘事項の対応 / Finding triage (ack, accept, resolve, show).", no_args_is_help=True)

FindingId = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="指摘事項 ID / finding id")]
Reason = Annotated[str | None, typer.Option("--reason", help="理由（accept と resolve では必須）/ why (required for "
                                                            "accept and resolve)")]
Actor = Annotated[str | None, typer.Option("--actor", help="判断した人（既定 VENDORWATCH_ACTOR または OS ユーザー）/ who "
                                                          "decides (default VENDORWATCH_ACTOR or the OS user)")]


def parse_until(value: str, zone: str) -> datetime:
    """``2026-12-31`` (end of that day in the organization's zone) or an ISO time with an offset."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()  # a date, placed in the zone below
            return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise ConfigError(t(f"日付が不正です: {value}（例 2026-12-31）", f"not a date: {value} (e.g. 2026-12-31)")) from None
    return parsed.replace(tzinfo=ZoneInfo(zone)) if parsed.tzinfo is None else parsed


def _done(finding_id: int, status: str) -> None:
    runtime().console.print(f"指摘事項 {finding_id} → {status} / finding {finding_id} is now {status}")


@finding_app.command("ack")
def ack(finding_id: FindingId, reason: Reason = None, actor: Actor = None) -> None:
    """確認済みにする / Acknowledge: someone owns it."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.db.tables import Finding
    from vendorwatch.findings import triage

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        before = session.get(Finding, finding_id)
        already = before is not None and before.status == "acknowledged"
        triage.acknowledge(session, finding_id, actor=current.settings.actor_name(actor), reason=reason,
                           clock=current.clock)
    if already:
        current.console.print(f"指摘事項 {finding_id} は確認済みです（変更なし）/ finding {finding_id} is already "
                              "acknowledged (nothing changed)")
        return
    _done(finding_id, "acknowledged")


@finding_app.command("accept")
def accept(
    finding_id: FindingId,
    until: Annotated[str, typer.Option("--until", help="受容期限（YYYY-MM-DD、組織のタイムゾーン）/ expiry date "
                                                       "(YYYY-MM-DD, organization time zone)")],
    reason: Reason = None,
    actor: Actor = None,
) -> None:
    """リスク受容（期限付き）/ Accept the risk until a date."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.findings import triage

    current = runtime()
    organization = current.registry().organization
    zone = organization.timezone
    with session_scope(current.ready_engine()) as session:
        finding = triage.accept_risk(session, finding_id, actor=current.settings.actor_name(actor), reason=reason,
                                     until=parse_until(until, zone), clock=current.clock,
                                     max_days=organization.max_risk_acceptance_days, zone=zone)
        expiry = local_time(finding.accepted_until, zone)
    current.console.print(f"指摘事項 {finding_id} → risk_accepted（期限 {expiry}）/ finding {finding_id} is now "
                          f"risk_accepted until {expiry}")


@finding_app.command("resolve")
def resolve(finding_id: FindingId, reason: Reason = None, actor: Actor = None) -> None:
    """解決済みにする / Resolve (reopens if the next evaluation finds events after the resolution)."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.findings import triage

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        triage.resolve(session, finding_id, actor=current.settings.actor_name(actor), reason=reason,
                       clock=current.clock)
    _done(finding_id, "resolved")


@finding_app.command("show")
def show(
    finding_id: FindingId,
    unmask: Annotated[bool, typer.Option("--unmask", help="個人情報を表示（監査ログに記録）/ show personal data "
                                                         "(written to the audit log)")] = False,
) -> None:
    """詳細・根拠イベント・履歴 / Details, evidence events and history of one finding."""
    from vendorwatch.cli.events_view import events_table
    from vendorwatch.cli.findings_view import event_period, status_text
    from vendorwatch.cli.unmask import record_unmask
    from vendorwatch.db.engine import session_scope
    from vendorwatch.findings import triage
    from vendorwatch.findings.query import history, to_contract
    from vendorwatch.views.evidence import evidence_events
    from vendorwatch.views.personal import Masker

    current = runtime()
    registry = current.registry()
    zone = registry.organization.timezone
    masker = Masker.for_registry(registry, masked=not unmask)
    with session_scope(current.ready_engine()) as session:
        finding = triage._load(session, finding_id)
        if unmask:
            record_unmask(session, current, f"finding:{finding_id}")
        item = to_contract(finding)
        console = current.console
        console.print(styled((f"#{finding_id} ", "bold"), (f"{item['title']['ja']} / {item['title']['en']}", "bold")))
        message = item["message"] or item["title"]
        principals = item["evidence"]["principals"]
        console.print(styled(masker.text(message["ja"], principals)))
        console.print(styled(masker.text(message["en"], principals)))
        console.print(styled(f"check {item['check']}  control {item['control']}  vendor {item['vendor'] or '-'}  "
                             f"severity {item['severity']}  status {status_text(finding, zone)}"))
        console.print(styled("対象 / subject: ", masker.text(item["subject"], principals)))
        period = event_period(finding, zone)
        console.print(styled("発生 / happened: ", " ".join(period) if period else "-"))
        console.print(styled(f"評価 / evaluated: {local_time(finding.first_seen, zone)} 〜 "
                             f"{local_time(finding.last_seen, zone)}"))
        if finding.status == "risk_accepted" and finding.accepted_until is not None:
            console.print(styled(f"受容期限 / accepted until: {local_time(finding.accepted_until, zone)}"))
        console.print(styled("主体 / principals: ", ", ".join(masker.principal(p) for p in principals) or "-"))
        event_ids = item["evidence"]["event_ids"]
        events = evidence_events(session, finding.vendor_id, event_ids, masker, limit=EVENTS_SHOWN)
        if events:
            console.print(events_table(events, f"根拠イベント / evidence events ({len(events)}/{len(event_ids)}, "
                                               f"{zone})", zone))
            if len(event_ids) > len(events):
                console.print(f"  全件は `vendorwatch events --finding {finding_id}` / all of them with "
                              f"`vendorwatch events --finding {finding_id}`")
        elif event_ids:
            console.print(styled("根拠イベント / evidence events: ", ", ".join(event_ids),
                                 "（保存されていません / not stored）"))
        if item["remediation"]:
            console.print(styled(f"対処 / remediation: {item['remediation']['ja']} / {item['remediation']['en']}"))
        console.print("履歴 / history:")
        for entry in history(session, finding_id):
            console.print(styled(f"  {local_time(entry.at, zone)} {entry.from_status or '-'} → {entry.to_status} (",
                                 entry.actor, ") ", entry.reason or ""))


def register(app: typer.Typer) -> None:
    """Add the ``finding`` group to the app."""
    app.add_typer(finding_app, name="finding")
