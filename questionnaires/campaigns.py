"""Campaigns: a questionnaire version sent to chosen vendors with a due date, and the requests it creates.

Every state change of a request goes through :func:`transition`, which writes the request's history and the
audit log in the caller's transaction. The due date is a date in the organization's time zone: a request is
due by the end of that day, and overdue from the next local midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from questionnaires.errors import QuestionnaireError, RequestNotFoundError, TransitionRefusedError
from questionnaires.loader import LoadedQuestionnaire
from questionnaires.states import ANSWERED, OPEN, Action, State, next_state, refusal
from questionnaires.versions import store_version
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import (
    QuestionnaireCampaign,
    QuestionnaireRequest,
    QuestionnaireRequestHistory,
    QuestionnaireSubmission,
    QuestionnaireVersion,
)
from vendorwatch.db.tables import Vendor as VendorRow
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import Registry


def due_instant(due_date: date, zone: str) -> datetime:
    """The first instant after the due date, local midnight in the organization's zone (as aware UTC)."""
    return datetime.combine(due_date + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def local_today(clock: Clock, zone: str) -> date:
    """Today in the organization's zone."""
    return clock.now().astimezone(ZoneInfo(zone)).date()


def transition(session: Session, request: QuestionnaireRequest, action: Action, *, actor: str, clock: Clock,
               note: str | None = None, details: dict[str, object] | None = None) -> State:
    """Apply one state change (or refuse it), with the request's history and the audit log."""
    from_state = request.state
    to_state = next_state(action, from_state)
    if to_state is None:
        raise TransitionRefusedError(refusal(action, from_state))
    now = clock.now()
    request.state = to_state
    request.state_changed_at = now
    if action == "start":
        request.started_at = now
    elif action == "submit":
        request.submitted_at = now
        request.submissions += 1
    elif action == "accept":
        request.accepted_at = now
    elif action == "reopen":
        request.accepted_at = None
    session.add(request)
    session.flush()
    assert request.id is not None
    session.add(QuestionnaireRequestHistory(request_id=request.id, at=now, from_state=from_state, to_state=to_state,
                                            actor=actor, note=note))
    audit.record(session, actor=actor, action=f"questionnaire.request.{action}", target=f"request:{request.id}",
                 details={"vendor": request.vendor_id, "campaign": request.campaign_id,
                          "questionnaire": request.questionnaire_id, "from": from_state, "to": to_state,
                          "note": note, **(details or {})}, clock=clock)
    return to_state


def lock_request(session: Session, request_id: int) -> QuestionnaireRequest | None:
    """The request row, locked for update on PostgreSQL (SQLite serializes writers anyway)."""
    return session.exec(
        select(QuestionnaireRequest).where(QuestionnaireRequest.id == request_id).with_for_update()
    ).first()


def get_request(session: Session, request_id: int, *, for_update: bool = False) -> QuestionnaireRequest:
    """A request by id (for the firm's staff, who see every vendor)."""
    request = lock_request(session, request_id) if for_update else session.get(QuestionnaireRequest, request_id)
    if request is None:
        raise RequestNotFoundError(request_id)
    return request


@dataclass
class SentCampaign:
    """A campaign just sent: the row, its requests, and what the sender should know."""

    campaign: QuestionnaireCampaign
    version: QuestionnaireVersion
    requests: list[QuestionnaireRequest]
    warnings: list[Text] = field(default_factory=list)


def send_campaign(session: Session, registry: Registry, loaded: LoadedQuestionnaire, vendor_ids: Sequence[str], *,
                  due_date: date, actor: str, clock: Clock, name: str | None = None,
                  note: str | None = None) -> SentCampaign:
    """Send a questionnaire version to vendors (and sub-vendors) with a due date; each gets a request."""
    zone = registry.organization.timezone
    wanted = list(dict.fromkeys(vendor_ids))
    if not wanted:
        raise QuestionnaireError(t("送付先の委託先を 1 社以上指定してください", "name at least one vendor to send to"))
    known = {v.id: v for v in registry.vendors}
    unknown = [v for v in wanted if v not in known]
    if unknown:
        raise QuestionnaireError(t(f"台帳にない委託先です: {', '.join(unknown)}",
                                   f"not in the registry: {', '.join(unknown)}"),
                                 details=[f"vendors: {', '.join(known) or '-'}"])
    retired = [v for v in wanted if (row := session.get(VendorRow, v)) is None or row.retired_at is not None]
    if retired:
        raise QuestionnaireError(t(f"取り込まれていない、または廃止された委託先です: {', '.join(retired)}（`vendorwatch init`）",
                                   f"not imported or retired: {', '.join(retired)} (run `vendorwatch init`)"))
    today = local_today(clock, zone)
    if due_date < today:
        raise QuestionnaireError(t(f"回答期限 {due_date.isoformat()} は過去の日付です",
                                   f"the due date {due_date.isoformat()} is in the past"))
    questionnaire = loaded.questionnaire
    version = store_version(session, loaded, actor=actor, clock=clock)
    assert version.id is not None
    busy = session.exec(
        select(QuestionnaireRequest).where(QuestionnaireRequest.questionnaire_id == questionnaire.id,
                                           col(QuestionnaireRequest.vendor_id).in_(wanted),
                                           col(QuestionnaireRequest.state).in_(sorted(OPEN | {"submitted"})))
    ).all()
    if busy:
        raise QuestionnaireError(
            t("次の委託先には、同じ質問票の未完了の依頼があります（完了または取消しの後に送付してください）",
              "these vendors already have an unfinished request for the same questionnaire (finish or cancel it first)"),
            details=[f"{r.vendor_id}: request {r.id} ({r.state})" for r in busy],
        )
    now = clock.now()
    campaign = QuestionnaireCampaign(
        name=name or f"{questionnaire.title.ja} {questionnaire.version}", version_id=version.id, due_date=due_date,
        due_at=due_instant(due_date, zone), created_at=now, created_by=actor, note=note,
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    audit.record(session, actor=actor, action="questionnaire.campaign.send", target=f"campaign:{campaign.id}",
                 details={"questionnaire": questionnaire.id, "version": questionnaire.version, "sha256": version.sha256,
                          "vendors": wanted, "due_date": due_date.isoformat(), "name": campaign.name}, clock=clock)
    warnings: list[Text] = []
    requests: list[QuestionnaireRequest] = []
    for vendor_id in wanted:
        vendor = known[vendor_id]
        request = QuestionnaireRequest(
            campaign_id=campaign.id, vendor_id=vendor_id, version_id=version.id, questionnaire_id=questionnaire.id,
            state="not_started", due_at=campaign.due_at, created_at=now, state_changed_at=now,
        )
        session.add(request)
        session.flush()
        assert request.id is not None
        session.add(QuestionnaireRequestHistory(request_id=request.id, at=now, from_state=None, to_state="not_started",
                                                actor=actor, note=note))
        audit.record(session, actor=actor, action="questionnaire.request.create", target=f"request:{request.id}",
                     details={"vendor": vendor_id, "campaign": campaign.id, "questionnaire": questionnaire.id,
                              "to": "not_started"}, clock=clock)
        requests.append(request)
        if not vendor.contacts:
            warnings.append(t(f"{vendor_id} には連絡先（contacts）がないため、リマインダーは送られません",
                              f"{vendor_id} has no contacts: no reminder can be sent"))
        if questionnaire.audience == "sub_vendor" and vendor.parent is None:
            warnings.append(t(f"{vendor_id} は再委託先ではありませんが、再委託先向けの質問票を送付しました",
                              f"{vendor_id} is not a sub-vendor, but the questionnaire is written for sub-vendors"))
    session.flush()
    return SentCampaign(campaign, version, requests, warnings)


def cancel_request(session: Session, request_id: int, *, actor: str, reason: str, clock: Clock) -> QuestionnaireRequest:
    """The firm withdraws a request (sent to the wrong vendor, superseded); a reason is required."""
    if not reason.strip():
        raise QuestionnaireError(t("取消しの理由を入力してください", "give a reason for cancelling"))
    request = get_request(session, request_id, for_update=True)
    transition(session, request, "cancel", actor=actor, clock=clock, note=reason.strip())
    return request


@dataclass(frozen=True)
class RequestStatus:
    """One line of ``campaign status``: where a request stands."""

    request_id: int
    campaign_id: int
    campaign: str
    questionnaire_id: str
    version: str
    vendor_id: str
    parent_id: str | None
    state: str
    due_date: date
    days_left: int
    overdue: bool
    submitted_at: datetime | None
    submissions: int
    score: float | None
    result: str | None


def request_statuses(session: Session, registry: Registry, clock: Clock, *, campaign_id: int | None = None,
                     vendor_ids: Sequence[str] | None = None) -> list[RequestStatus]:
    """Where every request stands (optionally of one campaign or some vendors), newest campaign first."""
    zone = registry.organization.timezone
    today = local_today(clock, zone)
    parents = {v.id: v.parent for v in registry.vendors}
    query = (select(QuestionnaireRequest, QuestionnaireCampaign, QuestionnaireVersion)
             .join(QuestionnaireCampaign, col(QuestionnaireCampaign.id) == QuestionnaireRequest.campaign_id)
             .join(QuestionnaireVersion, col(QuestionnaireVersion.id) == QuestionnaireRequest.version_id))
    if campaign_id is not None:
        query = query.where(QuestionnaireRequest.campaign_id == campaign_id)
    if vendor_ids is not None:
        query = query.where(col(QuestionnaireRequest.vendor_id).in_(list(vendor_ids)))
    rows = session.exec(query.order_by(col(QuestionnaireCampaign.id).desc(), col(QuestionnaireRequest.vendor_id))).all()
    latest: dict[int, QuestionnaireSubmission] = {}
    ids = [r.id for r, _, _ in rows if r.id is not None]
    if ids:
        for submission in session.exec(select(QuestionnaireSubmission)
                                       .where(col(QuestionnaireSubmission.request_id).in_(ids))
                                       .order_by(col(QuestionnaireSubmission.number))):
            latest[submission.request_id] = submission
    out: list[RequestStatus] = []
    for request, campaign, version in rows:
        assert request.id is not None and campaign.id is not None
        last = latest.get(request.id)
        days_left = (campaign.due_date - today).days
        out.append(RequestStatus(
            request.id, campaign.id, campaign.name, version.questionnaire_id, version.version, request.vendor_id,
            parents.get(request.vendor_id), request.state, campaign.due_date, days_left,
            request.state in OPEN and clock.now() >= request.due_at, request.submitted_at, request.submissions,
            last.score if last and request.state in ANSWERED else None,
            last.result if last and request.state in ANSWERED else None,
        ))
    return out
