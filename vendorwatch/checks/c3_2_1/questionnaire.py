"""3.2.1 in the questionnaires: overdue requests, expired evidence documents, gaps the vendor declares.

Periodic monitoring rests partly on what vendors answer and prove: a request left unanswered past its due date
and a certificate or report past its validity are gaps in that monitoring.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from vendorwatch.checks.answers import declared_gap_check
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import CAMPAIGNS, DOCUMENTS, REQUESTS, VERSIONS
from vendorwatch.i18n import t

WAITING = ("not_started", "in_progress", "changes_requested")
DOCUMENT_NAMES = {
    "iso27001_certificate": ("ISO/IEC 27001 認証書", "ISO/IEC 27001 certificate"),
    "isms_certificate": ("ISMS 認証書", "ISMS certificate"),
    "pentest_report": ("ペネトレーションテスト報告書", "penetration-test report"),
    "soc2_report": ("SOC 2 報告書", "SOC 2 report"),
    "other": ("証跡文書", "evidence document"),
}

declared_gap = declared_gap_check("3.2.1", __name__)


@check(
    id="questionnaire.request_overdue",
    control="3.2.1",
    severity="medium",
    title=t("回答期限を過ぎた質問票", "Questionnaire overdue"),
    remediation=t(
        "委託先の担当者に回答を督促し、必要であれば期限を再設定してください。長期の未回答は委託先管理上の問題として経営層に報告します。",
        "Chase the vendor's contact for the answers and, if needed, agree a new date; a request left unanswered for "
        "long is reported to management as a vendor-management issue.",
    ),
    parameters={"escalate_after_days": 30},
)
def request_overdue(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A request still waiting for the vendor after its due date (high after ``escalate_after_days``).

    Waiting: not started, in progress, or returned with notes; a submitted request waits for the firm instead.
    """
    rows = ctx.session.execute(
        select(REQUESTS.c.id, REQUESTS.c.vendor_id, REQUESTS.c.state, REQUESTS.c.due_at, CAMPAIGNS.c.name,
               CAMPAIGNS.c.due_date, VERSIONS.c.questionnaire_id, VERSIONS.c.version)
        .join(CAMPAIGNS, CAMPAIGNS.c.id == REQUESTS.c.campaign_id)
        .join(VERSIONS, VERSIONS.c.id == REQUESTS.c.version_id)
        .where(REQUESTS.c.state.in_(WAITING))
        .order_by(REQUESTS.c.id)
    )
    for row in rows:
        due_at = as_utc(row.due_at)
        assert due_at is not None
        if ctx.now < due_at:
            continue
        days = (ctx.now - due_at).days + 1
        escalate = int(ctx.parameters(row.vendor_id)["escalate_after_days"])  # type: ignore[arg-type]
        yield FindingDraft(
            row.vendor_id, f"request:{row.id}",
            Evidence(details={"request": row.id, "campaign": row.name, "questionnaire": row.questionnaire_id,
                              "version": row.version, "state": row.state, "due_date": row.due_date.isoformat(),
                              "days_overdue": days}),
            t(f"質問票 {row.questionnaire_id} {row.version}（{row.name}）の回答期限 {row.due_date.isoformat()} を "
              f"{days} 日過ぎています（状態: {row.state}）",
              f"questionnaire {row.questionnaire_id} {row.version} ({row.name}) is {days} day(s) past its due date "
              f"{row.due_date.isoformat()} (state: {row.state})"),
            severity="high" if days > escalate else None,
        )


@check(
    id="evidence.document_expired",
    control="3.2.1",
    severity="medium",
    title=t("有効期限切れの証跡文書（認証書・診断報告書等）", "Evidence document expired (certificate, test report)"),
    remediation=t(
        "委託先に更新後の認証書・報告書の提出を求め、`vendorwatch evidence add` または質問票で登録してください。",
        "Ask the vendor for the renewed certificate or report and register it (`vendorwatch evidence add` or "
        "through a questionnaire).",
    ),
)
def document_expired(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """The newest document of a kind for a vendor (not withdrawn) whose validity ended before today (local)."""
    today = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()
    newest: dict[tuple[str, str], Any] = {}
    for row in ctx.session.execute(
        select(DOCUMENTS.c.id, DOCUMENTS.c.vendor_id, DOCUMENTS.c.kind, DOCUMENTS.c.title, DOCUMENTS.c.valid_until,
               DOCUMENTS.c.file_id)
        .where(DOCUMENTS.c.withdrawn_at.is_(None), DOCUMENTS.c.valid_until.is_not(None))
        .order_by(DOCUMENTS.c.vendor_id, DOCUMENTS.c.kind, DOCUMENTS.c.valid_until, DOCUMENTS.c.id)
    ):
        newest[(row.vendor_id, row.kind)] = row  # ordered by validity: the last one is the newest
    for (vendor_id, kind), row in sorted(newest.items()):
        until: date = row.valid_until
        if until >= today:
            continue
        ja, en = DOCUMENT_NAMES.get(kind, (kind, kind))
        days = (today - until).days
        yield FindingDraft(
            vendor_id, f"document:{kind}",
            Evidence(details={"document": row.id, "kind": kind, "title": row.title, "file": row.file_id,
                              "valid_until": until.isoformat(), "days_expired": days}),
            t(f"{ja}「{row.title}」の有効期限 {until.isoformat()} を {days} 日過ぎています（更新版の登録なし）",
              f"{en} '{row.title}' expired on {until.isoformat()}, {days} day(s) ago, and no renewal is registered"),
        )
