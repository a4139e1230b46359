"""The vendors with the highest risk at the month's end, and why (the largest reasons behind each score)."""

from __future__ import annotations

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.digest.context import DigestContext
from vendorwatch.digest.labels import SEVERITIES
from vendorwatch.digest.model import DigestModel
from vendorwatch.digest.sections import SectionSpec
from vendorwatch.i18n import Text, t

MAX_REASONS = 4


class Reason(DigestModel):
    """One contribution to a vendor's score."""

    points: int
    text: Text
    severity: str | None = None
    from_vendor: Text | None = None  # a sub-vendor whose points roll up into this vendor (3.2.7)


class VendorRisk(DigestModel):
    """A vendor's risk at the end of the month."""

    vendor_id: str
    name: Text
    tier: str | None
    parent: Text | None
    handles_customer_data: bool
    score: int
    level: str
    previous_score: int | None
    coverage: float
    sources: dict[str, int]
    open_by_severity: dict[str, int]
    accepted: int
    rolled_up_points: int
    reasons: list[Reason]


class Vendors(DigestModel):
    """The highest-risk vendors, and how many were evaluated."""

    vendors: list[VendorRisk]
    evaluated: int
    at_zero: int


def _reason(ctx: DigestContext, vendor_id: str, item: dict[str, object]) -> Reason:
    points = int(item.get("points") or 0)  # type: ignore[call-overload]
    origin = str(item.get("vendor") or vendor_id)
    from_vendor = ctx.vendor_name(origin) if origin != vendor_id else None
    if item.get("kind") == "coverage":
        return Reason(points=points, from_vendor=from_vendor,
                      text=t("監視ソースが SLA 内に収集されていない（カバレッジ不足）",
                             "monitoring sources not collected within their SLA (coverage gap)"))
    check_id = str(item.get("check") or "")
    check = checks_by_id().get(check_id)
    title = check.meta.title if check else t(check_id, check_id)
    finding = ctx.timeline.findings.get(int(item["finding_id"])) if item.get("finding_id") else None  # type: ignore[call-overload]
    subject = ctx.mask(finding.subject) if finding else ""
    number = f"#{item.get('finding_id')} " if item.get("finding_id") else ""
    return Reason(points=points, severity=str(item.get("severity") or "") or None, from_vendor=from_vendor,
                  text=t(f"{number}{title.ja}" + (f"（{subject}）" if subject else ""),
                         f"{number}{title.en}" + (f" ({subject})" if subject else "")))


def build(ctx: DigestContext) -> tuple[Vendors, Text]:
    """The ``top_vendors`` vendors with the highest score in the month's last evaluation."""
    rows = sorted(ctx.this_month.vendors.values(), key=lambda r: (-r.score, r.vendor_id))
    listed = [r for r in rows if r.score > 0][: ctx.settings.top_vendors]
    vendors: list[VendorRisk] = []
    for row in listed:
        vendor = ctx.vendors.get(row.vendor_id)
        parent = vendor.parent if vendor else None
        vendors.append(VendorRisk(
            vendor_id=row.vendor_id, name=ctx.vendor_name(row.vendor_id), tier=vendor.tier if vendor else None,
            parent=ctx.vendor_name(parent) if parent else None,
            handles_customer_data=bool(vendor and vendor.handles_customer_data), score=row.score, level=row.level,
            previous_score=ctx.last_month.score(row.vendor_id), coverage=row.coverage, sources=dict(row.sources),
            open_by_severity={s: int(row.open_by_severity.get(s, 0)) for s in SEVERITIES},
            accepted=row.accepted, rolled_up_points=row.rolled_up_points,
            reasons=[_reason(ctx, row.vendor_id, item) for item in row.reasons[:MAX_REASONS]],
        ))
    data = Vendors(vendors=vendors, evaluated=len(rows), at_zero=sum(1 for r in rows if r.score == 0))
    if not vendors:
        return data, t("リスクのある委託先はありません", "No vendor carries risk")
    top = vendors[0]
    return data, t(f"最もリスクが高い委託先: {top.name.ja}（スコア {top.score}）ほか {len(vendors) - 1} 社",
                   f"Highest risk: {top.name.en} (score {top.score}) and {len(vendors) - 1} more")


SECTION = SectionSpec(key="vendors", order=20, title=t("リスクの高い委託先", "Vendors with the highest risk"), build=build)
