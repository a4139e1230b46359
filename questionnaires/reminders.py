"""Reminder e-mails: requests 7, 3 and 1 days before their due date and once after it; evidence documents 60,
30 and 7 days before they expire and once after. Each stage is sent once (``reminders`` table), through the
firm's SMTP server (``organization.mail``, :mod:`vendorwatch.mail`).

:func:`send_due_reminders` is what the scheduler calls (and ``vendorwatch campaign remind``). For each request
or document it picks the most urgent stage reached; a stage already sent (or being sent) is never sent again,
and a less urgent stage passed while nothing ran is not sent late. A stage is claimed in the database before the
message goes out (a second scheduler cannot send it too); a failed send is retried on the next run, up to
``MAX_ATTEMPTS``. Reminders carry no link: the only e-mail with a link is the portal's enrolment invitation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from questionnaires.campaigns import local_today
from questionnaires.definition import DOCUMENT_KINDS
from questionnaires.evidence import document_statuses
from questionnaires.states import OPEN, STATE_LABELS
from questionnaires.versions import load_version
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import (
    QuestionnaireCampaign,
    QuestionnaireRequest,
    QuestionnaireReviewNote,
    ReminderRecord,
)
from vendorwatch.i18n import Text
from vendorwatch.mail.errors import MailError
from vendorwatch.mail.message import build_message
from vendorwatch.mail.send import send_message
from vendorwatch.registry.models import MailSettings, Registry, Vendor

SYSTEM_ACTOR = "vendorwatch"
MAX_ATTEMPTS = 5
REQUEST_STAGES: tuple[tuple[str, int], ...] = (("due-1", 1), ("due-3", 3), ("due-7", 7))  # most urgent first
DOCUMENT_STAGES: tuple[tuple[str, int], ...] = (("expiry-7", 7), ("expiry-30", 30), ("expiry-60", 60))
Kind = Literal["request", "document"]


def request_stage(days_left: int) -> str | None:
    """The reminder stage a request is in, ``days_left`` days before its due date (negative: after it)."""
    if days_left < 0:
        return "overdue"
    return next((name for name, days in REQUEST_STAGES if days_left <= days), None)


def document_stage(days_left: int) -> str | None:
    """The reminder stage a document is in, ``days_left`` days before it expires (negative: expired)."""
    if days_left < 0:
        return "expired"
    return next((name for name, days in DOCUMENT_STAGES if days_left <= days), None)


@dataclass(frozen=True)
class ReminderOutcome:
    """One reminder handled in a run."""

    kind: Kind
    target_id: int
    vendor_id: str
    stage: str
    status: str  # sent | failed | skipped | would_send
    recipients: tuple[str, ...] = ()
    detail: str | None = None


@dataclass
class ReminderReport:
    """What a run did."""

    outcomes: list[ReminderOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many outcomes had this status."""
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass(frozen=True)
class _Due:
    kind: Kind
    target_id: int
    vendor: Vendor
    stage: str
    subject: str
    text: str


def _signature(registry: Registry) -> str:
    name = registry.organization.name
    return f"\n--\n{name.ja}\n{name.en}\n（このメールは VendorWatch から自動送信しています / sent by VendorWatch）\n"


def _request_mail(registry: Registry, vendor: Vendor, request: QuestionnaireRequest, campaign: QuestionnaireCampaign,
                  title: Text, stage: str, days_left: int, open_notes: int) -> tuple[str, str]:
    org = registry.organization.name
    due = campaign.due_date.isoformat()
    state = STATE_LABELS[request.state]
    if stage == "overdue":
        subject = f"【{org.ja}】質問票のご回答期限（{due}）を過ぎています / Questionnaire overdue since {due}"
        lead_ja = f"ご回答期限の {due} を {-days_left} 日過ぎています。至急ご回答をお願いいたします。"
        lead_en = f"The due date, {due}, passed {-days_left} day(s) ago. Please answer as soon as possible."
    else:
        subject = f"【{org.ja}】質問票のご回答期限（{due}）のお知らせ / Questionnaire due on {due}"
        lead_ja = f"ご回答期限は {due}（あと {days_left} 日）です。期限までのご回答をお願いいたします。"
        lead_en = f"Your answers are due on {due} ({days_left} day(s) left)."
    notes_ja = f"\n確認者からの指摘が {open_notes} 件あります。ご確認のうえ再提出してください。" if open_notes else ""
    notes_en = f"\nThe reviewer left {open_notes} note(s): please respond and submit again." if open_notes else ""
    text = (
        f"{vendor.name.ja} ご担当者様\n\n"
        f"{org.ja}より、質問票「{title.ja}」（{campaign.name}）についてご連絡いたします。\n"
        f"{lead_ja}{notes_ja}\n現在の状態: {state.ja}\n\n"
        "委託先ポータルにサインインしてご回答ください（このメールにはリンクを記載していません）。\n\n"
        "----\n\n"
        f"Dear {vendor.name.en} contact,\n\n"
        f"This is about the questionnaire '{title.en}' ({campaign.name}) from {org.en}.\n"
        f"{lead_en}{notes_en}\nCurrent state: {state.en}\n\n"
        "Please sign in to the vendor portal to answer (this e-mail carries no link on purpose).\n"
        + _signature(registry)
    )
    return subject, text


def _document_mail(registry: Registry, vendor: Vendor, kind: str, title: str, until: date, stage: str,
                   days_left: int) -> tuple[str, str]:
    org = registry.organization.name
    name = DOCUMENT_KINDS.get(kind, DOCUMENT_KINDS["other"])
    if stage == "expired":
        subject = f"【{org.ja}】{name.ja}の有効期限（{until.isoformat()}）が切れています / {name.en} expired"
        lead_ja = f"{name.ja}「{title}」の有効期限 {until.isoformat()} が過ぎています。更新後の写しをご提出ください。"
        lead_en = f"Your {name.en} '{title}' expired on {until.isoformat()}. Please send us the renewed one."
    else:
        subject = f"【{org.ja}】{name.ja}の有効期限（{until.isoformat()}）のお知らせ / {name.en} expires {until.isoformat()}"
        lead_ja = (f"{name.ja}「{title}」の有効期限は {until.isoformat()}（あと {days_left} 日）です。"
                   "更新後の写しのご提出をお願いいたします。")
        lead_en = f"Your {name.en} '{title}' expires on {until.isoformat()} ({days_left} day(s) left). Please send us " \
                  "the renewed one when you have it."
    text = (f"{vendor.name.ja} ご担当者様\n\n{lead_ja}\n委託先ポータル、または担当者あてにご提出ください。\n\n----\n\n"
            f"Dear {vendor.name.en} contact,\n\n{lead_en}\nUpload it in the vendor portal or send it to your contact "
            "at the firm.\n" + _signature(registry))
    return subject, text


def _due_reminders(session: Session, registry: Registry, clock: Clock) -> list[_Due]:
    zone = registry.organization.timezone
    today = local_today(clock, zone)
    vendors = {v.id: v for v in registry.vendors}
    due: list[_Due] = []
    rows = session.exec(
        select(QuestionnaireRequest, QuestionnaireCampaign)
        .join(QuestionnaireCampaign, col(QuestionnaireCampaign.id) == QuestionnaireRequest.campaign_id)
        .where(col(QuestionnaireRequest.state).in_(sorted(OPEN)))
        .order_by(col(QuestionnaireRequest.id))
    ).all()
    for request, campaign in rows:
        vendor = vendors.get(request.vendor_id)
        days_left = (campaign.due_date - today).days
        stage = request_stage(days_left)
        if vendor is None or stage is None or request.id is None:
            continue
        _, questionnaire = load_version(session, request.version_id)
        notes = len(session.exec(select(QuestionnaireReviewNote.id).where(
            QuestionnaireReviewNote.request_id == request.id, col(QuestionnaireReviewNote.closed_at).is_(None))).all())
        subject, text = _request_mail(registry, vendor, request, campaign, questionnaire.title, stage, days_left, notes)
        due.append(_Due("request", request.id, vendor, stage, subject, text))
    for status in document_statuses(session, today):
        document = status.document
        vendor = vendors.get(document.vendor_id)
        if vendor is None or status.superseded or status.days_left is None or document.id is None:
            continue
        stage = document_stage(status.days_left)
        if stage is None or document.valid_until is None:
            continue
        subject, text = _document_mail(registry, vendor, document.kind, document.title, document.valid_until, stage,
                                       status.days_left)
        due.append(_Due("document", document.id, vendor, stage, subject, text))
    return due


def _claim(engine: Engine, item: _Due, recipients: list[str], clock: Clock) -> bool:
    """Take the stage for this run: a new row, or a failed one retried; False when another run has it or sent it."""
    with Session(engine) as session:
        existing = session.exec(select(ReminderRecord).where(
            ReminderRecord.kind == item.kind, ReminderRecord.target_id == item.target_id,
            ReminderRecord.stage == item.stage)).first()
        if existing is not None:
            if existing.status != "failed" or existing.attempts >= MAX_ATTEMPTS:
                return False
            taken = session.execute(
                update(ReminderRecord).where(col(ReminderRecord.id) == existing.id,
                                             col(ReminderRecord.status) == "failed")
                .values(status="sending", attempts=existing.attempts + 1, recipients=recipients, error=None)
            )
            session.commit()
            return bool(taken.rowcount)  # type: ignore[attr-defined]
        session.add(ReminderRecord(kind=item.kind, target_id=item.target_id, vendor_id=item.vendor.id, stage=item.stage,
                                   status="sending", created_at=clock.now(), attempts=1, recipients=recipients,
                                   subject=item.subject))
        try:
            session.commit()
        except IntegrityError:  # another scheduler claimed it a moment ago
            session.rollback()
            return False
        return True


def _finish(engine: Engine, item: _Due, clock: Clock, *, status: str, response: str | None = None,
            refused: Mapping[str, str] | None = None, message_id: str | None = None, error: str | None = None) -> None:
    with Session(engine) as session:
        record = session.exec(select(ReminderRecord).where(
            ReminderRecord.kind == item.kind, ReminderRecord.target_id == item.target_id,
            ReminderRecord.stage == item.stage)).one()
        record.status = status
        record.sent_at = clock.now() if status == "sent" else None
        record.smtp_response = response
        record.refused = dict(refused or {})
        record.message_id = message_id
        record.error = error
        session.add(record)
        audit.record(session, actor=SYSTEM_ACTOR, action=f"reminder.{status}", target=f"{item.kind}:{item.target_id}",
                     details={"vendor": item.vendor.id, "stage": item.stage, "recipients": record.recipients,
                              "refused": record.refused, "response": response, "error": error,
                              "message_id": message_id}, clock=clock)
        session.commit()


def send_due_reminders(engine: Engine, registry: Registry, clock: Clock, *, settings: MailSettings | None = None,
                       environ: Mapping[str, str] | None = None, dry_run: bool = False) -> ReminderReport:
    """Send every reminder that is due now, once; the report says what was sent, failed or skipped.

    ``settings`` default to the registry's ``organization.mail``; without either nothing can be sent and every
    due reminder is reported as skipped (nothing is claimed, so they go out once mail is configured).
    """
    mail = settings or registry.organization.mail
    report = ReminderReport()
    with Session(engine) as session:
        due = _due_reminders(session, registry, clock)
        sent_before = {(r.kind, r.target_id, r.stage): r.status for r in session.exec(select(ReminderRecord))}
    for item in due:
        recipients = sorted({str(c.email) for c in item.vendor.contacts})
        previous = sent_before.get((item.kind, item.target_id, item.stage))
        if previous is not None and previous != "failed":
            continue  # sent (or being sent) already: once per stage
        if not recipients or mail is None:
            why = "no contacts in the registry" if not recipients else "organization.mail is not configured"
            report.outcomes.append(ReminderOutcome(item.kind, item.target_id, item.vendor.id, item.stage, "skipped",
                                                   tuple(recipients), why))
            continue
        if dry_run:
            report.outcomes.append(ReminderOutcome(item.kind, item.target_id, item.vendor.id, item.stage, "would_send",
                                                   tuple(recipients), item.subject))
            continue
        if not _claim(engine, item, recipients, clock):
            continue
        message = build_message(sender=str(mail.sender), sender_name=mail.sender_name, to=recipients,
                                subject=item.subject, text=item.text, date=clock.now(),
                                headers={"Auto-Submitted": "auto-generated"})
        try:
            delivery = send_message(mail, message, clock=clock, environ=environ)
        except MailError as error:
            detail = "; ".join([error.message.en, *error.details])[:1000]
            _finish(engine, item, clock, status="failed", error=detail)
            report.outcomes.append(ReminderOutcome(item.kind, item.target_id, item.vendor.id, item.stage, "failed",
                                                   tuple(recipients), detail))
            continue
        _finish(engine, item, clock, status="sent", response=delivery.response, refused=delivery.refused,
                message_id=delivery.message_id)
        report.outcomes.append(ReminderOutcome(item.kind, item.target_id, item.vendor.id, item.stage, "sent",
                                               tuple(delivery.accepted), delivery.response))
    return report
