"""Shared fixtures: databases (SQLite and a real PostgreSQL), the registry contract, a fixed clock, the CLI.

Servers are real: PostgreSQL must be reachable (the README test command starts it when it is installed but
down); tests never skip for a missing server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.servers.postgres import fresh_database
from tests.servers.smtp import PASSWORD as SMTP_PASSWORD
from tests.servers.smtp import SmtpServer, start_smtp_server
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade

# Fixtures defined beside what they start or build, available to every test without an import:
# moto's AWS server, a real slapd, and the check tests' small world.
# the servers, the check world, and the ``cli`` fixture (vendorwatch run in the test's process)
pytest_plugins = ["tests.servers.moto_server", "tests.servers.slapd", "tests.checks.world", "tests.inprocess"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CONTRACT_REGISTRY = SHARED / "examples" / "vendorwatch.yaml"
DEMO_REGISTRY = ROOT / "docs" / "examples" / "vendorwatch.yaml"
DATASETS = SHARED / "datasets"
POSTGRES_URL = os.environ.get(
    "VENDORWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the PostgreSQL server; fails (never skips) when it cannot be reached."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - a broken machine, not a test outcome
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    finally:
        engine.dispose()
    return POSTGRES_URL


def _fresh_postgres_database(admin_url: str) -> Iterator[str]:
    return fresh_database(admin_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, then a new PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vendorwatch.db'}"
    else:
        admin_url = request.getfixturevalue("postgres_server")
        yield from _fresh_postgres_database(admin_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file (for tests that are not about storage)."""
    return f"sqlite:///{tmp_path / 'vendorwatch.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on each database kind."""
    created = make_engine(database_url)
    upgrade(created)
    yield created
    created.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite engine."""
    created = make_engine(sqlite_url)
    upgrade(created)
    yield created
    created.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2026-11-26 09:00 UTC (18:00 in Tokyo)."""
    return FixedClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@dataclass
class CliResult:
    """What a ``vendorwatch`` process did."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path) -> object:
    """Run the installed ``vendorwatch`` command in a clean environment, in ``tmp_path``."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> CliResult:
        # COLUMNS too: pytest's workers may set it, and the CLI's tables follow it (as a terminal's width)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_") and k != "COLUMNS"}
        clean |= env or {}
        completed = subprocess.run(
            [sys.executable, "-m", "vendorwatch", *args],
            cwd=cwd or tmp_path,
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def smtp_server(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) with STARTTLS and sign-in; its password is in VW_TEST_SMTP_PASSWORD."""
    server = start_smtp_server(tmp_path_factory.mktemp("smtp"))
    monkeypatch.setenv("VW_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    yield server
    server.stop()
