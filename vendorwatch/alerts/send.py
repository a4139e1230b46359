"""Send the alerts not sent yet: one message per kind with every new item, each item recorded once (``alerts``).

An item is claimed (a row ``sending``) before the message goes out, so a second process cannot send it too; a
failed send marks it ``failed`` and it is tried again next time. Without recipients (``organization.alerts``) or
a mail server (``organization.mail``) nothing is claimed and the report says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from vendorwatch import audit
from vendorwatch.alerts.due import AlertKind, DueAlert, due_alerts
from vendorwatch.clock import Clock
from vendorwatch.db.core_tables import ALERTS
from vendorwatch.db.tables import AlertRecord
from vendorwatch.mail.errors import MailError
from vendorwatch.mail.message import build_message
from vendorwatch.mail.send import send_message
from vendorwatch.registry.models import Registry

SYSTEM_ACTOR = "vendorwatch"
MAX_ATTEMPTS = 5
_SUBJECTS: dict[AlertKind, tuple[str, str]] = {
    "finding": ("重大な指摘が新たに検出されました", "new critical finding"),
    "sla": ("監視ソースの収集が SLA を超過しました", "monitoring source past its collection SLA"),
}
_ALERTS = ALERTS


@dataclass
class AlertReport:
    """What one pass did: per kind, the keys sent, failed, or why nothing was sent."""

    sent: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None


def _claim(engine: Engine, items: Sequence[DueAlert], recipients: list[str], subject: str, clock: Clock
           ) -> list[DueAlert]:
    """The items this pass takes: new ones, and failed ones with attempts left."""
    taken = []
    for item in items:
        with Session(engine) as session:
            existing = session.exec(select(AlertRecord).where(AlertRecord.kind == item.kind,
                                                              AlertRecord.key == item.key)).first()
            if existing is not None:
                if existing.status != "failed" or existing.attempts >= MAX_ATTEMPTS:
                    continue
                got = session.execute(update(_ALERTS).where(_ALERTS.c.id == existing.id, _ALERTS.c.status == "failed")
                                      .values(status="sending", attempts=existing.attempts + 1, error=None))
                session.commit()
                if got.rowcount:  # type: ignore[attr-defined]
                    taken.append(item)
                continue
            session.add(AlertRecord(kind=item.kind, key=item.key, vendor_id=item.vendor_id, status="sending",
                                    created_at=clock.now(), attempts=1, subject=subject, recipients=recipients))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            taken.append(item)
    return taken


def _finish(engine: Engine, kind: AlertKind, keys: list[str], clock: Clock, *, status: str,
            response: str | None = None, error: str | None = None) -> None:
    with Session(engine) as session:
        session.execute(update(_ALERTS).where(_ALERTS.c.kind == kind, col(_ALERTS.c.key).in_(keys))
                        .values(status=status, sent_at=clock.now() if status == "sent" else None,
                                smtp_response=response, error=error))
        audit.record(session, actor=SYSTEM_ACTOR, action=f"alert.{status}", target=f"alert:{kind}",
                     details={"keys": keys, "response": response, "error": error}, clock=clock)
        session.commit()


def _text(items: Sequence[DueAlert], kind: AlertKind) -> str:
    ja, en = _SUBJECTS[kind]
    lines = [f"{ja}（{len(items)} 件）", "", *(f"- {i.line.ja}" for i in items), "",
             "詳細はダッシュボードか `vendorwatch status` / `vendorwatch findings` で確認してください。", "",
             "----", "", f"{en.capitalize()} ({len(items)})", "", *(f"- {i.line.en}" for i in items), "",
             "See the dashboard, or `vendorwatch status` / `vendorwatch findings`.", ""]
    return "\n".join(lines)


def send_alerts(engine: Engine, registry: Registry, clock: Clock, *,
                environ: Mapping[str, str] | None = None) -> AlertReport:
    """Mail every alert not sent yet to ``organization.alerts.recipients``; each item once."""
    report = AlertReport()
    recipients = [str(r) for r in registry.organization.alerts.recipients]
    mail = registry.organization.mail
    with Session(engine) as session:
        due = due_alerts(session, registry, clock)
        done = {(r.kind, r.key): r for r in session.exec(select(AlertRecord))}
    fresh = [d for d in due if (d.kind, d.key) not in done
             or (done[(d.kind, d.key)].status == "failed" and done[(d.kind, d.key)].attempts < MAX_ATTEMPTS)]
    if not fresh:
        return report
    if not recipients or mail is None:
        report.skipped = ("organization.alerts.recipients is empty" if not recipients
                          else "organization.mail is not configured")
        return report
    kinds: tuple[AlertKind, ...] = ("finding", "sla")
    for kind in kinds:
        items = [d for d in fresh if d.kind == kind]
        ja, en = _SUBJECTS[kind]
        subject = f"[VendorWatch] {ja} / {en}"
        taken = _claim(engine, items, recipients, subject, clock)
        if not taken:
            continue
        keys = [i.key for i in taken]
        message = build_message(sender=str(mail.sender), sender_name=mail.sender_name, to=recipients,
                                subject=f"[VendorWatch] {ja} / {en} ({len(taken)})", text=_text(taken, kind),
                                date=clock.now(), headers={"Auto-Submitted": "auto-generated"})
        try:
            delivery = send_message(mail, message, clock=clock, environ=environ)
        except MailError as error:
            detail = "; ".join([error.message.en, *error.details])[:1000]
            _finish(engine, kind, keys, clock, status="failed", error=detail)
            report.failed[kind] = detail
            continue
        _finish(engine, kind, keys, clock, status="sent", response=delivery.response)
        report.sent[kind] = keys
    return report

