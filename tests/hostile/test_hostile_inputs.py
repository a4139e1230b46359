"""Every hostile input of ``cases.py`` against the real command: the exit code, what is said (and never said),
and what the database holds afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _fresh_postgres_database
from tests.hostile.cases import CASES, Case
from tests.hostile.harness import Workspace, prepare, run
from vendorwatch.clock import FixedClock

PARAMS = [pytest.param(case, db, id=f"{case.id}-{db}" if len(case.databases) > 1 else case.id)
          for case in CASES for db in case.databases]


@pytest.fixture
def workspace(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Workspace]:
    case, db = request.node.callspec.params["case"], request.node.callspec.params["db"]
    if not case.database:
        yield prepare(tmp_path, None, clock)
        return
    if db == "sqlite":
        prepared = prepare(tmp_path, f"sqlite:///{tmp_path / 'vendorwatch.db'}", clock)
        yield prepared
    else:
        for url in _fresh_postgres_database(request.getfixturevalue("postgres_server")):
            prepared = prepare(tmp_path, url, clock)
            yield prepared
    assert prepared.engine is not None
    prepared.engine.dispose()


@pytest.mark.parametrize(("case", "db"), PARAMS)
def test_hostile_input(case: Case, db: str, workspace: Workspace) -> None:
    args = case.make(workspace)
    outcome = run(workspace, args)
    assert outcome.exit_code == case.exit_code, outcome.output
    for fragment in case.says:
        assert fragment in outcome.output, outcome.output
    for fragment in case.never_says:
        assert fragment not in outcome.output, outcome.output
    if case.json is not None:
        case.json(outcome.json())
    for statement, expected in case.stored.items():
        assert workspace.scalar(statement) == expected, statement
    if case.max_rss_mb is not None:  # the whole process, its imports included (harness.py says how it is read)
        assert 0 < outcome.peak_rss_mb <= case.max_rss_mb, outcome.peak_rss_mb
    if case.after is not None:
        case.after(workspace)
