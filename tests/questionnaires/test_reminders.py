"""Reminders 7, 3 and 1 days before the due date and after it, each sent once, through a real SMTP server
(aiosmtpd over STARTTLS); evidence documents are reminded before they expire."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from questionnaires.evidence import DocumentDetails, add_document
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.reminders import ReminderReport, document_stage, request_stage, send_due_reminders
from questionnaires.respondent import save_answers, submit
from questionnaires.review import request_changes
from tests.checks.world import make_world
from tests.questionnaires.conftest import GOOD_ANSWERS, Campaigns, with_contacts
from tests.questionnaires.test_evidence import PDF
from tests.servers.smtp import SmtpServer, free_port
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AuditEntry, ReminderRecord


@pytest.fixture
def mailing(engine: Engine, clock: FixedClock, tmp_path: Path, smtp_server: SmtpServer) -> Campaigns:
    document = with_contacts()
    document["organization"]["mail"] = smtp_server.mail_settings()
    return Campaigns(make_world(engine, clock, document), EvidenceStore(EvidenceSettings(tmp_path / "evidence")))


def on(c: Campaigns, day: str) -> list[str]:
    """Run the reminders at 09:00 UTC (18:00 in Tokyo) on a day; the stages sent."""
    c.clock.set(datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=UTC))
    report = send_due_reminders(c.engine, c.world.registry, c.clock)
    assert report.count("failed") == 0, report.outcomes
    return [o.stage for o in report.outcomes if o.status == "sent"]


def test_stages_are_chosen_by_days_left() -> None:
    assert [request_stage(d) for d in (8, 7, 4, 3, 2, 1, 0, -1)] == [
        None, "due-7", "due-7", "due-3", "due-3", "due-1", "due-1", "overdue"]
    assert [document_stage(d) for d in (61, 60, 30, 7, 0, -1)] == [
        None, "expiry-60", "expiry-30", "expiry-7", "expiry-7", "expired"]


def test_each_reminder_goes_out_once_7_3_1_days_before_and_after_the_due_date(mailing: Campaigns,
                                                                              smtp_server: SmtpServer) -> None:
    c = mailing
    [request_id] = c.send("acme", due=date(2026, 12, 10))
    days = ("2026-11-26", "2026-12-02", "2026-12-03", "2026-12-03", "2026-12-05", "2026-12-07", "2026-12-08",
            "2026-12-09", "2026-12-10", "2026-12-11", "2026-12-12", "2026-12-20")
    sent = [(day, on(c, day)) for day in days]
    assert sent == [("2026-11-26", []), ("2026-12-02", []), ("2026-12-03", ["due-7"]), ("2026-12-03", []),
                    ("2026-12-05", []), ("2026-12-07", ["due-3"]), ("2026-12-08", []), ("2026-12-09", ["due-1"]),
                    ("2026-12-10", []), ("2026-12-11", ["overdue"]), ("2026-12-12", []), ("2026-12-20", [])]
    messages = smtp_server.messages
    assert len(messages) == 4
    first = messages[0].parsed()
    assert messages[0].rcpt_tos == ["hanako.sato@acme.example"]
    assert first["Subject"] == "【テスト証券】質問票のご回答期限（2026-12-10）のお知らせ / Questionnaire due on 2026-12-10"
    body = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.index("アクメ ご担当者様") < body.index("Dear Acme contact")  # Japanese first
    assert "あと 7 日" in body and "http" not in body  # no link in a reminder
    assert messages[3].parsed()["Subject"].startswith("【テスト証券】質問票のご回答期限（2026-12-10）を過ぎています")
    with Session(c.engine) as session:
        records = session.exec(select(ReminderRecord).order_by(col(ReminderRecord.id))).all()
        audits = session.exec(select(AuditEntry).where(AuditEntry.action == "reminder.sent")).all()
    assert [(r.target_id, r.stage, r.status) for r in records] == [
        (request_id, s, "sent") for s in ("due-7", "due-3", "due-1", "overdue")]
    assert all(r.smtp_response and "queued as TEST" in r.smtp_response and r.message_id for r in records)
    assert len(audits) == 4


def test_days_are_counted_in_the_organizations_zone(mailing: Campaigns, smtp_server: SmtpServer) -> None:
    c = mailing
    c.send("acme", due=date(2026, 12, 10))
    c.clock.set(datetime(2026, 12, 2, 14, 59, tzinfo=UTC))  # 23:59 on 12-02 in Tokyo: eight days left
    assert send_due_reminders(c.engine, c.world.registry, c.clock).outcomes == []
    c.clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # midnight on 12-03 in Tokyo (still 12-02 in UTC)
    assert [o.stage for o in send_due_reminders(c.engine, c.world.registry, c.clock).outcomes] == ["due-7"]


def test_a_late_start_sends_only_the_most_urgent_stage(mailing: Campaigns, smtp_server: SmtpServer) -> None:
    c = mailing
    c.send("acme", due=date(2026, 11, 28))  # two days away when sent
    assert on(c, "2026-11-26") == ["due-3"]
    assert on(c, "2026-11-27") == ["due-1"]
    assert len(smtp_server.messages) == 2


def test_a_submitted_request_is_not_reminded_but_a_returned_one_is(mailing: Campaigns, smtp_server: SmtpServer) -> None:
    c = mailing
    [request_id] = c.send("acme", due=date(2026, 12, 1))
    with Session(c.engine) as session:
        save_answers(session, c.contact("acme"), request_id, GOOD_ANSWERS, clock=c.clock)
        submit(session, c.contact("acme"), request_id, clock=c.clock)
        session.commit()
    assert on(c, "2026-11-26") == []
    with Session(c.engine) as session:
        request_changes(session, request_id, {"pentest": "範囲を記入してください"}, actor="r", clock=c.clock)
        session.commit()
    assert on(c, "2026-11-27") == ["due-7"]
    body = smtp_server.messages[0].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "確認者からの指摘が 1 件あります" in body


def test_a_failed_send_is_recorded_and_retried_and_still_sent_once(mailing: Campaigns, smtp_server: SmtpServer) -> None:
    c = mailing
    c.send("acme", due=date(2026, 12, 1))
    broken = c.world.registry.organization.mail.model_copy(update={"port": free_port()})  # type: ignore[union-attr]
    report = send_due_reminders(c.engine, c.world.registry, c.clock, settings=broken)
    [failed] = report.outcomes
    assert failed.status == "failed" and "cannot connect" in (failed.detail or "")
    with Session(c.engine) as session:
        [record] = session.exec(select(ReminderRecord)).all()
        assert (record.status, record.attempts, record.sent_at) == ("failed", 1, None)
    assert on(c, "2026-11-26") == ["due-7"]
    assert on(c, "2026-11-26") == []
    with Session(c.engine) as session:
        [record] = session.exec(select(ReminderRecord)).all()
        assert (record.status, record.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1


def test_without_mail_settings_nothing_is_claimed_and_a_dry_run_sends_nothing(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    c.send("acme", due=date(2026, 12, 1))
    [skipped] = send_due_reminders(c.engine, c.world.registry, c.clock).outcomes
    assert skipped.status == "skipped" and "organization.mail" in (skipped.detail or "")
    with Session(c.engine) as session:
        assert session.exec(select(ReminderRecord)).all() == []


def test_documents_are_reminded_before_they_expire_and_once_after(mailing: Campaigns, smtp_server: SmtpServer) -> None:
    c = mailing
    with Session(c.engine) as session:
        add_document(session, c.store, io.BytesIO(PDF), "iso.pdf",
                     DocumentDetails("iso27001_certificate", valid_until=date(2027, 1, 20), title="ISMS 登録証 IS 123456"),
                     vendor_id="acme", actor="manager", clock=c.clock)
        session.commit()
    assert on(c, "2026-11-21") == ["expiry-60"]
    assert on(c, "2026-11-22") == []
    assert on(c, "2026-12-21") == ["expiry-30"]
    assert on(c, "2027-01-13") == ["expiry-7"]
    assert on(c, "2027-01-21") == ["expired"]
    assert on(c, "2027-02-21") == []
    subjects = [m.parsed()["Subject"] for m in smtp_server.messages]
    assert subjects[0] == ("【テスト証券】ISO/IEC 27001 認証書の有効期限（2027-01-20）のお知らせ / "
                           "ISO/IEC 27001 certificate expires 2027-01-20")
    assert "ISMS 登録証 IS 123456" in smtp_server.messages[0].parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_two_schedulers_running_at_once_send_each_reminder_once(mailing: Campaigns, smtp_server: SmtpServer) -> None:
    c = mailing
    c.send("acme", "beta", due=date(2026, 12, 1))
    start = threading.Barrier(2)
    reports: list[ReminderReport] = []

    def run() -> None:
        start.wait()
        reports.append(send_due_reminders(c.engine, c.world.registry, c.clock))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.count("sent") for r in reports) == 2 and sum(r.count("failed") for r in reports) == 0
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["hanako.sato@acme.example",
                                                                    "megumi.takahashi@beta.example"]
