"""``vendorwatch evidence add|list|withdraw|get``: documents with a validity period (certificates, test reports), and
uploaded evidence files taken out by the firm's staff."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

# The keys of ``questionnaires.definition.DOCUMENT_KINDS``, named here for ``--help`` without importing the
# questionnaire models at start-up (tests/test_cli_startup.py checks that they are the same).
KIND_NAMES = ("iso27001_certificate", "isms_certificate", "pentest_report", "soc2_report", "other")
evidence_app = typer.Typer(help="証跡文書（認証書・診断報告書）/ Evidence documents with a validity period.",
                           no_args_is_help=True)
Actor = Annotated[str | None, typer.Option("--actor", help="実行者（既定 VENDORWATCH_ACTOR または OS ユーザー） / "
                                                           "who acts (default VENDORWATCH_ACTOR or the OS user)")]


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(t(f"日付は YYYY-MM-DD で指定してください: {value}", f"give the date as YYYY-MM-DD: {value}")) from None


@evidence_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="the document (PDF, image, Office file)")],
    vendor: Annotated[str, typer.Option("--vendor", help="委託先 ID / vendor id")],
    kind: Annotated[str, typer.Option("--kind", help=f"種類 / one of: {', '.join(KIND_NAMES)}")],
    valid_until: Annotated[str, typer.Option("--valid-until", help="有効期限（YYYY-MM-DD） / expiry date, YYYY-MM-DD")],
    valid_from: Annotated[str | None, typer.Option("--valid-from", help="有効期間の開始日 / YYYY-MM-DD")] = None,
    title: Annotated[str | None, typer.Option("--title", help="件名（証明書番号など） / e.g. the certificate number")] = None,
    actor: Actor = None,
) -> None:
    """証跡文書を登録 / Register a document received outside a questionnaire (stored by SHA-256)."""
    from questionnaires.evidence import DocumentDetails, add_document
    from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.db.engine import session_scope

    current = runtime()
    require_choice("--vendor", vendor, vendor_ids(current.registry()))
    store = EvidenceStore(EvidenceSettings.from_settings(current.settings))
    details = DocumentDetails(kind, valid_until=_date(valid_until), valid_from=_date(valid_from), title=title)
    try:
        stream = file.open("rb")
    except OSError as exc:
        raise ConfigError(t(f"{file} を読めません: {exc}", f"cannot read {file}: {exc}")) from None
    with stream, session_scope(current.ready_engine()) as session:
        document = add_document(session, store, stream, file.name, details, vendor_id=vendor,
                                actor=current.settings.actor_name(actor), clock=current.clock)
        document_id = document.id
    current.console.print(f"文書 {document_id} を登録しました / document {document_id} registered "
                          f"({kind}, valid until {valid_until})", highlight=False, markup=False)


@evidence_app.command("list")
def list_command(
    vendor: Annotated[str | None, typer.Option("--vendor", help="委託先を指定 / one vendor")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力 / print as JSON")] = False,
) -> None:
    """証跡文書と有効期限 / Documents in force and the days left before they expire."""
    from questionnaires.campaigns import local_today
    from questionnaires.evidence import document_statuses
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.db.engine import session_scope

    current = runtime()
    registry = current.registry()
    require_choice("--vendor", vendor, vendor_ids(registry))
    today = local_today(current.clock, registry.organization.timezone)
    with session_scope(current.ready_engine()) as session:
        statuses = document_statuses(session, today, vendor_id=vendor)
    rows = [{"id": s.document.id, "vendor": s.document.vendor_id, "kind": s.document.kind, "title": s.document.title,
             "valid_until": s.document.valid_until.isoformat() if s.document.valid_until else None,
             "days_left": s.days_left, "expired": s.expired, "superseded": s.superseded,
             "request": s.document.request_id} for s in statuses]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "superseded" if row["superseded"] else ("EXPIRED" if row["expired"] else f"{row['days_left']} days left")
        current.console.print(f"#{row['id']} {row['vendor']} {row['kind']} 「{row['title']}」 until {row['valid_until']} "
                              f"— {state}", highlight=False, markup=False)


@evidence_app.command("withdraw")
def withdraw(document_id: Annotated[int, typer.Argument(metavar="ID")],
             reason: Annotated[str, typer.Option("--reason", help="理由 / why")], actor: Actor = None) -> None:
    """登録した文書を取下げ / Withdraw a document registered by mistake (kept, no longer counted)."""
    from questionnaires.evidence import withdraw_document
    from vendorwatch.db.engine import session_scope

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        withdraw_document(session, document_id, actor=current.settings.actor_name(actor), reason=reason,
                          clock=current.clock)
    current.console.print(f"文書 {document_id} を取り下げました / document {document_id} withdrawn", highlight=False)


@evidence_app.command("get")
def get(file_id: Annotated[int, typer.Argument(metavar="FILE", help="evidence file id (campaign review show lists them)")],
        out: Annotated[Path, typer.Option("--out", help="書出し先フォルダ / folder to write it to")] = Path("."),
        actor: Actor = None) -> None:
    """証跡ファイルを取り出す / Write an uploaded evidence file to a folder (hash checked, audited)."""
    from questionnaires.evidence_download import attachment
    from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
    from vendorwatch.db.engine import session_scope

    current = runtime()
    store = EvidenceStore(EvidenceSettings.from_settings(current.settings))
    with session_scope(current.ready_engine()) as session:
        taken = attachment(session, store, file_id, actor=current.settings.actor_name(actor), clock=current.clock)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{file_id}-{taken.filename}"
    target.write_bytes(taken.content)
    current.console.print(f"{target} ({taken.file.media_type}, {len(taken.content)} bytes, sha256 {taken.file.sha256})",
                          highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``evidence`` to the app."""
    app.add_typer(evidence_app, name="evidence")
