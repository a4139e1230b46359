"""Exit codes a scheduler or CI can rely on: a typo in a filter is a usage error (2) naming the valid values,
never an empty list that lets ``--fail-on`` pass; a bad database URL is 2 with the reason; a SQLite file is
created where asked or not at all; ``--version``, ``-h``; global options before or after the subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DEMO_REGISTRY


@pytest.fixture
def initialized(run_cli, tmp_path: Path) -> dict[str, str]:
    env = {"VENDORWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'vw.db'}"}
    assert run_cli("init", "--config", str(DEMO_REGISTRY), env=env).exit_code == 0
    return env


@pytest.mark.parametrize("args, valid", [
    (["findings", "--vendor", "tradesis"], "tradesys"),
    (["findings", "--control", "3.2.9"], "3.2.4"),
    (["findings", "--check", "identity.not_on_rooster"], "identity.not_on_roster"),
    (["findings", "--status", "opne"], "acknowledged"),
    (["findings", "--status", "open,closed"], "risk_accepted"),
    (["findings", "--vendor", "tradesis", "--fail-on", "high"], "tradesys"),
    (["events", "--vendor", "nobody"], "callcentre"),
    (["evaluate", "--check", "no.such.check"], "3.2.1"),
    (["campaign", "status", "--vendor", "nobody"], "tradesys"),
    (["evidence", "list", "--vendor", "nobody"], "tradesys"),
])
def test_an_unknown_filter_value_is_a_usage_error_listing_the_valid_ones(run_cli, initialized, args, valid) -> None:
    result = run_cli(*args, env=initialized)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert valid in result.stderr and "valid values" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url, reason", [
    ("nonsense", "not a valid database URL"),
    ("mysql://u@h/db", "cannot use the database URL"),
    ("postgresql+psycopg://vw:s3cret@127.0.0.1:1/db", "cannot connect to the database"),
])
def test_a_bad_database_url_is_exit_2_with_the_reason(run_cli, url: str, reason: str) -> None:
    result = run_cli("findings", "--database-url", url)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_a_sqlite_file_in_a_missing_folder_is_an_error_not_a_new_database(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "vw.db"
    result = run_cli("init", "--config", str(DEMO_REGISTRY), "--database-url", f"sqlite:///{missing}")
    assert result.exit_code == 2 and "does not exist" in result.stderr, result.stderr
    assert not missing.parent.exists()


def test_version_and_short_help(run_cli) -> None:
    version = run_cli("--version")
    assert version.exit_code == 0 and version.stdout.startswith("vendorwatch ")
    for args in (["-h"], ["findings", "-h"], ["finding", "show", "-h"]):
        shown = run_cli(*args)
        assert shown.exit_code == 0 and "Usage" in shown.stdout, (args, shown.stderr)


def test_global_options_are_accepted_after_the_subcommand(run_cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'after.db'}"
    assert run_cli("init", "--database-url", url, "--config", str(DEMO_REGISTRY)).exit_code == 0
    listed = run_cli("findings", "--database-url", url, "--format", "json")
    assert listed.exit_code == 0 and listed.stdout.strip() == "[]", listed.stderr
    before = run_cli("--database-url", url, "--config", str(DEMO_REGISTRY), "config", "check")
    assert before.exit_code == 0, before.stderr
    assert run_cli("vendors", f"--database-url={url}").exit_code == 0


@pytest.mark.parametrize("finding_id", [str(2**63), str(2**64), "0", "-1"])
def test_a_finding_id_beyond_64_bits_is_a_usage_error(run_cli, initialized, finding_id: str) -> None:
    for args in (["finding", "show", finding_id], ["finding", "ack", finding_id], ["events", "--finding", finding_id]):
        result = run_cli(*args, env=initialized)
        assert result.exit_code == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr and "Overflow" not in result.stderr
