"""A first-time user's path through the CLI: check the file, init, look at the registry, init again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.db.engine import make_engine
from vendorwatch.db.tables import AuditEntry


def test_first_run_in_an_empty_folder(run_cli, tmp_path: Path) -> None:
    shutil.copy(CONTRACT_REGISTRY, tmp_path / "vendorwatch.yaml")

    checked = run_cli("config", "check")
    assert checked.exit_code == 0, checked.stderr

    dry = run_cli("init", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "nothing written" in dry.stdout
    assert not (tmp_path / "vendorwatch.db").exists()

    first = run_cli("init", "--actor", "hanako.sato")
    assert first.exit_code == 0, first.stderr
    assert "imported the registry" in first.stdout
    assert "vendors 3" in first.stdout
    assert (tmp_path / "vendorwatch.db").exists()

    again = run_cli("init")
    assert again.exit_code == 0, again.stderr
    assert "the registry is unchanged" in again.stdout

    shown = run_cli("vendors")
    assert shown.exit_code == 0, shown.stderr
    assert "asys 株式会社エーシステム / A-System Co., Ltd." in shown.stdout
    assert "opsmon" in shown.stdout and "監視ソースなし / no monitoring source" in shown.stdout
    assert "h***@asys.example" in shown.stdout and "hanako.sato@asys.example" not in shown.stdout

    engine = make_engine(f"sqlite:///{tmp_path / 'vendorwatch.db'}")
    with Session(engine) as session:
        first_entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).first()
    assert first_entry is not None and first_entry.actor == "hanako.sato"
    assert first_entry.action == "registry.import"


def test_commands_need_an_initialized_database(run_cli) -> None:
    result = run_cli("vendors")
    assert result.exit_code == 2
    assert "run `vendorwatch init` first" in result.stderr


def test_demo_imports_the_example_registry_and_prints_it(run_cli, tmp_path: Path) -> None:
    result = run_cli("demo")
    assert result.exit_code == 0, result.stderr
    assert "tradesys" in result.stdout and "opswatch" in result.stdout and "callcentre" in result.stdout
    assert (tmp_path / "vendorwatch-demo.db").exists()
    assert not (tmp_path / "vendorwatch.db").exists()  # never the user's own database


def test_a_part_not_built_yet_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from vendorwatch.cli import pending
    from vendorwatch.errors import NotBuiltError

    monkeypatch.setitem(pending.PENDING, "teleport", ("転送装置", "the teleporter"))
    app = typer.Typer()
    app.command("init")(lambda: None)
    pending.register(app)
    result = CliRunner().invoke(app, ["teleport", "--now"])
    assert isinstance(result.exception, NotBuiltError)  # the CLI's main() renders it once, exit 2
    assert "is not built yet" in result.exception.message.en and "まだ実装されていません" in result.exception.message.ja


def test_unknown_command_is_a_usage_error(run_cli) -> None:
    assert run_cli("frobnicate").exit_code == 2


def test_an_unknown_source_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    shutil.copy(CONTRACT_REGISTRY, tmp_path / "vendorwatch.yaml")
    assert run_cli("init").exit_code == 0
    for args in (("collect", "asys-aws-test"), ("import", "cloudtrail", str(tmp_path), "--source", "asys-aws-test"),
                 ("import", "slapd-log", str(tmp_path), "--source", "asys-aws-test")):
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert "source asys-aws-test is not in the registry" in result.stderr
        assert "asys-aws-prod, asys-aws-dev, asys-ldap" in result.stderr
