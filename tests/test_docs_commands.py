"""The commands the documentation tells people to run, run in order against a fresh database.

Concrete sequences (docs/dataset-findings.md, docs/controls.md, docs/registry.md, docs/digest.md) run as written,
with only what cannot be fixed in a document substituted (a finding id, a date that must lie in the future, an
output folder). The README's "Using it" block is a synopsis (``table|json``, ``[--vendor V]``, ``PATH``): every
line of it is mapped here to the concrete commands it stands for, so a line added to the README without its
commands fails this test. Lines that need a vendor's live system or a person at a terminal are listed with why
(each is exercised against a real peer elsewhere in the suite).

Commands run in this process (``vendorwatch.cli.app.main``): the same code as the installed command, without
the start-up cost of 60 processes.
"""

from __future__ import annotations

import io
import re
import shlex
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import DEMO_REGISTRY, ROOT
from vendorwatch.settings import get_settings

SHARED = ROOT.parent / "shared"
STRATUS = SHARED / "datasets" / "invictus-aws_dataset-stratus-2023-07-10.cloudtrail.json.gz"
QUESTIONNAIRE = ROOT / "questionnaires" / "library" / "jsda-iv32-baseline.yaml"
STATS_LOG = """\
6b07e139.3298a8ac 0x7fb7a2dfc6c0 conn=1006 fd=18 ACCEPT from IP=10.1.2.3:46151 (IP=0.0.0.0:636)
6b07e139.355048f3 0x7fb7a2dfc6c0 conn=1006 op=0 BIND dn="uid=alice,ou=people,dc=tradesys,dc=example" method=128
6b07e139.35633664 0x7fb7a2dfc6c0 conn=1006 op=0 RESULT tag=97 err=49 qtime=0.000039 etime=0.001307 text=
"""
FUTURE = (date.today() + timedelta(days=60)).isoformat()
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
# README lines that need a live vendor system or a foreground server, and where the suite runs them instead.
NOT_HERE = {
    "vendorwatch collect [SOURCE]": "reads vendors' AWS accounts and directories: tests/connectors (moto, slapd)",
    "vendorwatch dashboard [--host 127.0.0.1] [--port 8501]": "serves until Ctrl-C: tests/dashboard start it",
    "vendorwatch campaign review show|return|accept|reopen REQUEST": "needs submitted answers: tests/questionnaires",
    "vendorwatch campaign export|import REQUEST": "the workbook round trip: tests/questionnaires",
    "vendorwatch evidence add|list": "a certificate file: tests/questionnaires (list runs below)",
    "vendorwatch portal invite CONTACT | --vendor V": "sends the enrolment e-mail: tests/portal (aiosmtpd)",
    "vendorwatch portal [--host 127.0.0.1] [--port 8600] [--tls-cert F --tls-key F]":
        "serves until Ctrl-C: tests/portal start it",
    "vendorwatch portal accounts|disable|enable": "needs an enrolled contact: tests/portal",
    "vendorwatch evidence get FILE --out DIR": "needs an uploaded file: tests/portal",
}


class Cli:
    """Runs ``vendorwatch`` commands in order, in this process, and keeps what they printed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp: Path) -> None:
        self.monkeypatch, self.capsys, self.tmp = monkeypatch, capsys, tmp
        self.log: list[str] = []

    def __call__(self, args: list[str], *, expect: tuple[int, ...] = (0,), stdin: str = "") -> str:
        from vendorwatch.cli.app import main

        get_settings.cache_clear()
        self.monkeypatch.setattr(sys, "argv", ["vendorwatch", *args])
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
        out = self.capsys.readouterr()
        self.log.append(f"$ vendorwatch {shlex.join(args)} -> {code}")
        assert code in expect, f"vendorwatch {shlex.join(args)} exited {code}\n{out.out[-2000:]}\n{out.err[-2000:]}"
        assert "Traceback" not in out.err
        return out.out


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    for name in [n for n in __import__("os").environ if n.startswith("VENDORWATCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("VENDORWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'docs.db'}")
    monkeypatch.setenv("VENDORWATCH_ACTOR", "docs-reader")
    monkeypatch.setenv("VENDORWATCH_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(ROOT)  # the documents' paths are relative to the project
    yield Cli(monkeypatch, capsys, tmp_path)
    get_settings.cache_clear()


def shell_lines(path: Path, *, section: str | None = None) -> list[str]:
    """The ``vendorwatch`` lines of a document's ```sh blocks (of one section), comments removed."""
    text = path.read_text(encoding="utf-8")
    if section is not None:
        text = text.split(section, 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            command = re.split(r"\s{2,}#|\s#\s", line)[0].strip()
            if command.startswith("vendorwatch ") or "| vendorwatch " in command:
                lines.append(command)
    return lines


def _first_finding(cli: Cli) -> str:
    import json

    found = json.loads(cli(["findings", "--format", "json"]))
    return str(next(f["id"] for f in found if f["status"] == "open"))


def test_the_dataset_walkthrough_and_the_triage_commands_run_as_documented(cli: Cli) -> None:
    walkthrough = shell_lines(ROOT / "docs" / "dataset-findings.md")
    assert walkthrough[0].startswith("vendorwatch init")
    for line in walkthrough:
        cli(shlex.split(line)[1:])
    finding = _first_finding(cli)
    for line in shell_lines(ROOT / "docs" / "controls.md"):
        args = shlex.split(line)[1:]
        if "|" in args:  # "--format json | csv | ocsf": one run per format
            for value in [a for a in args[args.index("--format") + 1:] if a != "|"]:
                cli([*args[:args.index("--format")], "--format", value])
            continue
        args = [finding if a == "12" else FUTURE if a == "2026-12-31" else a for a in args]
        cli(args, expect=(0, 1) if "--fail-on" in args else (0,))
    for line in shell_lines(ROOT / "docs" / "registry.md"):
        args = shlex.split(line)[1:]
        cli(["--config", str(DEMO_REGISTRY), *args[:2]] if args[:2] == ["config", "check"] else
            [*args, "--config", str(DEMO_REGISTRY)])
    for line in shell_lines(ROOT / "docs" / "digest.md"):
        args = [LAST_MONTH if a == "2026-11" else str(cli.tmp / "digests") if a == "./digests" else a
                for a in shlex.split(line)[1:]]
        if "--send" in args or "--resend" in args:
            continue  # mailing needs organization.mail: tests/digest send through a real SMTP server
        cli(args)
    assert any(p.suffix == ".pdf" for p in (cli.tmp / "digests").rglob("*"))


def readme_commands(cli: Cli) -> dict[str, list[tuple[list[str], tuple[int, ...]]]]:
    """What each line of the README's "Using it" stands for, in order."""
    config = str(DEMO_REGISTRY)
    stats = cli.tmp / "slapd-stats.log"
    stats.write_text(STATS_LOG, encoding="utf-8")
    ok = (0,)
    return {
        "vendorwatch config check vendorwatch.yaml": [(["config", "check", config], ok)],
        "vendorwatch init": [(["init", "--config", config], ok)],
        "vendorwatch vendors": [(["vendors"], ok)],
        "vendorwatch import cloudtrail PATH --source S": [
            (["import", "cloudtrail", str(STRATUS), "--source", "tradesys-aws-dev"], ok)],
        "vendorwatch import slapd-log PATH --source S": [
            (["import", "slapd-log", str(stats), "--source", "tradesys-ldap"], ok)],
        "vendorwatch evaluate": [(["evaluate"], ok)],
        "vendorwatch findings --format table|json|csv|ocsf [--vendor V --control 3.2.4 --fail-on high]": [
            *((["findings", "--format", f], ok) for f in ("table", "json", "csv", "ocsf")),
            (["findings", "--vendor", "tradesys", "--control", "3.2.4", "--fail-on", "high"], (0, 1))],
        'vendorwatch finding ack|accept|resolve ID --reason "..." [--until 2027-03-31]': [
            (["finding", "ack", "{finding}", "--reason", "調査中 / investigating"], ok),
            (["finding", "accept", "{finding}", "--reason", "契約で監督 / supervised", "--until", FUTURE], ok),
            (["finding", "resolve", "{other}", "--reason", "削除済 / deleted"], ok)],
        "vendorwatch finding show ID": [(["finding", "show", "{finding}"], ok)],
        "vendorwatch events --finding ID [--from 2026-11-01 --to 2026-11-30] [--format table|csv|json]": [
            (["events", "--finding", "{finding}"], ok),
            (["events", "--vendor", "tradesys", "--from", "2023-07-01", "--to", "2023-07-31", "--format", "csv"], ok),
            (["events", "--ip", "0.0.0.0/0", "--format", "json"], ok)],
        "vendorwatch controls": [(["controls"], ok)],
        "vendorwatch digest --month 2026-11 --out DIR [--lang en] [--send | --resend]": [
            (["digest", "--month", LAST_MONTH, "--out", str(cli.tmp / "out")], ok),
            (["digest", "--month", LAST_MONTH, "--out", str(cli.tmp / "out"), "--lang", "en"], ok)],
        "vendorwatch audit verify": [(["audit", "verify"], ok)],
        "vendorwatch questionnaire list [--json]": [(["questionnaire", "list"], ok), (["questionnaire", "list", "--json"], ok)],
        "vendorwatch questionnaire check FILE": [(["questionnaire", "check", str(QUESTIONNAIRE)], ok)],
        "vendorwatch campaign send -q jsda-iv32-baseline --vendor V [--with-sub-vendors] --due 2026-12-25": [
            (["campaign", "send", "-q", "jsda-iv32-baseline", "--vendor", "tradesys", "--with-sub-vendors", "--due",
              FUTURE], ok)],
        "vendorwatch campaign status [--json]": [(["campaign", "status"], ok), (["campaign", "status", "--json"], ok)],
        "vendorwatch campaign remind": [(["campaign", "remind", "--dry-run"], ok)],
        "vendorwatch evidence add|list": [(["evidence", "list"], ok)],
        "vendorwatch user add sato --role manager --email hanako.sato@sakura-sec.example": [
            (["user", "add", "sato", "--role", "manager", "--email", "hanako.sato@sakura-sec.example"], ok)],
    }


def test_every_line_of_the_readme_runs(cli: Cli) -> None:
    lines = shell_lines(ROOT / "README.md", section="## Using it")
    commands = readme_commands(cli)
    unmapped = [line for line in lines if line not in commands and line not in NOT_HERE]
    assert not unmapped, f"README lines this test does not know how to run: {unmapped}"
    assert not [line for line in (*commands, *NOT_HERE) if line not in lines], "mapped lines left the README"
    ids: dict[str, str] = {}
    for line in lines:
        for args, expect in commands.get(line, []):
            if line.startswith("vendorwatch finding ack") and not ids:
                import json

                found = [f for f in json.loads(cli(["findings", "--format", "json"])) if f["status"] == "open"]
                ids = {"{finding}": str(found[0]["id"]), "{other}": str(found[1]["id"])}
            stdin = "a long password for the docs test\n" * 2 if args[:2] == ["user", "add"] else ""
            cli([ids.get(a, a) for a in args], expect=expect, stdin=stdin)
