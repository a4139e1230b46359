"""Risk acceptances in force at the month's end and their expiry; those that lapsed during the month."""

from __future__ import annotations

from datetime import datetime

from vendorwatch.digest.context import DigestContext, by_importance
from vendorwatch.digest.labels import count
from vendorwatch.digest.model import DigestModel, FindingRef
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.i18n import Text, t


class Acceptance(DigestModel):
    """A risk someone accepted, until when, and why."""

    finding: FindingRef
    accepted_by: str | None
    accepted_at: datetime | None
    reason: str
    until: datetime | None
    days_left: int | None
    expiring: bool  # within the registry's acceptance_warning_days


class Lapsed(DigestModel):
    """An acceptance that expired during the month (the finding reopened)."""

    finding: FindingRef
    at: datetime


class Acceptances(DigestModel):
    """Risk acceptances."""

    active: list[Acceptance]
    lapsed: list[Lapsed]
    warning_days: int


def build(ctx: DigestContext) -> tuple[Acceptances, Text]:
    """Every acceptance in force at ``as_of``, the soonest to expire first."""
    warn = ctx.settings.acceptance_warning_days
    active: list[Acceptance] = []
    for state in by_importance([s for s in ctx.states if s.status == "risk_accepted"]):
        days = (state.accepted_until - ctx.as_of).days if state.accepted_until else None
        active.append(Acceptance(finding=ctx.ref(state), accepted_by=state.accepted_by, accepted_at=state.accepted_at,
                                 reason=ctx.mask(state.accepted_reason), until=state.accepted_until, days_left=days,
                                 expiring=days is not None and days <= warn))
    active.sort(key=lambda a: (a.until is None, a.until or ctx.as_of))
    states = {s.finding.id: s for s in ctx.states}
    lapsed = [Lapsed(finding=ctx.ref(states[c.finding_id]), at=c.at)
              for c in ctx.timeline.changes_between(ctx.start, ctx.as_of)
              if c.from_status == "risk_accepted" and c.to_status == "open" and c.finding_id in states]
    expiring = sum(1 for a in active if a.expiring)
    summary = t(f"リスク受容 {len(active)} 件（{warn} 日以内に期限 {expiring} 件、今月失効 {len(lapsed)} 件）",
                f"{count(len(active), 'risk acceptance')} ({expiring} expiring within {warn} days, "
                f"{len(lapsed)} lapsed this month)")
    return Acceptances(active=active, lapsed=lapsed, warning_days=warn), summary


SECTION = SectionSpec(key="acceptances", order=40, title=t("リスク受容と期限", "Risk acceptances and their expiry"),
                      build=build)
