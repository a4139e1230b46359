"""3.2.3 access restrictions on customer data opened from inside: public access blocks removed, resource
policies and role trust opened to outside accounts, and the attempts to do so.

How grantees are read and judged is in ``vendorwatch.checks.exposure``; how long a protection stayed off
in ``vendorwatch.checks.outages``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vendorwatch.checks.attempts import attempt_drafts
from vendorwatch.checks.exposure import READERS, exposure_drafts, outside, resource_name
from vendorwatch.checks.model import EvaluationContext, FindingDraft, check
from vendorwatch.checks.outages import Scope, Switch, outage_drafts
from vendorwatch.i18n import t

RESOURCE_POLICY_ACTIONS = ("AddPermission20150331", "AddPermission20150331v2", "AddLayerVersionPermission20181031",
                           "AddPermission", "SetTopicAttributes", "CreateTopic", "SetQueueAttributes", "CreateQueue",
                           "PutResourcePolicy", "DeleteResourcePolicy", "SetRepositoryPolicy", "DeleteRepositoryPolicy")
TRUST_ACTIONS = ("CreateRole", "UpdateAssumeRolePolicy", "DeleteRole")
_BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _weakened(row: Any) -> list[str]:
    """The public-access-block settings a call leaves off (all four for a delete)."""
    if row.action.startswith("Delete"):
        return list(_BLOCK_FLAGS)
    configuration = (row.details or {}).get("PublicAccessBlockConfiguration") or {}
    return [f for f in _BLOCK_FLAGS if str(configuration.get(f, "false")).lower() != "true"]


def _customer_accounts(ctx: EvaluationContext) -> set[str]:
    return {a for v in ctx.vendors for e in v.environments if any(b.data_class == "customer" for b in e.buckets)
            for a in e.aws_accounts}


def _block_off(row: Any, scope: Scope) -> str | None:
    account_level = "Account" in row.action
    if not (row.customer_data or (account_level and row.account_id in scope.facts)):
        return None  # only customer-data buckets (or an account holding one) are judged
    weakened = _weakened(row)
    if not weakened:
        return None
    where = f"account {row.account_id}" if account_level else str(row.bucket)
    return f"{where} ({', '.join(weakened)})"


def _block_on(row: Any, _scope: Scope) -> bool:
    return not row.action.startswith("Delete") and not _weakened(row)


def _block_key(row: Any) -> str:
    return f"account {row.account_id}" if "Account" in row.action else str(row.bucket)


PUBLIC_ACCESS_BLOCK = Switch(
    what=("公開アクセスブロック", "the public access block of"),
    off={"DeletePublicAccessBlock": _block_off, "PutPublicAccessBlock": _block_off,
         "DeleteAccountPublicAccessBlock": _block_off, "PutAccountPublicAccessBlock": _block_off},
    on={"PutPublicAccessBlock": _block_on, "PutAccountPublicAccessBlock": _block_on},
    key=_block_key, prepare=_customer_accounts)


@check(
    id="aws.s3.public_access_block_removed",
    control="3.2.3",
    severity="high",
    title=t("顧客データバケットの公開アクセスブロックの解除", "Public access block removed from a customer-data bucket"),
    remediation=t(
        "公開アクセスブロックの 4 項目をすべて有効に戻し、解除中に付与された公開ポリシー・ACL がないか確認してください。",
        "Turn all four public-access-block settings back on and check for public policies or ACLs added "
        "while it was off.",
    ),
    kind="act",
)
def public_access_block_removed(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """DeletePublicAccessBlock, or a PutPublicAccessBlock leaving a setting off, on a customer-data bucket
    (or on the account holding one); how long until all four were on again."""
    yield from outage_drafts(ctx, PUBLIC_ACCESS_BLOCK)


@check(
    id="aws.resource_policy.opened_outside",
    control="3.2.3",
    severity="high",
    title=t("Lambda・SNS・SQS・Secrets Manager・ECR のリソースポリシーを委託先外に開放",
            "Lambda, SNS, SQS, Secrets Manager or ECR resource policy opened outward"),
    remediation=t(
        "当該リソースポリシーから委託先外のアカウント・全員（*）を削除してください（RemovePermission、"
        "DeleteResourcePolicy など）。開放中の呼出し・読出しを確認してください。",
        "Remove the outside account or everyone (*) from the resource policy (RemovePermission, "
        "DeleteResourcePolicy, ...) and review the calls and reads made while it was open.",
    ),
    kind="act",
)
def resource_policy_opened_outside(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful permissions and resource policies granting an account outside the vendor's chain, or everyone."""
    yield from exposure_drafts(ctx, RESOURCE_POLICY_ACTIONS, ("リソースポリシー", "resource policy"))


@check(
    id="aws.iam.role_trusts_outside",
    control="3.2.3",
    severity="critical",
    title=t("委託先外のアカウントを信頼する IAM ロール（バックドアロール）",
            "IAM role trusting an outside account (a backdoor role)"),
    remediation=t(
        "ロールの信頼ポリシーから委託先外のアカウントを削除し、そのアカウントからの AssumeRole の記録を確認してください。",
        "Remove the outside account from the role's trust policy and look for AssumeRole calls from it.",
    ),
    kind="act",
)
def role_trusts_outside(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """CreateRole / UpdateAssumeRolePolicy whose trust policy lets an account outside the vendor's chain in."""
    yield from exposure_drafts(ctx, TRUST_ACTIONS, ("ロールの信頼ポリシー", "trust policy"))


_OPENING = tuple(a for a in READERS if not a.startswith("Delete")) + tuple(PUBLIC_ACCESS_BLOCK.off)


@check(
    id="aws.resource_policy.exposure_attempt",
    control="3.2.3",
    severity="medium",
    title=t("リソースポリシー・ACL・信頼ポリシー変更の試行（失敗）",
            "Attempt to change a resource policy, ACL, trust policy or public access block (failed)"),
    remediation=t(
        "失敗した試行であり公開はされていませんが、誰がなぜ試みたかを委託先に確認してください。",
        "The attempt failed and nothing was opened, but ask the vendor who tried and why.",
    ),
    kind="attempt",
)
def exposure_attempt(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Failed calls that would have opened a resource to an outside account or everyone, or weakened the
    public access block of a customer-data bucket."""
    scope = Scope(ctx, _customer_accounts(ctx))

    def target(row: Any) -> str | None:
        if row.action in PUBLIC_ACCESS_BLOCK.off:
            return _block_off(row, scope)
        grantees = READERS[row.action](row.details or {}) or []
        inside = ctx.knowledge.chain_accounts(row.vendor_id)
        return resource_name(row) if any(outside(ctx, row, g, inside) for g in grantees) else None

    yield from attempt_drafts(ctx, _OPENING, target)
