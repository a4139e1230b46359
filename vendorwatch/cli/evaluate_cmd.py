"""``vendorwatch evaluate``: run the checks over the database and update the findings."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime


def evaluate_command(
    check: Annotated[list[str] | None, typer.Option("--check", help="このチェック ID または管理策のみ（複数可） / "
                                                                    "only this check id or control (repeatable)")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="実行者（監査ログ） / who runs it (audit log)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力 / print the outcome as JSON")] = False,
) -> None:
    """チェックを評価し指摘事項を更新 / Evaluate the checks and update the findings."""
    from vendorwatch.checks.discovery import checks_by_id
    from vendorwatch.cli.choices import require_choice
    from vendorwatch.cli.findings_view import print_evaluation, risk_table
    from vendorwatch.controls.catalog import load_catalog
    from vendorwatch.db.engine import session_scope
    from vendorwatch.findings.evaluate import evaluate
    from vendorwatch.scoring.risk import score_vendors

    current = runtime()
    for chosen in check or []:
        require_choice("--check", chosen, [*checks_by_id(), *(c.id for c in load_catalog().controls)])
    engine = current.ready_engine()
    registry = current.registry()
    name = current.settings.actor_name(actor)
    evaluation = evaluate(engine, registry, current.clock, only=check, actor=name)
    with session_scope(engine) as session:
        risks = score_vendors(session, registry, current.clock)
    if as_json:
        typer.echo(json.dumps({
            "checks": [{"check": o.check.id, "control": o.check.meta.control, "found": len(o.drafts),
                        "seconds": round(o.seconds, 4), "error": o.error} for o in evaluation.run.outcomes],
            "changes": dict(evaluation.summary.counts),
            "risk": {v: {"score": r.score, "level": r.level} for v, r in risks.items()},
        }, ensure_ascii=False, indent=2))
    else:
        print_evaluation(current.console, evaluation)
        current.console.print(risk_table(risks))
    failed = [o.check.id for o in evaluation.run.outcomes if not o.ok]
    if failed:
        current.err.print(f"失敗したチェック / failed checks: {', '.join(failed)}", highlight=False)
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to the app."""
    app.command("evaluate")(evaluate_command)
