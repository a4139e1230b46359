"""Findings opened, resolved and overdue in the month (overdue against the registry's resolution deadlines)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from vendorwatch.digest.context import DigestContext, by_importance
from vendorwatch.digest.labels import SEVERITIES
from vendorwatch.digest.model import DigestModel, FindingRef
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.findings.lifecycle import SYSTEM_ACTOR
from vendorwatch.i18n import Text, t

MAX_LISTED = 15
MAX_OVERDUE = 30


class Resolution(DigestModel):
    """A finding resolved in the month: when, by whom (or automatically) and why."""

    finding: FindingRef
    at: datetime
    automatic: bool
    actor: str
    reason: str


class Activity(DigestModel):
    """The month's movement of findings."""

    opened_by_severity: dict[str, int]
    opened: list[FindingRef]
    opened_more: int
    reopened: int
    resolved_by_severity: dict[str, int]
    resolved: list[Resolution]
    resolved_more: int
    overdue_by_severity: dict[str, int]
    overdue: list[FindingRef]
    overdue_more: int
    deadlines: dict[str, int | None]


def _counts(severities: list[str]) -> dict[str, int]:
    counted = Counter(severities)
    return {s: counted.get(s, 0) for s in SEVERITIES}


def build(ctx: DigestContext) -> tuple[Activity, Text]:
    """Opened and resolved in ``[start, as_of)``; overdue at ``as_of``."""
    changes = ctx.timeline.changes_between(ctx.start, ctx.as_of)
    states = {s.finding.id: s for s in ctx.states}
    opened_ids = list(dict.fromkeys(c.finding_id for c in changes
                                    if c.to_status == "open" and c.from_status in (None, "resolved")))
    reopened = sum(1 for c in changes if c.to_status == "open" and c.from_status == "resolved")
    opened_states = by_importance([states[i] for i in opened_ids if i in states])
    resolutions = [c for c in changes if c.to_status == "resolved"]
    last_resolution = {c.finding_id: c for c in resolutions}
    resolved_states = by_importance([states[i] for i in last_resolution if i in states])
    active = by_importance([s for s in ctx.states if s.active])
    overdue = sorted((s for s in active if ctx.overdue_days(s)), key=lambda s: -(ctx.overdue_days(s) or 0))
    resolved = [Resolution(finding=ctx.ref(s), at=last_resolution[s.finding.id or 0].at,
                           automatic=last_resolution[s.finding.id or 0].actor == SYSTEM_ACTOR,
                           actor=last_resolution[s.finding.id or 0].actor,
                           reason=ctx.mask(last_resolution[s.finding.id or 0].reason))
                for s in resolved_states[:MAX_LISTED]]
    data = Activity(
        opened_by_severity=_counts([s.finding.severity for s in opened_states]),
        opened=[ctx.ref(s) for s in opened_states[:MAX_LISTED]], opened_more=max(0, len(opened_states) - MAX_LISTED),
        reopened=reopened,
        resolved_by_severity=_counts([s.finding.severity for s in resolved_states]),
        resolved=resolved, resolved_more=max(0, len(resolved_states) - MAX_LISTED),
        overdue_by_severity=_counts([s.finding.severity for s in overdue]),
        overdue=[ctx.ref(s) for s in overdue[:MAX_OVERDUE]], overdue_more=max(0, len(overdue) - MAX_OVERDUE),
        deadlines={s: ctx.deadline_days(s) for s in SEVERITIES},
    )
    summary = t(f"新規・再発 {len(opened_states)} 件、解決 {len(resolved_states)} 件、期限超過 {len(overdue)} 件",
                f"{len(opened_states)} opened or reopened, {len(resolved_states)} resolved, {len(overdue)} overdue")
    return data, summary


SECTION = SectionSpec(key="activity", order=30, title=t("今月の指摘事項の動き", "Findings this month"), build=build)
