"""The findings table fits the terminal (COLUMNS, one line per finding, --wide, --limit) and a risk acceptance
has a bounded expiry in the future, shown in Tokyo time in the table, in show and in CSV."""

from __future__ import annotations

import copy
import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlmodel import Session, select

from tests.checks.world import BASE, MALLORY, ev, make_world
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import Finding

LONG = MALLORY + "-with-a-very-long-name-that-would-wrap-the-row-over-several-lines-of-the-table"


@pytest.fixture
def listed(tmp_path: Path, clock: FixedClock) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'vw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    document = copy.deepcopy(BASE)
    document["organization"]["max_risk_acceptance_days"] = 90
    world = make_world(engine, clock, document)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    world.events(ev("m1", f"{yesterday} 01:00", "DescribeInstances", MALLORY),
                 ev("m2", f"{yesterday} 01:05", "DescribeInstances", LONG))
    engine.dispose()
    return {"VENDORWATCH_DATABASE_URL": url, "VENDORWATCH_ACTOR": "yamada"}


def _ids(env: dict[str, str]) -> list[int]:
    engine = make_engine(env["VENDORWATCH_DATABASE_URL"])
    with Session(engine) as session:
        found = [f.id or 0 for f in session.exec(select(Finding).where(Finding.check_id == "identity.not_on_roster"))]
    engine.dispose()
    return sorted(found)


def test_the_table_fits_the_terminal_one_line_per_finding(run_cli, listed) -> None:
    env = listed
    assert run_cli("evaluate", env=env).exit_code == 0
    count = len(run_cli("findings", "--format", "json", env=env).stdout.split('"check"')) - 1
    for columns in ("100", "160"):
        table = run_cli("findings", env={**env, "COLUMNS": columns})
        assert table.exit_code == 0, table.stderr
        lines = table.stdout.splitlines()
        assert all(cell_len(line) <= int(columns) for line in lines), lines
        rows = [line for line in lines if line.startswith("│")]
        assert len(rows) == count  # one line per finding, however long its subject
    wide = run_cli("findings", "--wide", env={**env, "COLUMNS": "160"}).stdout
    assert "not on the roster" in wide or "名簿" in wide
    limited = run_cli("findings", "--limit", "1", env={**env, "COLUMNS": "160"})
    assert len([line for line in limited.stdout.splitlines() if line.startswith("│")]) == 1
    assert f"{count} 件中 1 件" in limited.stdout


def test_an_acceptance_expiry_is_in_the_future_bounded_and_shown_in_tokyo_time(run_cli, listed) -> None:
    env = listed
    assert run_cli("evaluate", env=env).exit_code == 0
    target = _ids(env)[0]
    past = run_cli("finding", "accept", str(target), "--reason", "r", "--until",
                   (date.today() - timedelta(days=1)).isoformat(), env=env)
    assert past.exit_code == 2 and "in the past" in past.stderr
    too_far = run_cli("finding", "accept", str(target), "--reason", "r", "--until",
                      (date.today() + timedelta(days=120)).isoformat(), env=env)
    assert too_far.exit_code == 2 and "at most 90 days" in too_far.stderr  # the registry's bound
    until = (date.today() + timedelta(days=60)).isoformat()
    accepted = run_cli("finding", "accept", str(target), "--reason", "contractor onboarding", "--until", until,
                       env=env)
    assert accepted.exit_code == 0, accepted.stderr
    assert f"{until} 23:59 JST" in accepted.stdout
    table = run_cli("findings", env={**env, "COLUMNS": "200"}).stdout
    assert f"〜{until}" in table
    assert f"〜{until} 23:59 JST" in run_cli("findings", "--wide", env={**env, "COLUMNS": "250"}).stdout
    shown = run_cli("finding", "show", str(target), env=env).stdout
    assert f"受容期限 / accepted until: {until} 23:59 JST" in shown
    rows = list(csv.DictReader(io.StringIO(run_cli("findings", "--format", "csv", env=env).stdout.lstrip("\ufeff"))))
    accepted_row = next(r for r in rows if r["id"] == str(target))
    assert accepted_row["accepted_until (Asia/Tokyo)"] == f"{until} 23:59:59"
    assert accepted_row["remediation_ja"] and accepted_row["remediation_en"]
