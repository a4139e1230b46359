"""``vendorwatch`` run in the test's own process: the same entry point (``vendorwatch.cli.app.main``) as the
installed command, without a new interpreter per call (seconds each on a loaded machine).

Use the ``cli`` fixture like ``run_cli``: ``cli("findings", "--format", "json", env={...})`` gives a
``CliResult``. Each call starts from an environment without ``VENDORWATCH_*`` and ``COLUMNS`` (as ``run_cli``
does), in the test's ``tmp_path``. Keep a few ``run_cli`` tests for what only a real process shows.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult
from vendorwatch.settings import get_settings

Cli = Callable[..., CliResult]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Iterator[Cli]:
    """Run ``vendorwatch`` in this process, in ``tmp_path``."""
    from vendorwatch.cli.app import main

    monkeypatch.chdir(tmp_path)
    capsys.readouterr()

    def run(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> CliResult:
        for name in [n for n in os.environ if n.startswith("VENDORWATCH_") or n == "COLUMNS"]:
            monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        monkeypatch.setattr(sys, "argv", ["vendorwatch", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    yield run
    get_settings.cache_clear()
