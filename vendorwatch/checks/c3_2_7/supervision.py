"""3.2.7 multi-tier outsourcing: does the vendor supervise its sub-vendors that handle customer data?"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import REQUESTS
from vendorwatch.i18n import t


@check(
    id="supervision.subvendor_unsupervised",
    control="3.2.7",
    severity="high",
    title=t("監督の証跡がない顧客データ取扱い再委託先", "Sub-vendor handling customer data with no supervision evidence"),
    remediation=t(
        "再委託先に質問票（`vendorwatch campaign send`）を送付して回答を承認し、再委託先の監視ソースを登録してください。",
        "Send the sub-vendor a questionnaire (`vendorwatch campaign send`) and accept its answers, and register a "
        "monitoring source for the sub-vendor.",
    ),
    parameters={"questionnaire_max_age_days": 400},
)
def subvendor_unsupervised(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A customer-data sub-vendor with no monitoring source, or no questionnaire accepted lately.

    Lately: within ``questionnaire_max_age_days`` (a yearly cycle with some slack). The finding belongs to the
    parent, whose duty the supervision is; its subject is the sub-vendor.
    """
    accepted = {
        row.vendor_id: as_utc(row.last)
        for row in ctx.session.execute(
            select(REQUESTS.c.vendor_id, func.max(REQUESTS.c.accepted_at).label("last"))
            .where(REQUESTS.c.state == "accepted").group_by(REQUESTS.c.vendor_id)
        )
    }
    for vendor in ctx.vendors:
        if vendor.parent is None or not vendor.handles_customer_data:
            continue
        max_age = timedelta(days=float(ctx.parameters(vendor.id)["questionnaire_max_age_days"]))  # type: ignore[arg-type]
        last = accepted.get(vendor.id)
        missing = ([] if vendor.sources else ["source"]) + \
            ([] if last is not None and last >= ctx.now - max_age else ["questionnaire"])
        if not missing:
            continue
        what_ja = "・".join({"source": "監視ソース", "questionnaire": "承認済みの質問票回答"}[m] for m in missing)
        what_en = " and ".join({"source": "no monitoring source", "questionnaire": "no accepted questionnaire"}[m]
                               for m in missing)
        stale = last is not None and "questionnaire" in missing
        yield FindingDraft(
            vendor.parent, f"subvendor:{vendor.id}",
            Evidence(details={"sub_vendor": vendor.id, "missing": missing,
                              "last_accepted_questionnaire": last.isoformat() if last else None}),
            t(f"再委託先 {vendor.name.ja}は顧客情報を扱いますが、{what_ja}がありません"
              + (f"（最後の承認 {last.date().isoformat()}）" if stale and last else ""),
              f"sub-vendor {vendor.name.en} handles customer data but has {what_en}"
              + (f" (last accepted {last.date().isoformat()})" if stale and last else "")),
        )
