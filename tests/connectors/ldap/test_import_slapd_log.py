"""``vendorwatch import slapd-log``: the real slapd's stats log, shipped as files, imported through the CLI."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.connectors.ldap.conftest import PASSWORD_ENV, Traffic, registry_text
from tests.servers.slapd import MAX_FAILURE, SlapdServer, free_port
from vendorwatch.db.engine import make_engine
from vendorwatch.db.tables import AccessEvent, CollectionRun

pytestmark = pytest.mark.slapd


def _events(engine: Engine) -> list[AccessEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AccessEvent).where(AccessEvent.source_id == "dirco-files")))


def test_import_of_shipped_stats_logs_gives_binds_with_client_ips(
    database_url: str, run_cli: Any, tmp_path: Path, slapd_server: SlapdServer, traffic: Traffic,
) -> None:
    config = tmp_path / "vendorwatch.yaml"
    config.write_text(registry_text(slapd_server, free_port()), encoding="utf-8")
    env = {"VENDORWATCH_DATABASE_URL": database_url}
    assert run_cli("init", "--config", str(config), env=env).exit_code == 0

    # The vendor ships yesterday's log rotated and gzipped, and today's with a damaged line in it.
    lines = slapd_server.stats_log.read_bytes().splitlines(keepends=True)
    accept = next(i for i, line in enumerate(lines) if b"IP=127.0.0.5" in line)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    older = shipped / "slapd.log.1.gz"
    with gzip.open(older, "wb") as stream:
        stream.write(b"".join(lines[: accept + 1]))  # ends right after the bad client's ACCEPT
    newer = shipped / "slapd.log"
    newer.write_bytes(b"".join(lines[accept + 1:]) + b"6b07e139.0 0x1 conn=9x9 op=0 BIND dn=\"x\" method=128\n")
    os.utime(older, (1_700_000_000, 1_700_000_000))

    result = run_cli("import", "slapd-log", str(shipped), "--source", "dirco-files", "--json", env=env)
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["files"] == 2 and figures["garbled"] == 1 and figures["status"] == "partial"
    assert figures["stored"] == figures["binds"] > MAX_FAILURE

    engine = make_engine(database_url)
    try:
        events = _events(engine)
        locked = [e for e in events if e.principal == traffic.locked_dn]
        # The connection opened in the older file still gives the binds in the newer one their IP.
        assert len(locked) == MAX_FAILURE + 2
        assert {(e.outcome, e.source_ip) for e in locked} == {("failure", traffic.bad_ip)}
        assert {e.source_ip for e in events if e.principal in traffic.good_dns} == {"127.0.0.1"}
        with Session(engine) as session:
            run = session.exec(select(CollectionRun).where(CollectionRun.source_id == "dirco-files")).one()
        assert run.kind == "import" and any("conn=9x9" in e["reason"] for e in run.errors)

        again = run_cli("import", "slapd-log", str(shipped), "--source", "dirco-files", "--json", env=env)
        assert json.loads(again.stdout)["stored"] == 0  # idempotent
        assert len(_events(engine)) == len(events)
    finally:
        engine.dispose()


def test_import_of_an_unknown_source_is_a_usage_error(database_url: str, run_cli: Any, tmp_path: Path,
                                                       slapd_server: SlapdServer) -> None:
    config = tmp_path / "vendorwatch.yaml"
    config.write_text(registry_text(slapd_server, free_port()), encoding="utf-8")
    env = {"VENDORWATCH_DATABASE_URL": database_url}
    assert run_cli("init", "--config", str(config), env=env).exit_code == 0
    result = run_cli("import", "slapd-log", str(slapd_server.stats_log), "--source", "nope", env=env)
    assert result.exit_code == 2
    assert "nope" in result.stderr + result.stdout


def test_vendorwatch_collect_runs_the_ldap_connector(database_url: str, run_cli: Any, tmp_path: Path,
                                                     slapd_server: SlapdServer) -> None:
    config = tmp_path / "vendorwatch.yaml"
    config.write_text(registry_text(slapd_server, free_port()), encoding="utf-8")
    env = {"VENDORWATCH_DATABASE_URL": database_url, PASSWORD_ENV: slapd_server.service_password}
    assert run_cli("init", "--config", str(config), env=env).exit_code == 0
    ok = run_cli("collect", "dirco-ldap", env=env)
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert "success" in ok.stdout and "principals" in ok.stdout
    down = run_cli("collect", "dirco-down", env=env)
    assert down.exit_code == 1
    assert "cannot be reached" in down.stdout and "サーバーに接続できません" in down.stdout
