"""3.2.7 multi-tier outsourcing: does the vendor supervise its sub-vendors that handle customer data?"""

from __future__ import annotations

from collections.abc import Iterator

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.i18n import t


@check(
    id="supervision.subvendor_unsupervised",
    control="3.2.7",
    severity="high",
    title=t("監督の証跡がない顧客データ取扱い再委託先", "Sub-vendor handling customer data with no supervision evidence"),
    remediation=t(
        "委託先に再委託先の監督状況（点検結果・質問票）を提出させ、再委託先の監視ソースを登録してください。",
        "Have the vendor show how it supervises the sub-vendor (reviews, questionnaire) and register a "
        "monitoring source for the sub-vendor.",
    ),
)
def subvendor_unsupervised(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A customer-data sub-vendor with no monitoring source (questionnaires count once they exist).

    The finding belongs to the parent, whose duty the supervision is; its subject is the sub-vendor.
    """
    for vendor in ctx.vendors:
        if vendor.parent is None or not vendor.handles_customer_data or vendor.sources:
            continue
        missing = ["source", "questionnaire"]
        yield FindingDraft(
            vendor.parent, f"subvendor:{vendor.id}",
            Evidence(details={"sub_vendor": vendor.id, "missing": missing}),
            t(f"再委託先 {vendor.name.ja} は顧客情報を扱いますが、監視ソースも質問票回答もありません",
              f"sub-vendor {vendor.name.en} handles customer data but has no monitoring source and no questionnaire"),
        )
