"""3.2.4 customer data reachable from outside the vendor's accounts: bucket policies and ACLs, KMS keys.

A bucket policy or ACL that lets another account (or everyone) read a bucket, and a KMS key policy or grant
that lets another account decrypt, move the data out of the vendor as surely as a shared snapshot
(``aws.share.outside_vendor_accounts``). Accounts of the vendor and of vendors in one parent chain with it
are inside; an approved transfer naming the account covers a grant (see ``vendorwatch.checks.exposure``).
"""

from __future__ import annotations

from collections.abc import Iterator

from vendorwatch.checks.exposure import Exposure, exposure_drafts
from vendorwatch.checks.model import EvaluationContext, FindingDraft, Severity, check
from vendorwatch.i18n import t


def _bucket_severity(exposure: Exposure) -> Severity | None:
    customer = any(bool(r.customer_data) for r in exposure.granted)
    return "critical" if exposure.public or customer else None


@check(
    id="aws.s3.bucket_shared_outside",
    control="3.2.4",
    severity="high",
    title=t("バケットポリシー・ACL による委託先外アカウント・全員への公開",
            "Bucket policy or ACL granting an outside account or everyone"),
    remediation=t(
        "バケットポリシー・ACL から当該アカウント（または全員）を削除し、公開アクセスブロックを有効にしてください。"
        "正当な提供であれば移送承認（transfers の accounts）として登録してください。",
        "Remove the account (or everyone) from the bucket policy or ACL and turn the public access block on; "
        "if the sharing is legitimate, register it as an approved transfer (transfers, with accounts).",
    ),
    kind="act",
)
def bucket_shared_outside(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful PutBucketPolicy / PutBucketAcl granting an account outside the vendor's chain, or everyone."""
    yield from exposure_drafts(ctx, ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl"),
                               ("バケットポリシー・ACL", "bucket policy or ACL"), _bucket_severity)


@check(
    id="aws.kms.key_shared_outside",
    control="3.2.4",
    severity="high",
    title=t("KMS キーポリシー・グラントによる委託先外アカウントへの許可",
            "KMS key policy or grant to an outside account"),
    remediation=t(
        "キーポリシーから当該アカウントを削除し、グラントを取り消してください（RevokeGrant）。"
        "このキーで暗号化されたデータは外部で復号できる状態でした。",
        "Remove the account from the key policy and revoke the grant (RevokeGrant); data encrypted with this "
        "key could be decrypted outside meanwhile.",
    ),
    kind="act",
)
def key_shared_outside(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful PutKeyPolicy / CreateKey / CreateGrant letting an account outside the vendor's chain in."""
    yield from exposure_drafts(ctx, ("PutKeyPolicy", "CreateKey", "CreateGrant"),
                               ("KMS キーポリシー・グラント", "KMS key policy or grant"))
