"""One Japanese word per concept, Japanese first, both languages in every option's help."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from tests.checks.world import MALLORY, ev, make_world
from tests.conftest import ROOT
from vendorwatch.clock import FixedClock
from vendorwatch.findings import triage
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import history, list_findings

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TYPER_OWN = {"--install-completion", "--show-completion"}


def _options(command, path=()):
    for name, sub in getattr(command, "commands", {}).items():
        yield from _options(sub, (*path, name))
    for param in command.params:
        if type(param).__name__ == "TyperOption" and not param.hidden and param.opts[0] not in TYPER_OWN:
            yield " ".join(path), param.opts[0], param.help or ""


def test_every_option_is_explained_in_japanese_and_english() -> None:
    import typer

    from vendorwatch.cli.app import app

    unexplained = [(c, o, h) for c, o, h in _options(typer.main.get_command(app))
                   if not JAPANESE.search(h) or not re.search("[A-Za-z]{3}", h)]
    assert not unexplained


def _texts() -> list[Path]:
    return [*(ROOT / "vendorwatch").rglob("*.py"), *(ROOT / "vendorwatch").rglob("*.yaml"), *(ROOT / "docs").glob("*.md"),
            ROOT / "README.md"]


def test_transfer_is_always_iso_in_japanese() -> None:
    """移送, as the registry says it; the guideline's own text (quoted verbatim) keeps its 転送."""
    stray = []
    for path in _texts():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            quoted = line.lstrip().startswith((">", "ja: 外部委託先に設置する"))
            if "転送" in line and not quoted and "転送されます" not in line:  # dashboard.md: a forwarded cookie
                stray.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not stray


def test_no_space_between_a_japanese_word_and_its_particle() -> None:
    pattern = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff）」] +[はがをにで](?=[\u3040-\u30ff\u4e00-\u9fff])|"
                         r"name\.ja\} +[はがをにでの]")
    stray = [f"{p.relative_to(ROOT)}:{n}" for p in _texts()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if pattern.search(line)]
    assert not stray


def test_history_lines_are_japanese_first(sqlite_engine: Engine, clock: FixedClock) -> None:
    world = make_world(sqlite_engine, clock)
    world.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY))
    evaluate(sqlite_engine, world.registry, clock, only=["identity.not_on_roster"])
    with Session(sqlite_engine) as session:
        finding_id = list_findings(session)[0].id or 0
        triage.acknowledge(session, finding_id, actor="yamada", reason=None, clock=clock)
        session.commit()
        reasons = [h.reason or "" for h in history(session, finding_id)]
    assert reasons == ["検出 / detected", "確認 / acknowledged"]
