"""``vendorwatch status`` (is monitoring working?) and the alert e-mails, read back from a real SMTP server."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import CONTRACT_REGISTRY
from tests.scheduler.conftest import files_source, import_registry, registry_yaml
from tests.servers.smtp import SmtpServer
from vendorwatch.alerts.send import send_alerts
from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AlertRecord, Finding, SchedulerJob
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.views.source_status import monitoring_status

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _run(engine: Engine, source_id: str, at: datetime, status: str | None = None, error: str | None = None) -> None:
    RunRecorder(engine, source_id, FixedClock(at)).finish(status, error_text=error)  # type: ignore[arg-type]


def test_status_on_a_freshly_initialised_registry_exits_1_and_names_the_never_collected_sources(
    run_cli: Any, tmp_path: Path,
) -> None:
    shutil.copy(CONTRACT_REGISTRY, tmp_path / "vendorwatch.yaml")
    assert run_cli("init").exit_code == 0
    result = run_cli("status", env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "asys-aws-prod (never)" in result.stderr and "asys-ldap (never)" in result.stderr
    assert "未収集 / never" in result.stdout
    as_json = run_cli("status", "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["ok"] is False and document["sources"]
    assert {s["sla"] for s in document["sources"]} == {"never"}


def test_status_shows_each_sources_last_success_failure_streak_next_run_and_sla(engine: Engine, tmp_path: Path) -> None:
    registry = import_registry(engine, registry_yaml(
        files_source("acme-ok", tmp_path, minutes=60, sla_hours=24),
        files_source("acme-lapsed", tmp_path, minutes=60, sla_hours=24),
        files_source("acme-new", tmp_path, minutes=None, sla_hours=24),
    ), FixedClock(NOW - timedelta(days=5)))
    _run(engine, "acme-ok", NOW - timedelta(hours=2))
    _run(engine, "acme-ok", NOW - timedelta(hours=1), "failed", "AccessDenied: role not assumable")
    _run(engine, "acme-lapsed", NOW - timedelta(days=3))
    _run(engine, "acme-lapsed", NOW - timedelta(days=2), "failed", "folder gone")
    _run(engine, "acme-lapsed", NOW - timedelta(days=1), "failed", "folder still gone")
    upcoming = NOW + timedelta(minutes=30)
    with Session(engine) as session:
        session.add(SchedulerJob(id="collect:acme-ok", next_run_time=upcoming.timestamp(), job_state=b"-"))
        session.commit()
        status = monitoring_status(session, registry, FixedClock(NOW))
    by_id = {s.source_id: s for s in status.sources}
    ok, lapsed, new = by_id["acme-ok"], by_id["acme-lapsed"], by_id["acme-new"]
    assert (ok.sla, ok.state, ok.failures_in_a_row, ok.next_run) == ("ok", "failing", 1, upcoming)
    assert ok.last_error == "AccessDenied: role not assumable" and ok.last_success == NOW - timedelta(hours=2)
    assert (lapsed.sla, lapsed.failures_in_a_row, lapsed.last_error) == ("past", 2, "folder still gone")
    assert (new.sla, new.schedule, new.next_run) == ("never", None, None)
    assert status.gate_failed and status.to_json()["sources"][0]["next_run"] == upcoming.isoformat()


def _critical_check() -> tuple[str, str]:
    check = next(c for c in checks_by_id().values() if c.meta.severity == "critical")
    return check.id, check.meta.control


def test_alerts_for_a_new_critical_finding_and_a_source_newly_past_its_sla_are_sent_once(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer,
) -> None:
    organization = (f"  mail: {json.dumps(smtp_server.mail_settings())}\n"
                    "  alerts: {recipients: [soc@example-sec.co.jp]}")
    text = registry_yaml(files_source("acme-drop", tmp_path, minutes=60, sla_hours=24), organization=organization)
    registry = import_registry(engine, text, FixedClock(NOW - timedelta(days=5)))
    _run(engine, "acme-drop", NOW - timedelta(hours=30))  # last success 30 h ago: past its 24 h SLA
    check_id, control = _critical_check()
    with Session(engine) as session:
        session.add(Finding(fingerprint="f" * 64, check_id=check_id, control_id=control, vendor_id="acme",
                            subject="arn:aws:iam::111111111111:user/yamada.taro", severity="critical",
                            first_seen=NOW, last_seen=NOW))
        session.commit()
    clock = FixedClock(NOW)

    report = send_alerts(engine, registry, clock)
    assert set(report.sent) == {"finding", "sla"} and not report.failed
    messages = [m.parsed() for m in smtp_server.messages]
    assert len(messages) == 2 and all(m.rcpt_tos == ["soc@example-sec.co.jp"] for m in smtp_server.messages)
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert "重大な指摘" in subjects[0] + subjects[1] and "past its collection SLA" in subjects[0] + subjects[1]
    bodies = "".join(m.get_content() for m in messages)
    assert "acme-drop" in bodies and "user/y***" in bodies and "yamada.taro" not in bodies  # masked in mail

    assert send_alerts(engine, registry, clock).sent == {}  # each once
    assert len(smtp_server.messages) == 2

    # The source recovers, then falls behind again: a new lapse, a new alert.
    _run(engine, "acme-drop", NOW)
    later = FixedClock(NOW + timedelta(hours=25))
    assert send_alerts(engine, registry, later).sent.keys() == {"sla"}
    assert len(smtp_server.messages) == 3
    with Session(engine) as session:
        assert {r.status for r in session.exec(select(AlertRecord))} == {"sent"}


def test_alerts_wait_for_recipients_rather_than_being_lost(engine: Engine, tmp_path: Path) -> None:
    registry = import_registry(engine, registry_yaml(files_source("acme-drop", tmp_path, minutes=60)),
                               FixedClock(NOW - timedelta(days=5)))
    report = send_alerts(engine, registry, FixedClock(NOW))  # never collected for five days: past its SLA
    assert report.skipped == "organization.alerts.recipients is empty"
    with Session(engine) as session:
        assert list(session.exec(select(AlertRecord))) == []  # nothing claimed: sent once configured
