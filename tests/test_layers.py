"""The layers contract of pyproject.toml holds on the real tree and catches a wrong-way import.

``lint-imports`` (import-linter) runs in CI beside ruff and mypy. These tests run it on a copy of the
project's Python files, with the project's own configuration, once as it is and once with one import
added against the flow, so the contract is shown to be able to fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vendorwatch", "connectors", "questionnaires", "dashboard", "scheduler", "tests", "benchmarks")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _python_files_only(folder: str, names: list[str]) -> set[str]:
    """What ``copytree`` leaves out: caches and every file that is not Python (import-linter reads only those)."""
    return {n for n in names if n == "__pycache__" or (not n.endswith(".py") and not (Path(folder) / n).is_dir())}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages' Python files and of pyproject.toml (where the contracts are)."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_python_files_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=where, capture_output=True, text=True, check=False,
                          timeout=120)


def test_the_project_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_the_copy_checked_below_keeps_them_too(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_check_importing_the_findings_breaks_the_layers(tree: Path) -> None:
    # Findings are built from checks: a check that imports them runs the flow backwards.
    (tree / "vendorwatch" / "checks" / "wrong_way.py").write_text("from vendorwatch.findings import evaluate\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "One-way layers" in result.stdout and "BROKEN" in result.stdout
    assert "vendorwatch.checks.wrong_way -> vendorwatch.findings" in result.stdout


def test_a_connector_importing_a_check_breaks_the_layers(tree: Path) -> None:
    # Checks and connectors are siblings that must not know each other: checks read only the database.
    (tree / "connectors" / "aws" / "wrong_way.py").write_text("import vendorwatch.checks.sql\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "connectors.aws.wrong_way -> vendorwatch.checks.sql" in result.stdout


@pytest.mark.parametrize("where", [("questionnaires", "wrong_way.py"), ("dashboard", "wrong_way.py"),
                                   ("vendorwatch", "views", "wrong_way.py")])
def test_a_module_below_the_cli_importing_the_portal_is_refused(tree: Path, where: tuple[str, ...]) -> None:
    # The portal is an entry point (web routes, sessions): the domain and the dashboard use what lies below it.
    tree.joinpath(*where).write_text("from questionnaires.portal import accounts\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "nothing below the CLI imports questionnaires.portal BROKEN" in " ".join(result.stdout.split())
    module = ".".join(where).removesuffix(".py")
    assert f"{module} -> questionnaires.portal.accounts" in result.stdout


def test_a_product_module_importing_the_tests_is_refused(tree: Path) -> None:
    (tree / "connectors" / "ldap" / "wrong_way.py").write_text("from tests.servers import slapd\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "No product module imports the tests or the benchmarks BROKEN" in " ".join(result.stdout.split())
    assert "connectors.ldap.wrong_way -> tests.servers.slapd" in result.stdout


@pytest.mark.parametrize(("line", "imported"), [
    ("from sqlmodel import Session, select\n", "sqlmodel"),
    ("import sqlalchemy.orm\n", "sqlalchemy"),
    ("from vendorwatch.db.tables import Finding\n", "vendorwatch.db.tables"),
    ("from vendorwatch.ingest.events import EventWriter\n", "vendorwatch.ingest.events"),
    ("from vendorwatch import audit\n", "vendorwatch.audit"),
    ("def later() -> None:\n    import sqlite3\n", "sqlite3"),
])
def test_a_page_script_with_sql_or_the_database_is_refused(tree: Path, line: str, imported: str) -> None:
    # Streamlit's page scripts are a package so that lint-imports reads them: a page reads through dashboard.data
    # and acts through dashboard.actions, never with a session or a table of its own.
    page = tree / "dashboard" / "app_pages" / "findings.py"
    page.write_text(line + page.read_text())
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "A dashboard page imports no SQL and no database, ingest, audit or connector module BROKEN" in " ".join(
        result.stdout.split())
    assert f"dashboard.app_pages.findings -> {imported} (l." in result.stdout


def test_what_a_page_reaches_through_the_dashboards_modules_is_allowed(tree: Path) -> None:
    # dashboard.data opens the sessions: a page importing it reaches sqlmodel indirectly, which the contract allows.
    (tree / "dashboard" / "app_pages" / "extra.py").write_text("from dashboard import actions, data\n")
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "line", "imported"), [
    ("request_routes", "from sqlmodel import select\n", "sqlmodel"),
    ("signin_routes", "from vendorwatch.db.tables import PortalAccount\n", "vendorwatch.db.tables"),
    ("request_page", "from sqlalchemy import text\n", "sqlalchemy"),
])
def test_a_portal_route_with_sql_or_the_database_is_refused(tree: Path, module: str, line: str,
                                                            imported: str) -> None:
    # A route is given its session by questionnaires.portal.web.context and acts through the portal's domain modules.
    route = tree / "questionnaires" / "portal" / "web" / f"{module}.py"
    route.write_text(line + route.read_text())
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "A portal route or page builder imports no SQL and no database, ingest, audit or connector module BROKEN" \
        in " ".join(result.stdout.split())
    assert f"questionnaires.portal.web.{module} -> {imported} (l." in result.stdout
