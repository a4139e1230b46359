"""``vendorwatch digest`` as an operator runs it: on the demo database, with clear errors, and --send / --resend
through a real SMTP server."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import CliResult
from tests.digest.seed import registry_document
from tests.servers.smtp import SmtpServer
from vendorwatch.digest.period import DigestMonth


def _this_month() -> str:
    return str(DigestMonth.of(datetime.now(UTC), "Asia/Tokyo"))


def test_on_the_demo_database_the_digest_of_the_demos_month_is_written_as_html_and_pdf(run_cli: Any,
                                                                                        tmp_path: Path) -> None:
    demo: CliResult = run_cli("demo")
    assert demo.exit_code == 0, demo.stderr
    month = _this_month()  # the demo evaluates now: its month is the current one (a provisional digest)
    out = tmp_path / "out"
    done: CliResult = run_cli("--database-url", "sqlite:///vendorwatch-demo.db", "digest", "--month", month,
                              "--out", str(out))
    assert done.exit_code == 0, done.stderr
    html = out / f"vendorwatch-digest-{month}-ja.html"
    pdf = out / f"vendorwatch-digest-{month}-ja.pdf"
    assert html.exists() and pdf.exists() and (out / f"vendorwatch-digest-{month}-ja.txt").exists()
    assert "株式会社トレードシステムズ" in html.read_text(encoding="utf-8")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "委託先リスク月次報告" in text and all(f"3.2.{n}" in text for n in range(1, 8))
    assert "revision 1" in done.stdout and "provisional" in done.stdout
    english: CliResult = run_cli("--database-url", "sqlite:///vendorwatch-demo.db", "digest", "--month", month,
                                 "--lang", "en", "--out", str(out))
    assert english.exit_code == 0 and (out / f"vendorwatch-digest-{month}-en.pdf").exists()
    # The demo registry names recipients but no mail server: sending is a clear error, exit 2, nothing sent.
    refused: CliResult = run_cli("--database-url", "sqlite:///vendorwatch-demo.db", "digest", "--month", month,
                                 "--send")
    assert refused.exit_code == 2 and "organization.mail" in refused.stderr and "Traceback" not in refused.stderr


def test_bad_arguments_are_usage_errors(run_cli: Any) -> None:
    assert run_cli("demo").exit_code == 0
    for args, words in ((["--month", "2026-13"], "YYYY-MM"), (["--month", "2026-11", "--lang", "fr"], "--lang"),
                        (["--month", "2026-11", "--send", "--resend"], "--resend"),
                        (["--month", "2999-01"], "not begun")):
        result: CliResult = run_cli("--database-url", "sqlite:///vendorwatch-demo.db", "digest", *args)
        assert result.exit_code == 2 and words in result.stderr, (args, result.stderr)


def test_send_then_resend_from_the_command_line_byte_for_byte(run_cli: Any, tmp_path: Path,
                                                              smtp_server: SmtpServer) -> None:
    document = registry_document(smtp_server.mail_settings())
    config = tmp_path / "vendorwatch.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    env = {"VENDORWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'vendorwatch.db'}", "VENDORWATCH_ACTOR": "tanaka.cio"}
    assert run_cli("init", env=env).exit_code == 0
    month = str(DigestMonth.of(datetime.now(UTC), "Asia/Tokyo").previous())
    sent: CliResult = run_cli("digest", "--month", month, "--send", env=env)
    assert sent.exit_code == 0, sent.stderr
    assert "delivered to board-office@example-sec.co.jp, ciso@example-sec.co.jp" in sent.stdout
    again: CliResult = run_cli("digest", "--month", month, "--resend", env=env)
    assert again.exit_code == 0, again.stderr
    assert len(smtp_server.messages) == 2 and smtp_server.messages[0].data == smtp_server.messages[1].data
    log: CliResult = run_cli("audit", "log", "--limit", "5", env=env)
    assert "digest.produce" in log.stdout and "digest.send" in log.stdout and "digest.resend" in log.stdout
    assert "tanaka.cio" in log.stdout
    assert run_cli("audit", "verify", env=env).exit_code == 0


def test_without_recipients_sending_is_refused_before_anything_is_produced(run_cli: Any, tmp_path: Path,
                                                                           smtp_server: SmtpServer) -> None:
    document = registry_document(smtp_server.mail_settings())
    document["organization"]["digest"]["recipients"] = []
    config = tmp_path / "vendorwatch.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    env = {"VENDORWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'vendorwatch.db'}"}
    assert run_cli("init", env=env).exit_code == 0
    result: CliResult = run_cli("digest", "--send", env=env)
    assert result.exit_code == 2 and "recipients" in result.stderr
    assert "stored" not in result.stdout and smtp_server.messages == []
