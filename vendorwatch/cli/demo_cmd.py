"""``vendorwatch demo``: a demo database with the example registry, real recordings and realistic incidents,
evaluated, with the findings and risk they give."""

from __future__ import annotations

from typing import Annotated

import typer

from questionnaires.demo import load_demo_questionnaires
from vendorwatch.cli.findings_view import findings_table, print_evaluation, risk_table
from vendorwatch.cli.registry_view import print_plan, print_registry
from vendorwatch.cli.runtime import runtime
from vendorwatch.db.engine import make_engine, session_scope
from vendorwatch.db.migrate import upgrade
from vendorwatch.demo import DEMO_DATABASE_URL, DEMO_REGISTRY
from vendorwatch.demo.load import load_demo
from vendorwatch.errors import ConfigError
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import list_findings
from vendorwatch.i18n import t
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.sync import apply_import
from vendorwatch.scoring.risk import score_vendors


def demo(
    database_url: Annotated[
        str, typer.Option("--demo-database-url", help="where the demo writes (never your real database)")
    ] = DEMO_DATABASE_URL,
) -> None:
    """デモ: 例示台帳・実データ・事例を取込み評価 / Demo: example registry, real recordings, incidents, findings."""
    current = runtime()
    if not DEMO_REGISTRY.exists():
        raise ConfigError(t(f"デモ台帳 {DEMO_REGISTRY} がありません", f"demo registry {DEMO_REGISTRY} is missing"))
    registry, text = load_registry(DEMO_REGISTRY)
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        plan = apply_import(session, registry, text, path=str(DEMO_REGISTRY), actor="demo", clock=current.clock)
    console = current.console
    console.rule("VendorWatch demo / デモ")
    console.print(f"database / データベース: {database_url}", highlight=False)
    print_plan(console, plan, dry_run=False)
    print_registry(console, registry, today=current.clock.now().date())

    loaded = load_demo(engine, registry, current.clock)
    console.rule("デモデータ / demo data")
    for name, stored in loaded.recordings.items():
        console.print(f"実データ / recording {name}: {stored} 件格納 / stored", highlight=False)
    for path in loaded.missing:
        console.print(f"実データなし / recording not found: {path}", highlight=False)
    console.print(f"事例イベント / incident events: {loaded.events} 件格納 / stored, "
                  f"主体 / principals: {loaded.principals}", highlight=False)

    sent = load_demo_questionnaires(engine, registry, current.clock)
    if sent.requests:
        console.print("質問票 / questionnaires: " + ", ".join(f"{v} (request {r})" for v, r in sent.requests.items()),
                      highlight=False, markup=False)

    evaluation = evaluate(engine, registry, current.clock, actor="demo")
    print_evaluation(console, evaluation)
    with session_scope(engine) as session:
        found = list_findings(session, status="open,acknowledged,risk_accepted")
        console.print(findings_table(found, registry.organization.timezone))
        console.print(risk_table(score_vendors(session, registry, current.clock)))
    console.print(
        f"次に / next: vendorwatch --database-url {database_url} findings --format json | finding show ID | "
        "campaign status | campaign review show REQUEST",
        highlight=False, markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo")(demo)
