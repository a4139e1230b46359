"""Questionnaires overdue at the month's end: requests still waiting for the vendor after their due date, as the
3.2.1 check sees them (from the questionnaire tables, the state each request had at the month's end)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import CAMPAIGNS as _CAMPAIGNS
from vendorwatch.db.core_tables import REQUEST_HISTORY as _HISTORY
from vendorwatch.db.core_tables import REQUESTS as _REQUESTS
from vendorwatch.db.core_tables import VERSIONS as _VERSIONS
from vendorwatch.digest.context import DigestContext
from vendorwatch.digest.model import DigestModel
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.i18n import Text, t

WAITING = ("not_started", "in_progress", "changes_requested")  # waiting for the vendor (as the 3.2.1 check)
STATES: dict[str, Text] = {
    "not_started": t("未着手", "not started"),
    "in_progress": t("回答中", "in progress"),
    "changes_requested": t("差戻し中", "returned for changes"),
}


class OverdueRequest(DigestModel):
    """One request past its due date at the month's end."""

    request_id: int
    vendor: Text
    questionnaire: Text
    version: str
    campaign: str
    due_date: date  # the local date the firm gave (due at its end)
    due_at: datetime
    days_overdue: int
    state: Text


class OverdueQuestionnaires(DigestModel):
    """Every overdue request, the longest overdue first, and how many requests were open at all."""

    overdue: list[OverdueRequest]
    waiting: int  # requests waiting for the vendor at the month's end (overdue or not)
    vendors: int  # vendors with an overdue request


def _states_at(ctx: DigestContext, request_ids: list[int]) -> dict[int, str]:
    """Each request's state at ``as_of`` from its history (the last change before it)."""
    states: dict[int, str] = {}
    if not request_ids:
        return states
    rows = ctx.session.execute(
        select(_HISTORY.c.request_id, _HISTORY.c.to_state)
        .where(_HISTORY.c.request_id.in_(request_ids), _HISTORY.c.at < ctx.as_of)
        .order_by(_HISTORY.c.request_id, _HISTORY.c.at, _HISTORY.c.id))
    for row in rows:
        states[row.request_id] = row.to_state
    return states


def build(ctx: DigestContext) -> tuple[OverdueQuestionnaires, Text]:
    """Requests that existed at ``as_of``, were waiting for the vendor then, and were past their due date."""
    rows = list(ctx.session.execute(
        select(_REQUESTS.c.id, _REQUESTS.c.vendor_id, _REQUESTS.c.state, _REQUESTS.c.due_at, _CAMPAIGNS.c.name,
               _CAMPAIGNS.c.due_date, _VERSIONS.c.title_ja, _VERSIONS.c.title_en, _VERSIONS.c.version)
        .join(_CAMPAIGNS, _CAMPAIGNS.c.id == _REQUESTS.c.campaign_id)
        .join(_VERSIONS, _VERSIONS.c.id == _REQUESTS.c.version_id)
        .where(_REQUESTS.c.created_at < ctx.as_of)
        .order_by(_REQUESTS.c.id)))
    states = _states_at(ctx, [row.id for row in rows])
    waiting = 0
    overdue: list[OverdueRequest] = []
    for row in rows:
        state = states.get(row.id, row.state)
        if state not in WAITING:
            continue
        waiting += 1
        due_at = as_utc(row.due_at)
        if due_at >= ctx.as_of:
            continue
        overdue.append(OverdueRequest(
            request_id=row.id, vendor=ctx.vendor_name(row.vendor_id),
            questionnaire=t(row.title_ja, row.title_en), version=row.version, campaign=ctx.mask(row.name),
            due_date=row.due_date, due_at=due_at, days_overdue=(ctx.as_of - due_at).days + 1,  # as the 3.2.1 check counts
            state=STATES[state]))
    overdue.sort(key=lambda r: (-r.days_overdue, r.request_id))
    vendors = len({r.vendor.en for r in overdue})
    summary = t(f"回答期限を過ぎた質問票 {len(overdue)} 件（委託先 {vendors} 社、回答待ち全体 {waiting} 件）",
                f"{len(overdue)} questionnaire request(s) past their due date at {vendors} vendor(s) "
                f"({waiting} waiting for vendors in all)")
    return OverdueQuestionnaires(overdue=overdue, waiting=waiting, vendors=vendors), summary


SECTION = SectionSpec(key="questionnaires", order=55,
                      title=t("回答期限を過ぎた質問票", "Questionnaires overdue"), build=build)
