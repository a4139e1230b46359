"""How a hostile case is run: a folder with the registry, an initialized database, the real ``vendorwatch``
command in a process of its own (a hang is a timeout, a crash an exit code), and what was stored afterwards."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.hostile.world import REGISTRY
from vendorwatch.clock import FixedClock
from vendorwatch.registry.loader import validate_text
from vendorwatch.registry.sync import apply_import

TIMEOUT_SECONDS = 120  # far beyond any honest answer on a loaded machine: reaching it means the command hung
# ``vendorwatch ARGS`` run by a Python that reports its peak memory (resident set) on the way out: the high-water
# mark of its own address space (``VmHWM``). Not ``ru_maxrss``: Linux carries the forking process's peak over
# ``exec`` into it, so a child of a large test process would report the test's memory as its own.
# The top-level packages it imported are reported too (tests/test_cli_startup.py reads them).
_MEASURED = (
    "import atexit, sys\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        kb = next(line.split()[1] for line in status if line.startswith('VmHWM:'))\n"
    "    packages = ','.join(sorted({name.split('.')[0] for name in sys.modules}))\n"
    "    sys.stderr.write(f'\\npeak-rss-kb={kb} packages={packages}\\n')\n"
    "atexit.register(_peak)\n"
    "sys.argv = ['vendorwatch', *sys.argv[1:]]\n"
    "from vendorwatch.cli.app import main\n"
    "main()\n"
)
_PEAK = re.compile(r"\npeak-rss-kb=(\d+) packages=(\S*)\n")


@dataclass
class Workspace:
    """A folder, its registry and (unless the case needs none) an initialized database."""

    folder: Path
    url: str | None = None
    engine: Engine | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def registry(self) -> Path:
        """The registry file of this workspace."""
        return self.folder / "vendorwatch.yaml"

    def write(self, name: str, content: bytes | str) -> Path:
        """Write an input file into the folder."""
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    def sql(self, statement: str, **values: Any) -> None:
        """Run SQL against the database (what an attacker with the database's rights does)."""
        assert self.engine is not None
        with self.engine.begin() as connection:
            connection.execute(text(statement), values)

    def row(self, statement: str) -> Any:
        """One row read from the database."""
        assert self.engine is not None
        with self.engine.connect() as connection:
            return connection.execute(text(statement)).one()

    def scalar(self, statement: str) -> Any:
        """One value read from the database."""
        assert self.engine is not None
        with self.engine.connect() as connection:
            return connection.execute(text(statement)).scalar()


def prepare(folder: Path, url: str | None, clock: FixedClock) -> Workspace:
    """Write the registry and, with a URL, create the database and import the registry (as ``init`` does)."""
    from vendorwatch.db.engine import make_engine
    from vendorwatch.db.migrate import upgrade

    workspace = Workspace(folder)
    workspace.registry.write_text(REGISTRY, encoding="utf-8")
    if url is None:
        return workspace
    engine = make_engine(url)
    upgrade(engine)
    registry, problems = validate_text(REGISTRY)
    assert registry is not None, problems
    with Session(engine) as session:
        apply_import(session, registry, REGISTRY, path=str(workspace.registry), actor="test", clock=clock)
        session.commit()
    workspace.url, workspace.engine = url, engine
    return workspace


@dataclass
class Outcome:
    """What the command did."""

    exit_code: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    packages: frozenset[str] = frozenset()  # the top-level packages the process imported

    @property
    def output(self) -> str:
        """Both streams, as a person at the terminal reads them."""
        return self.stdout + self.stderr

    def json(self) -> Any:
        """The ``--json`` document the command printed."""
        return json.loads(self.stdout)


def run(workspace: Workspace, args: list[str]) -> Outcome:
    """Run ``vendorwatch ARGS`` in the workspace, with only its own settings in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    env["VENDORWATCH_CONFIG"] = str(workspace.registry)
    if workspace.url:
        env["VENDORWATCH_DATABASE_URL"] = workspace.url
    env |= workspace.env
    try:
        done = subprocess.run([sys.executable, "-c", _MEASURED, *args], cwd=workspace.folder, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"vendorwatch {' '.join(args)} still ran after {TIMEOUT_SECONDS} s (hung)") from None
    peak = _PEAK.search(done.stderr)
    stderr = _PEAK.sub("", done.stderr)
    return Outcome(done.returncode, done.stdout, stderr, int(peak.group(1)) / 1024 if peak else 0.0,
                   frozenset(peak.group(2).split(",")) if peak else frozenset())


Maker = Callable[[Workspace], list[str]]
