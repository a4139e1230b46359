"""``vendorwatch campaign send|status|review|cancel|remind|export|import``: questionnaire campaigns.

The commands call the same domain functions as the portal and the dashboard (``questionnaires.*``); every
change is audited there. Vendors' answers and contacts are personal data: masked unless ``--unmask``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import local_time
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.masking import mask_email, mask_text

if TYPE_CHECKING:
    from questionnaires.review import ReviewView

campaign_app = typer.Typer(help="質問票の送付と確認 / Questionnaire campaigns: send, status, review, reminders, workbooks.",
                           no_args_is_help=True)
review_app = typer.Typer(help="回答の確認 / Review a request: show, return with notes, accept, reopen.",
                         no_args_is_help=True)
campaign_app.add_typer(review_app, name="review")

Actor = Annotated[str | None, typer.Option("--actor", help="実行者（既定 VENDORWATCH_ACTOR または OS ユーザー） / "
                                                           "who acts (default VENDORWATCH_ACTOR or the OS user)")]
RequestId = Annotated[int, typer.Argument(metavar="REQUEST", help="request id (campaign status lists them)")]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(t(f"日付は YYYY-MM-DD で指定してください: {value}", f"give the date as YYYY-MM-DD: {value}")) from None


@campaign_app.command("send")
def send(
    questionnaire: Annotated[str, typer.Option("--questionnaire", "-q",
                                               help="同梱の質問票 ID またはファイル / shipped id or file path")],
    due: Annotated[str, typer.Option("--due", help="回答期限（YYYY-MM-DD、組織のタイムゾーン） / "
                                                   "due date, YYYY-MM-DD in the organization's time zone")],
    vendor: Annotated[list[str], typer.Option("--vendor", help="委託先 ID（複数可） / vendor id (repeatable)")],
    with_sub_vendors: Annotated[bool, typer.Option("--with-sub-vendors", help="配下の再委託先にも送付 / "
                                                                              "also every sub-vendor below them")] = False,
    name: Annotated[str | None, typer.Option("--name", help="キャンペーン名 / campaign name")] = None,
    note: Annotated[str | None, typer.Option("--note", help="キャンペーンに残すメモ / note kept with the campaign")] = None,
    actor: Actor = None,
) -> None:
    """質問票を送付 / Send a questionnaire version to vendors (and sub-vendors) with a due date."""
    from questionnaires.campaigns import send_campaign
    from questionnaires.loader import find_questionnaire
    from questionnaires.respondent import descendants
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.db.engine import session_scope

    current = runtime()
    registry = current.registry()
    for chosen in vendor:
        require_choice("--vendor", chosen, vendor_ids(registry))
    vendors = list(vendor)
    if with_sub_vendors:
        vendors += [v for chosen in vendor for v in descendants(registry, chosen)]
    loaded = find_questionnaire(questionnaire)
    with session_scope(current.ready_engine()) as session:
        sent = send_campaign(session, registry, loaded, vendors, due_date=_date(due), name=name, note=note,
                             actor=current.settings.actor_name(actor), clock=current.clock)
        campaign_id = sent.campaign.id
        requests = [(r.id, r.vendor_id) for r in sent.requests]
        warnings = list(sent.warnings)
    console = current.console
    q = loaded.questionnaire
    console.print(f"キャンペーン {campaign_id} を送付しました / campaign {campaign_id} sent: {q.id} {q.version}, "
                  f"期限 / due {due}", highlight=False, markup=False)
    for request_id, vendor_id in requests:
        console.print(f"  依頼 / request {request_id}: {vendor_id}", highlight=False, markup=False)
    for warning in warnings:
        current.err.print(f"注意 / warning: {warning.both()}", highlight=False, markup=False)


@campaign_app.command("status")
def status(
    campaign: Annotated[int | None, typer.Option("--campaign", help="キャンペーンを指定 / one campaign")] = None,
    vendor: Annotated[list[str] | None, typer.Option("--vendor", help="委託先 ID（複数可） / vendor id (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力 / print as JSON")] = False,
) -> None:
    """依頼の状況 / Where every request stands: state, due date, days left, score."""
    from questionnaires.campaigns import request_statuses
    from questionnaires.states import STATE_LABELS
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.db.engine import session_scope

    current = runtime()
    registry = current.registry()
    for chosen in vendor or []:
        require_choice("--vendor", chosen, vendor_ids(registry))
    with session_scope(current.ready_engine()) as session:
        statuses = request_statuses(session, registry, current.clock, campaign_id=campaign, vendor_ids=vendor)
    if as_json:
        typer.echo(json.dumps([{
            "request": s.request_id, "campaign": s.campaign_id, "campaign_name": s.campaign,
            "questionnaire": s.questionnaire_id, "version": s.version, "vendor": s.vendor_id, "parent": s.parent_id,
            "state": s.state, "due_date": s.due_date.isoformat(), "days_left": s.days_left, "overdue": s.overdue,
            "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None, "submissions": s.submissions,
            "score": s.score, "result": s.result} for s in statuses], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    zone = registry.organization.timezone
    table = Table(title="質問票の依頼 / questionnaire requests", title_justify="left")
    for column in ("依頼 request", "キャンペーン campaign", "委託先 vendor", "状態 state", "期限 due", "残り days",
                   "提出 submitted", "スコア score"):
        table.add_column(column, overflow="fold")
    for s in statuses:
        label = STATE_LABELS[s.state]
        left = ("期限超過 overdue " if s.overdue else "") + str(s.days_left)
        table.add_row(str(s.request_id), f"{s.campaign_id} {s.questionnaire_id} {s.version}",
                      s.vendor_id + (f" (← {s.parent_id})" if s.parent_id else ""), f"{label.ja} / {label.en}",
                      s.due_date.isoformat(), left, local_time(s.submitted_at, zone),
                      "" if s.score is None else f"{s.score:g}% {s.result or ''}")
    current.console.print(table)


def _print_review(view: ReviewView, zone: str, unmask: bool) -> None:
    from questionnaires.states import STATE_LABELS

    console = runtime().console
    request = view.request
    label = STATE_LABELS[request.state]
    shown = (lambda text: text) if unmask else mask_text
    console.print(f"依頼 / request {request.id}: {request.vendor_id} — {view.questionnaire.title.ja} "
                  f"{view.questionnaire.version} — {label.ja} / {label.en}", highlight=False, markup=False)
    if view.submission is not None:
        by = view.submission.submitted_by if unmask else mask_email(view.submission.submitted_by)
        console.print(f"提出 / submission {view.submission.number}: {local_time(view.submission.submitted_at, zone)} "
                      f"by {by} via {view.submission.via}; score {view.scorecard.percent}% {view.scorecard.result}",
                      highlight=False, markup=False)
    numbers = view.questionnaire.numbering()
    notes: dict[str | None, list[Any]] = {}
    for note in view.notes:
        notes.setdefault(note.question_id, []).append(note)
    for question in view.questionnaire.questions():
        scored = view.scorecard.questions[question.id]
        if not scored.visible:
            continue
        answer = view.answers.get(question.id)
        text = shown(answer.display(question, "ja")) if answer else "（未回答 / no answer）"
        result = f" [{scored.result}]" if scored.result else ""
        console.print(f"{numbers[question.id]} {question.id}{result}: {question.text.ja}", highlight=False, markup=False)
        console.print(f"    → {text}" + (f"（{shown(answer.comment)}）" if answer and answer.comment else ""),
                      highlight=False, markup=False)
        for file in view.files.get(question.id, []):
            console.print(f"    添付 / file #{file.id} {file.filename} ({file.size} bytes, {file.media_type}, "
                          f"sha256 {file.sha256[:12]}…)", highlight=False, markup=False)
        contradiction = view.contradictions.get(question.id)
        if contradiction is not None:
            observation = contradiction.observation
            console.print(f"    !! 監視データと矛盾 / contradicted by telemetry: findings {observation.finding_ids} "
                          f"events {observation.event_ids[:10]} principals {observation.principals[:10]}",
                          highlight=False, markup=False)
            for fact in observation.facts[:5]:
                console.print(f"      - {fact.ja} / {fact.en}", highlight=False, markup=False)
        for note in notes.get(question.id, []):
            state = "open" if note.closed_at is None else "closed"
            console.print(f"    指摘 / note #{note.id} ({state}) {shown(note.note)}" +
                          (f" → {shown(note.response)}" if note.response else ""), highlight=False, markup=False)
    for note in notes.get(None, []):
        console.print(f"全体への指摘 / general note #{note.id}: {shown(note.note)}" +
                      (f" → {shown(note.response)}" if note.response else ""), highlight=False, markup=False)
    for entry in view.history:
        actor = entry.actor if unmask else mask_email(entry.actor)
        console.print(f"  {local_time(entry.at, zone)} {entry.from_state or '-'} → {entry.to_state} ({actor}) "
                      f"{shown(entry.note or '')}", highlight=False, markup=False)


@review_app.command("show")
def review_show(request_id: RequestId,
                unmask: Annotated[bool, typer.Option("--unmask", help="個人情報を表示（監査ログに記録） / "
                                                                      "show personal data unmasked")] = False) -> None:
    """回答・根拠・矛盾・指摘・履歴を表示 / The answers beside the telemetry, notes and history."""
    from questionnaires.review import review_view
    from vendorwatch.db.engine import session_scope

    current = runtime()
    registry = current.registry()
    with session_scope(current.ready_engine()) as session:
        view = review_view(session, registry, request_id, clock=current.clock)
        _print_review(view, registry.organization.timezone, unmask)


@review_app.command("return")
def review_return(
    request_id: RequestId,
    note: Annotated[list[str] | None, typer.Option("--note", help="設問ID=修正内容（複数可） / "
                                                                  "QUESTION_ID=what to change (repeatable)")] = None,
    general: Annotated[str | None, typer.Option("--general", help="依頼全体への指摘 / a note on the whole request")] = None,
    actor: Actor = None,
) -> None:
    """差戻し（設問ごとの指摘）/ Return a submitted request with a note per question."""
    from questionnaires.review import request_changes
    from vendorwatch.db.engine import session_scope

    notes: dict[str | None, str] = {}
    for item in note or []:
        question, sep, text = item.partition("=")
        if not sep or not question.strip():
            raise ConfigError(t(f"--note は「設問ID=指摘」の形で指定してください: {item}",
                                f"--note takes QUESTION_ID=TEXT: {item}"))
        notes[question.strip()] = text
    if general:
        notes[None] = general
    current = runtime()
    with session_scope(current.ready_engine()) as session:
        created = request_changes(session, request_id, notes, actor=current.settings.actor_name(actor),
                                  clock=current.clock)
        count = len(created)
    current.console.print(f"依頼 {request_id} を差し戻しました（指摘 {count} 件）/ request {request_id} returned "
                          f"with {count} note(s)", highlight=False)


@review_app.command("accept")
def review_accept(request_id: RequestId, note: Annotated[str | None, typer.Option("--note", help="メモ / note")] = None,
                  actor: Actor = None) -> None:
    """承認 / Accept a submitted request."""
    from questionnaires.review import accept
    from vendorwatch.db.engine import session_scope

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        accept(session, request_id, actor=current.settings.actor_name(actor), clock=current.clock, note=note)
    current.console.print(f"依頼 {request_id} を承認しました / request {request_id} accepted", highlight=False)


@review_app.command("reopen")
def review_reopen(request_id: RequestId, reason: Annotated[str, typer.Option("--reason", help="理由 / why")],
                  actor: Actor = None) -> None:
    """承認済みの依頼を再開 / Reopen an accepted request for review."""
    from questionnaires.review import reopen
    from vendorwatch.db.engine import session_scope

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        reopen(session, request_id, actor=current.settings.actor_name(actor), reason=reason, clock=current.clock)
    current.console.print(f"依頼 {request_id} を再開しました / request {request_id} reopened", highlight=False)


@campaign_app.command("cancel")
def cancel(request_id: RequestId, reason: Annotated[str, typer.Option("--reason", help="理由 / why")],
           actor: Actor = None) -> None:
    """依頼を取消し / Cancel a request (sent by mistake, superseded)."""
    from questionnaires.campaigns import cancel_request
    from vendorwatch.db.engine import session_scope

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        cancel_request(session, request_id, actor=current.settings.actor_name(actor), reason=reason, clock=current.clock)
    current.console.print(f"依頼 {request_id} を取り消しました / request {request_id} cancelled", highlight=False)


@campaign_app.command("remind")
def remind(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="送付対象を表示するだけで送らない / "
                                                            "list what is due, send nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力 / print as JSON")] = False,
) -> None:
    """期限前・期限後のリマインダーを送信 / Send the reminders due now (each stage once); exit 1 if any failed."""
    from questionnaires.reminders import send_due_reminders

    current = runtime()
    registry = current.registry()
    report = send_due_reminders(current.ready_engine(), registry, current.clock, dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps([{"kind": o.kind, "target": o.target_id, "vendor": o.vendor_id, "stage": o.stage,
                                "status": o.status, "recipients": [mask_email(r) for r in o.recipients],
                                "detail": o.detail} for o in report.outcomes], ensure_ascii=False, indent=2))
    else:
        for o in report.outcomes:
            to = ", ".join(mask_email(r) for r in o.recipients) or "-"
            current.console.print(f"{o.status:10} {o.kind} {o.target_id} {o.vendor_id} {o.stage} → {to}"
                                  + (f"  ({o.detail})" if o.detail and o.status != "sent" else ""),
                                  highlight=False, markup=False)
        current.console.print(f"送信 / sent {report.count('sent')}, 失敗 / failed {report.count('failed')}, "
                              f"保留 / skipped {report.count('skipped')}", highlight=False)
    if report.count("failed"):
        raise typer.Exit(1)


@campaign_app.command("export")
def export(request_id: RequestId, out: Annotated[Path, typer.Option("--out", help="書き出す .xlsx ファイル / "
                                                                                  "the .xlsx file to write")]) -> None:
    """依頼を Excel ブックに書き出し / Export a request as an .xlsx workbook for offline answering."""
    from vendorwatch.db.engine import session_scope

    current = runtime()
    registry = current.registry()
    with session_scope(current.ready_engine()) as session:
        from questionnaires.workbook import export_workbook  # openpyxl: 18 MB no other command needs

        data = export_workbook(session, registry, request_id, clock=current.clock)
    out.write_bytes(data)
    current.console.print(f"{out} を書き出しました / wrote {out} ({len(data)} bytes)", highlight=False, markup=False)


@campaign_app.command("import")
def import_command(
    request_id: RequestId,
    file: Annotated[Path, typer.Argument(help="the filled .xlsx workbook")],
    contact: Annotated[str, typer.Option("--contact", help="記入した委託先担当者（台帳のメールアドレス） / "
                                                           "the vendor contact who filled it (registry e-mail)")],
    submit_after: Annotated[bool, typer.Option("--submit", help="保存後に提出（ポータルの提出と同じ） / "
                                                                "submit after saving (as the portal's submit)")] = False,
    actor: Actor = None,
) -> None:
    """記入済みブックを取り込み / Import a filled workbook (validated like a portal submission); exit 1 on errors."""
    from questionnaires.campaigns import get_request
    from questionnaires.respondent import respondent_for
    from vendorwatch.db.engine import session_scope

    current = runtime()
    registry = current.registry()
    engine = current.ready_engine()
    with session_scope(engine) as session:
        request = get_request(session, request_id)
        respondent = respondent_for(registry, request.vendor_id, contact, via="workbook",
                                    recorded_by=current.settings.actor_name(actor))
    try:
        stream = file.open("rb")
    except OSError as exc:
        raise ConfigError(t(f"{file} を読めません: {exc}", f"cannot read {file}: {exc}")) from None
    with stream, session_scope(engine) as session:
        from questionnaires.workbook import import_workbook

        outcome = import_workbook(session, respondent, request_id, stream, clock=current.clock,
                                  submit_after=submit_after)
    console = current.console
    console.print(f"保存 / saved {len(outcome.saved)}, 消去 / cleared {len(outcome.cleared)}, "
                  f"提出 / submitted {'yes' if outcome.submitted else 'no'}", highlight=False)
    for error in outcome.errors:
        current.err.print(error.render(), highlight=False, markup=False)
    if outcome.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``campaign`` to the app."""
    app.add_typer(campaign_app, name="campaign")
