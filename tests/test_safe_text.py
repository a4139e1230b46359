"""Text from vendor systems, the registry and people is data: in every CLI output rich markup and emoji codes
stay literal, control characters, line breaks and bidi overrides are shown escaped (never reach the terminal or
forge a line), and what was typed is stored as given. An unexpected error is one line with exit 3."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.checks.world import BASE, ev, make_world
from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import Finding, FindingHistory
from vendorwatch.printable import printable

HOSTILE = "arn:aws:iam::111111111111:user/x[/]:100:[bold red]y"
RTL_NAME = "アクメ\u202eemca[bold]"
FORGED_REASON = "checked\n  2026-11-26 18:00 JST open → resolved (部長) approved"
ESCAPE_ACTOR = "\x1b[31mboss\x1b[0m"


@pytest.fixture
def hostile(tmp_path: Path, clock: FixedClock) -> dict[str, str]:
    """A database whose registry, events and findings carry markup, emoji codes and bidi overrides."""
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    engine = make_engine(url)
    upgrade(engine)
    document = copy.deepcopy(BASE)
    document["vendors"][0]["name"] = {"ja": RTL_NAME, "en": "Acme [red]:warning:[/]"}
    world = make_world(engine, clock, document)
    world.events(ev("h1", "2026-11-25 01:00", "GetObject", HOSTILE, user_agent="[link=http://x]ua[/link] :skull:"))
    engine.dispose()
    return {"VENDORWATCH_DATABASE_URL": url, "VENDORWATCH_ACTOR": "tester", "COLUMNS": "400"}


def _finding_id(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        finding = session.exec(select(Finding).where(Finding.subject == HOSTILE)).one()
    engine.dispose()
    assert finding.id is not None
    return finding.id


def _clean(result) -> None:
    assert "Traceback" not in result.stderr and "MarkupError" not in result.stderr, result.stderr
    for emoji in ("💯", "⚠", "💀"):
        assert emoji not in result.stdout + result.stderr


def test_markup_and_emoji_codes_from_a_log_are_printed_as_they_are(run_cli, hostile) -> None:
    evaluated = run_cli("evaluate", env=hostile)
    assert evaluated.exit_code == 0, evaluated.stderr
    finding_id = _finding_id(hostile["VENDORWATCH_DATABASE_URL"])
    for args in (["findings"], ["findings", "--wide"], ["findings", "--unmask"], ["finding", "show", str(finding_id)],
                 ["finding", "show", str(finding_id), "--unmask"], ["events", "--unmask"], ["vendors"], ["audit", "log"]):
        result = run_cli(*args, env=hostile)
        assert result.exit_code == 0, (args, result.stderr)
        _clean(result)
    shown = run_cli("finding", "show", str(finding_id), "--unmask", env=hostile).stdout
    assert "x[/]:100:[bold red]y" in shown and "[link=http://x]ua[/link] :skull:" in shown
    table = run_cli("findings", "--unmask", "--wide", env={**hostile, "COLUMNS": "1000"}).stdout
    assert "x[/]:100:[bold red]y" in table
    vendors = run_cli("vendors", env=hostile).stdout
    assert "アクメ\\u202eemca[bold]" in vendors and "\u202e" not in vendors and "Acme [red]:warning:[/]" in vendors


def test_newlines_and_escapes_in_reason_and_actor_are_stored_as_given_and_shown_escaped(run_cli, hostile) -> None:
    assert run_cli("evaluate", env=hostile).exit_code == 0
    finding_id = _finding_id(hostile["VENDORWATCH_DATABASE_URL"])
    resolved = run_cli("finding", "resolve", str(finding_id), "--reason", FORGED_REASON, "--actor", ESCAPE_ACTOR,
                       env=hostile)
    assert resolved.exit_code == 0, resolved.stderr
    engine = make_engine(hostile["VENDORWATCH_DATABASE_URL"])
    with Session(engine) as session:
        entry = session.exec(select(FindingHistory).where(FindingHistory.to_status == "resolved")).one()
    engine.dispose()
    assert (entry.reason, entry.actor) == (FORGED_REASON, ESCAPE_ACTOR)  # stored as given
    shown = run_cli("finding", "show", str(finding_id), env=hostile).stdout
    assert "\x1b" not in shown and "\\x1b[31mboss\\x1b[0m" in shown
    history = [line for line in shown.splitlines() if "→" in line]
    assert len(history) == 2  # detected, resolved: the reason's line break forged no third line
    assert "checked\\n  2026-11-26 18:00 JST open → resolved (部長) approved" in history[1]
    audit = run_cli("audit", "log", env=hostile).stdout
    assert "\x1b" not in audit


def test_a_line_reference_in_a_registry_error_is_not_an_emoji(run_cli, tmp_path: Path) -> None:
    text = CONTRACT_REGISTRY.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "tier: critical" in row)
    padded = "".join(f"# {n}\n" for n in range(100 - line)) + text.replace("tier: critical", "tier: urgent", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(padded, encoding="utf-8")
    result = run_cli("config", "check", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:100: vendors[0].tier" in result.stderr
    _clean(result)


def test_an_unexpected_error_is_one_line_with_exit_3(run_cli, hostile) -> None:
    engine = make_engine(hostile["VENDORWATCH_DATABASE_URL"])
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE finding_history")
    engine.dispose()
    result = run_cli("evaluate", env=hostile)
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "unexpected error" in result.stderr and "Traceback" not in result.stderr
    assert "[SQL:" not in result.stderr


@pytest.mark.parametrize("raw, shown", [("a\nb", "a\\nb"), ("\x1b[2J", "\\x1b[2J"), ("\u202egnp.exe", "\\u202egnp.exe"),
                                        ("tab\there", "tab\\there"), ("\u2066x\u2069", "\\u2066x\\u2069"),
                                        ("日本語 ok", "日本語 ok"), (None, "")])
def test_printable_escapes_what_could_deceive(raw: str | None, shown: str) -> None:
    assert printable(raw) == shown
