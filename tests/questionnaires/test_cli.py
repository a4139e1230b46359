"""The campaign commands end to end, as a vendor manager runs them: send, status, export, import the filled
workbook, review (masked), return, accept, reminders through a real SMTP server, evidence documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import yaml

from tests.conftest import CONTRACT_REGISTRY
from tests.questionnaires.test_evidence import PDF
from tests.servers.smtp import SmtpServer
from vendorwatch.registry.loader import load_registry

SUB_ANSWERS = {"handles-customer-data": "はい", "contract-obligations": "はい", "reviewed-by-parent": "年 1 回以上",
               "further-subcontracting": "いいえ", "mfa-required": "はい", "no-shared-accounts": "いいえ",
               "leaver-removal": "離任日当日までに", "access-logging": "はい",
               "production-data-to-development": "移すことはない", "incident-notice": "At once (within hours)",
               "certification": "取得していない"}


def test_a_campaign_from_the_command_line(run_cli, tmp_path: Path, smtp_server: SmtpServer) -> None:
    loaded, _ = load_registry(CONTRACT_REGISTRY)
    registry = loaded.model_dump(mode="json", by_alias=True, exclude_none=True)
    registry["organization"]["mail"] = smtp_server.mail_settings()
    (tmp_path / "vendorwatch.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    env = {"VW_TEST_SMTP_PASSWORD": "smtp-test-password", "VENDORWATCH_EVIDENCE_DIR": str(tmp_path / "evidence")}
    assert run_cli("init", env=env).exit_code == 0
    due = (datetime.now(UTC).astimezone(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=5)).isoformat()

    sent = run_cli("campaign", "send", "-q", "jsda-iv32-subvendor", "--vendor", "opsmon", "--due", due,
                   "--actor", "manager", env=env)
    assert sent.exit_code == 0, sent.stderr
    assert "request 1: opsmon" in sent.stdout
    status = json.loads(run_cli("campaign", "status", "--json", env=env).stdout)
    assert [(s["request"], s["vendor"], s["parent"], s["state"], s["days_left"]) for s in status] == [
        (1, "opsmon", "asys", "not_started", 5)]

    book_path = tmp_path / "request-1.xlsx"
    assert run_cli("campaign", "export", "1", "--out", str(book_path), env=env).exit_code == 0
    book = openpyxl.load_workbook(book_path)
    sheet = book["回答"]
    for row in range(7, sheet.max_row + 1):
        question = sheet[f"B{row}"].value
        if question in SUB_ANSWERS:
            sheet[f"I{row}"] = SUB_ANSWERS[question]
    book.save(book_path)
    refused = run_cli("campaign", "import", "1", str(book_path), "--contact", "someone@else.example", env=env)
    assert refused.exit_code == 2 and "not a contact of opsmon" in refused.stderr
    imported = run_cli("campaign", "import", "1", str(book_path), "--contact", "makoto.tanaka@opsmon.example",
                       "--submit", env=env)
    assert imported.exit_code == 0, imported.stderr + imported.stdout
    assert "submitted yes" in imported.stdout

    shown = run_cli("campaign", "review", "show", "1", env=env)
    assert shown.exit_code == 0, shown.stderr
    assert "提出済み（確認待ち） / submitted" in shown.stdout
    assert "m***@opsmon.example" in shown.stdout and "makoto.tanaka@opsmon.example" not in shown.stdout
    returned = run_cli("campaign", "review", "return", "1", "--note", "no-shared-accounts=共有している運用を教えてください",
                       env=env)
    assert returned.exit_code == 0, returned.stderr
    wrong = run_cli("campaign", "review", "accept", "1", env=env)
    assert wrong.exit_code == 2 and "cannot be given 'accept'" in wrong.stderr

    reminded = run_cli("campaign", "remind", "--json", env=env)
    assert reminded.exit_code == 0, reminded.stderr
    assert [(r["stage"], r["status"]) for r in json.loads(reminded.stdout)] == [("due-7", "sent")]
    assert json.loads(run_cli("campaign", "remind", "--json", env=env).stdout) == []  # once
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0].rcpt_tos == ["makoto.tanaka@opsmon.example"]

    pdf = tmp_path / "iso.pdf"
    pdf.write_bytes(PDF)
    added = run_cli("evidence", "add", str(pdf), "--vendor", "asys", "--kind", "iso27001_certificate",
                    "--valid-until", "2027-03-31", "--title", "IS 654321", env=env)
    assert added.exit_code == 0, added.stderr
    [document] = json.loads(run_cli("evidence", "list", "--json", env=env).stdout)
    assert (document["vendor"], document["title"], document["expired"]) == ("asys", "IS 654321", False)
    assert any((tmp_path / "evidence").rglob("*")), "stored in the configured evidence directory"
    bad = tmp_path / "fake.pdf"
    bad.write_text("<html>not a pdf</html>")
    refused_upload = run_cli("evidence", "add", str(bad), "--vendor", "asys", "--kind", "pentest_report",
                             "--valid-until", "2027-03-31", env=env)
    assert refused_upload.exit_code == 2 and "not accepted" in refused_upload.stderr

    verified = run_cli("audit", "verify", env=env)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
