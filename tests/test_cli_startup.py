"""The CLI's start-up (issue #14): commands register with their typer declarations only and import what they need
when they run, so ``--help`` and ``--version`` load no database, and each command only its own part of the product.

Memory is measured, never time: the real ``vendorwatch`` in a process of its own (``tests/hostile/harness.py``),
its peak resident set and the top-level packages it imported. docs/performance.md ("CLI start-up") has the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from questionnaires.definition import DOCUMENT_KINDS
from tests.hostile.cases import ct_record, delivery
from tests.hostile.harness import Workspace, prepare, run
from vendorwatch.cli.evidence_cmd import KIND_NAMES
from vendorwatch.clock import FixedClock

# What only some commands need: the database and its migrations, the other connectors, the reports, the web parts.
DATABASE = {"sqlalchemy", "sqlmodel", "alembic", "psycopg"}
OTHER_PARTS = {"boto3", "botocore", "ldap3", "apscheduler", "openpyxl", "matplotlib", "weasyprint", "jinja2",
               "streamlit", "fastapi", "uvicorn", "argon2", "questionnaires", "scheduler", "dashboard"}
START_UP_MB = 50  # --help and --version: Python, typer, rich and pydantic (107 MB before)


@pytest.fixture
def workspace(tmp_path: Path, clock: FixedClock) -> Workspace:
    prepared = prepare(tmp_path, f"sqlite:///{tmp_path / 'vendorwatch.db'}", clock)
    prepared.write("trail/a.json.gz", delivery([ct_record(1)]))
    return prepared


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["import", "--help"], ["import", "cloudtrail", "--help"]])
def test_help_and_version_load_no_database_and_no_command(workspace: Workspace, args: list[str]) -> None:
    outcome = run(workspace, args)
    assert outcome.exit_code == 0, outcome.output
    assert outcome.packages, outcome.output
    assert not outcome.packages & (DATABASE | OTHER_PARTS | {"connectors"}), outcome.packages & (DATABASE | OTHER_PARTS)
    assert 0 < outcome.peak_rss_mb <= START_UP_MB, outcome.peak_rss_mb


def test_an_import_loads_only_what_an_import_needs(workspace: Workspace) -> None:
    outcome = run(workspace, ["import", "cloudtrail", str(workspace.folder / "trail"), "--source", "acme-files",
                              "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.json()["stored"] == 1
    assert {"sqlalchemy", "connectors"} <= outcome.packages
    assert not outcome.packages & OTHER_PARTS, outcome.packages & OTHER_PARTS
    assert "psycopg" not in outcome.packages  # the PostgreSQL driver, on SQLite (10 MB)


@pytest.mark.parametrize("args", [["findings"], ["vendors"], ["status", "--json"]])
def test_reading_commands_load_no_connector_and_no_report(workspace: Workspace, args: list[str]) -> None:
    outcome = run(workspace, args)
    assert "Traceback" not in outcome.output and outcome.packages, outcome.output
    assert not outcome.packages & (OTHER_PARTS | {"connectors"}), outcome.packages & (OTHER_PARTS | {"connectors"})
    assert "psycopg" not in outcome.packages  # the database is SQLite


def test_the_document_kinds_in_the_help_are_the_questionnaires_own() -> None:
    assert list(KIND_NAMES) == list(DOCUMENT_KINDS)
