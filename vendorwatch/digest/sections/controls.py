"""Each control 3.2.1–3.2.7: its status at the month's end and the findings behind it."""

from __future__ import annotations

from collections import Counter

from vendorwatch.controls.catalog import load_catalog
from vendorwatch.digest.context import DigestContext, by_importance, severity_counts
from vendorwatch.digest.model import DigestModel, FindingRef
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.digest.timeline import FindingState
from vendorwatch.i18n import Text, t

MAX_FINDINGS = 8


class ControlStatus(DigestModel):
    """One control at the end of the month."""

    id: str
    item: str
    title: Text
    status: str  # alert | attention | watch | ok
    checks: int
    open_by_severity: dict[str, int]
    open: int
    overdue: int
    accepted: int
    findings: list[FindingRef]
    more: int  # findings not listed


class Controls(DigestModel):
    """The seven controls."""

    controls: list[ControlStatus]


def _status(counts: dict[str, int], overdue: int) -> str:
    if counts.get("critical"):
        return "alert"
    if counts.get("high") or overdue:
        return "attention"
    if sum(counts.values()):
        return "watch"
    return "ok"


def build(ctx: DigestContext) -> tuple[Controls, Text]:
    """The status of every control and its most important findings."""
    catalog = load_catalog()
    by_control: dict[str, list[FindingState]] = {c.id: [] for c in catalog.controls}
    for state in ctx.states:
        if state.status in ("open", "acknowledged", "risk_accepted") and state.finding.control_id in by_control:
            by_control[state.finding.control_id].append(state)
    controls: list[ControlStatus] = []
    for control in catalog.controls:
        states = by_importance(by_control[control.id])
        active = [s for s in states if s.active]
        counts = severity_counts(active)
        overdue = sum(1 for s in active if ctx.overdue_days(s))
        listed = active[:MAX_FINDINGS]
        controls.append(ControlStatus(
            id=control.id, item=control.item, title=control.title, status=_status(counts, overdue),
            checks=len(catalog.checks_of(control.id)), open_by_severity=counts, open=len(active), overdue=overdue,
            accepted=sum(1 for s in states if s.status == "risk_accepted"), findings=[ctx.ref(s) for s in listed],
            more=len(active) - len(listed)))
    statuses = Counter(c.status for c in controls)
    needing = statuses["alert"] + statuses["attention"]
    summary = t(f"7 つの管理策のうち {needing} つに対応が必要（重大 {statuses['alert']}）",
                f"{needing} of the 7 controls need action ({statuses['alert']} critical)")
    return Controls(controls=controls), summary


SECTION = SectionSpec(key="controls", order=10, title=t("管理策ごとの状況（JSDA IV.3(2) ①〜⑦）",
                                                         "Controls (JSDA IV.3(2) ①–⑦)"), build=build)
