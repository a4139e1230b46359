"""``vendorwatch demo``: a demo database with the example registry, real recordings and realistic incidents,
evaluated, with the findings and risk they give."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import Clock
from vendorwatch.demo import DEMO_DATABASE_URL
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEMO_MANAGER = "demo-manager"


def _demo_manager(engine: Engine, clock: Clock) -> str:
    """The demo's manager account, with a new random password every run (printed, never stored in clear)."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts
    from vendorwatch.staff.roles import Role

    password = secrets.token_urlsafe(12)
    with session_scope(engine) as session:
        if accounts.find_user(session, DEMO_MANAGER) is None:
            accounts.add_user(session, name=DEMO_MANAGER, role=Role.MANAGER, password=password,
                              display_name="デモ 管理担当 / Demo manager", actor="demo", clock=clock)
        else:
            accounts.reset_password(session, DEMO_MANAGER, password, actor="demo", clock=clock)
            accounts.set_disabled(session, DEMO_MANAGER, disabled=False, actor="demo", clock=clock)
    return password


def demo(
    database_url: Annotated[
        str, typer.Option("--demo-database-url", help="デモの書込み先（本番のデータベースは使いません） / "
                                                      "where the demo writes (never your real database)")
    ] = DEMO_DATABASE_URL,
    serve: Annotated[bool, typer.Option("--serve/--no-serve",
                                        help="then serve the dashboard until Ctrl-C / ダッシュボードを起動")] = False,
    host: Annotated[str, typer.Option("--host", help="ダッシュボードのアドレス（--serve と併用） / "
                                                     "dashboard address (with --serve)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="ダッシュボードのポート（--serve と併用） / "
                                                                       "dashboard port (with --serve)")] = 8501,
) -> None:
    """デモ: 例示台帳・実データ・事例を取込み評価 / Demo: example registry, real recordings, incidents, findings."""
    from questionnaires.demo import load_demo_questionnaires
    from vendorwatch.cli.findings_view import findings_table, print_evaluation, risk_table
    from vendorwatch.cli.registry_view import print_plan, print_registry
    from vendorwatch.db.engine import make_engine, session_scope
    from vendorwatch.db.migrate import upgrade
    from vendorwatch.demo import DEMO_REGISTRY
    from vendorwatch.demo.load import load_demo
    from vendorwatch.findings.evaluate import evaluate
    from vendorwatch.findings.query import list_findings
    from vendorwatch.registry.loader import load_registry
    from vendorwatch.registry.sync import apply_import
    from vendorwatch.scoring.risk import score_vendors

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
    if not serve:
        console.print(
            f"次に / next: vendorwatch --database-url {database_url} findings --format json | finding show ID | "
            "campaign status | campaign review show REQUEST",
            highlight=False, markup=False,
        )
        return
    from dashboard.server import check_port_free, dashboard_url
    from dashboard.server import serve as serve_dashboard

    check_port_free(host, port)
    password = _demo_manager(engine, current.clock)
    console.rule("ダッシュボード / dashboard")
    console.print(f"URL: {dashboard_url(host, port)}", highlight=False, markup=False)
    console.print(f"サインイン / sign in: {DEMO_MANAGER} / {password}  (委託先管理担当 / vendor manager)",
                  highlight=False, markup=False)
    console.print("Ctrl-C で終了 / Ctrl-C to stop", highlight=False, markup=False)
    engine.dispose()
    serve_dashboard(database_url, host=host, port=port, debug=current.debug)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo")(demo)
