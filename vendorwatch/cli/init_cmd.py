"""``vendorwatch init``: create or migrate the database and import the registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.errors import DatabaseError
from vendorwatch.i18n import t

if TYPE_CHECKING:
    from sqlmodel import Session


def init(
    config: Annotated[Path | None, typer.Option("--config", help="委託先台帳ファイル / registry file")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="実行者（監査ログ、既定は OS ユーザー） / "
                                                              "who is acting (audit log); default the OS user")] = None,
    allow_retire: Annotated[
        bool, typer.Option("--allow-retire", help="ファイルから消えた委託先を廃止（履歴は残ります） / "
                                                  "retire vendors that left the file (history is kept)")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="変更内容を表示するだけで書き込まない / "
                                                            "show what would change; write nothing")] = False,
) -> None:
    """DB を作成・移行し台帳を取込む / Create or migrate the database and import the registry."""
    from vendorwatch.cli.registry_view import print_plan
    from vendorwatch.db.engine import database_exists, make_engine, session_scope
    from vendorwatch.db.migrate import current_revision, head_revision, upgrade
    from vendorwatch.registry.loader import load_registry
    from vendorwatch.registry.sync import apply_import, plan_import

    current = runtime()
    path = current.config_path(config)
    registry, text = load_registry(path)  # validate before touching the database
    engine = current.engine
    if dry_run:
        if not database_exists(current.url) or current_revision(engine) != head_revision():
            # Not created yet (or behind): compare against an empty database of the current schema.
            engine = make_engine("sqlite://")
            upgrade(engine)
        with session_scope(engine) as session:
            plan = plan_import(session, registry, text)
        print_plan(current.console, plan, dry_run=True)
        return
    before, after = upgrade(engine)
    if before != after:
        current.console.print(
            f"データベースを {before or '(空)'} から {after} に移行しました / migrated the database from "
            f"{before or '(empty)'} to {after}",
            highlight=False,
        )
    with session_scope(engine) as session:
        _restore_protections(session, current.settings.actor_name(actor))
        plan = apply_import(
            session, registry, text, path=str(path), actor=current.settings.actor_name(actor),
            clock=current.clock, allow_retire=allow_retire,
        )
    print_plan(current.console, plan, dry_run=False)


def _restore_protections(session: Session, actor: str) -> None:
    """Put back append-only protections someone removed, and say so on screen and in the audit log."""
    from vendorwatch import audit
    from vendorwatch.db.append_only import restore_protections

    current = runtime()
    restored = restore_protections(session.connection())
    if any(problem.startswith("audit_log: the table is missing") for problem in restored):
        raise DatabaseError(t(
            "監査ログのテーブルがありません（削除されました）。バックアップからデータベースを復元してください",
            "the audit log table is missing (dropped): restore the database from a backup",
        ))
    if not restored:
        return
    audit.record(session, actor=actor, action="audit.protections_restored", target="database",
                 details={"restored": restored}, clock=current.clock)
    current.console.print("監査ログ等の追記専用の保護を復元しました / restored the append-only protections:",
                          highlight=False)
    for problem in restored:
        current.console.print(f"  {problem}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``init`` to the app."""
    app.command("init")(init)
