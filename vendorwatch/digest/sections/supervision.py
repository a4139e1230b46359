"""Sub-vendor chains (multi-tier outsourcing, 3.2.7): who works for whom, and how each sub-vendor is supervised."""

from __future__ import annotations

from vendorwatch.digest.context import DigestContext, severity_counts
from vendorwatch.digest.labels import count
from vendorwatch.digest.model import DigestModel
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.digest.timeline import FindingState
from vendorwatch.i18n import Text, t


class ChainMember(DigestModel):
    """A sub-vendor in a chain, at its depth under the vendor the firm engaged."""

    vendor_id: str
    name: Text
    depth: int  # 1: works for the engaged vendor; 2: for a sub-vendor; ...
    handles_customer_data: bool
    sources: int
    sources_collected: int
    open_by_severity: dict[str, int]
    supervision_findings: int  # open 3.2.7 findings about it (held by its parent)
    score: int | None
    state: str  # monitored | unsupervised | through_parent | not_collected


class Chain(DigestModel):
    """An engaged vendor and every tier below it."""

    vendor_id: str
    name: Text
    score: int | None
    rolled_up_points: int
    members: list[ChainMember]


class Supervision(DigestModel):
    """Every vendor that has sub-vendors."""

    chains: list[Chain]
    sub_vendors: int
    unsupervised: int


def build(ctx: DigestContext) -> tuple[Supervision, Text]:
    """The vendor tree of the registry in force, with each sub-vendor's monitoring and findings."""
    children: dict[str, list[str]] = {}
    for vendor in ctx.registry.vendors:
        if vendor.parent is not None:
            children.setdefault(vendor.parent, []).append(vendor.id)
    health: dict[str, list[str]] = {}
    for item in ctx.health_now:
        health.setdefault(item.vendor_id, []).append(item.state)
    own: dict[str, list[FindingState]] = {v: [] for v in ctx.vendors}
    for finding_state in ctx.states:  # one pass: with 200 vendors a pass per vendor took 2.6 s
        if finding_state.finding.vendor_id in own:
            own[finding_state.finding.vendor_id].append(finding_state)
    supervision: dict[str, int] = {}
    for state in ctx.states:
        if state.active and state.finding.control_id == "3.2.7" and state.finding.subject.startswith("subvendor:"):
            sub = state.finding.subject.removeprefix("subvendor:")
            supervision[sub] = supervision.get(sub, 0) + 1

    def members(parent: str, depth: int, seen: set[str]) -> list[ChainMember]:
        found: list[ChainMember] = []
        for child in children.get(parent, []):
            if child in seen:
                continue
            vendor = ctx.vendors[child]
            states = health.get(child, [])
            collected = sum(1 for s in states if s == "fresh")
            if supervision.get(child):
                state = "unsupervised"
            elif not states:
                state = "unsupervised" if vendor.handles_customer_data else "through_parent"
            elif collected < len(states):
                state = "not_collected"
            else:
                state = "monitored"
            found.append(ChainMember(
                vendor_id=child, name=vendor.name.text(), depth=depth,
                handles_customer_data=vendor.handles_customer_data, sources=len(states), sources_collected=collected,
                open_by_severity=severity_counts(own.get(child, [])), supervision_findings=supervision.get(child, 0),
                score=ctx.this_month.score(child), state=state))
            found.extend(members(child, depth + 1, seen | {child}))
        return found

    chains = []
    for vendor in ctx.registry.vendors:
        if vendor.id in children and ctx.top_level(vendor.id):
            row = ctx.this_month.vendors.get(vendor.id)
            chains.append(Chain(vendor_id=vendor.id, name=vendor.name.text(), score=row.score if row else None,
                                rolled_up_points=row.rolled_up_points if row else 0,
                                members=members(vendor.id, 1, {vendor.id})))
    subs = sum(len(c.members) for c in chains)
    unsupervised = sum(1 for c in chains for m in c.members if m.state == "unsupervised")
    if not chains:
        return Supervision(chains=[], sub_vendors=0, unsupervised=0), t("再委託先は登録されていません",
                                                                         "No sub-vendors are registered")
    return (Supervision(chains=chains, sub_vendors=subs, unsupervised=unsupervised),
            t(f"再委託先 {subs} 社のうち監督の証跡がないもの {unsupervised} 社",
              f"{unsupervised} of {count(subs, 'sub-vendor')} without supervision evidence"))


SECTION = SectionSpec(key="supervision", order=50, title=t("再委託先の監督（3.2.7）", "Supervision of sub-vendors (3.2.7)"),
                      build=build)
