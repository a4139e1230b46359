"""3.2.5 credentials and rights planted: keys or passwords made for another user, administrator rights given
outside an approved change (Stratus ``iam-create-backdoor-access-key``, ``iam-create-user-login-profile``,
``iam-create-admin-user``). Failed calls are attempts (``aws.iam.credential_plant_attempt``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from vendorwatch.checks.attempts import attempt_drafts
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.policies import is_administrator
from vendorwatch.checks.sql import calls
from vendorwatch.clock import as_utc
from vendorwatch.i18n import t

CREDENTIAL_CALLS = ("CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile")
ATTACH_CALLS = ("AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy")
INLINE_CALLS = ("PutUserPolicy", "PutRolePolicy", "PutGroupPolicy")
ADMIN_POLICIES = ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess",
                  "arn:aws:iam::aws:policy/AdministratorAccess-Amplify"]


def caller_user(principal: str | None) -> str | None:
    """The IAM user name of a caller (``arn:aws:iam::1:user/path/alice`` -> ``alice``); None for a role session."""
    if principal and ":user/" in principal:
        return principal.rsplit("/", 1)[-1]
    return None


def other_user(row: Any) -> str | None:
    """The user a credential call was for, when that is not the caller itself."""
    target = (row.details or {}).get("userName")
    if not target:
        return None  # no userName: the caller's own credential
    return str(target) if str(target) != caller_user(row.principal) else None


@check(
    id="aws.iam.credential_created_for_other_user",
    control="3.2.5",
    severity="high",
    title=t("他のユーザーのアクセスキー・パスワードの作成", "Access key or console password created for another user"),
    remediation=t(
        "作成した主体と目的を確認し、不要であればアクセスキー・ログインプロファイルを削除してください。"
        "認証情報は利用者本人が作成し、他人に渡さない運用にしてください。",
        "Find out who created it and why; delete the access key or login profile if it is not needed. Users "
        "create their own credentials; nobody hands credentials to someone else.",
    ),
    kind="act",
)
def credential_created_for_other_user(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful CreateAccessKey / CreateLoginProfile / UpdateLoginProfile for a user other than the caller."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for row in calls(ctx.session, CREDENTIAL_CALLS):
        target = other_user(row)
        if target is not None:
            grouped.setdefault((row.vendor_id, f"{row.account_id}:user/{target}"), []).append(row)
    for (vendor_id, subject), rows in grouped.items():
        callers = sorted({r.principal or "(unknown)" for r in rows})
        actions = sorted({r.action for r in rows})
        target = subject.rsplit("/", 1)[-1]
        yield FindingDraft(
            vendor_id, subject,
            Evidence([r.source_event_id for r in rows], callers,
                     {"user": target, "actions": actions, "account": rows[0].account_id,
                      "first": str(as_utc(rows[0].event_time))}),
            t(f"{', '.join(callers)} がユーザー {target} の認証情報を作成（{', '.join(actions)}）",
              f"{', '.join(callers)} created credentials for user {target} ({', '.join(actions)})"),
        )


def admin_grant(row: Any, admin_policies: list[str]) -> str | None:
    """What administrator right a call gives (the managed policy, or ``inline <name>``), or None."""
    details = row.details or {}
    if row.action in ATTACH_CALLS:
        arn = str(details.get("policyArn") or "")
        return arn if arn in admin_policies or arn.endswith(":policy/AdministratorAccess") else None
    if row.action in INLINE_CALLS and is_administrator(details.get("policyDocument")):
        return f"inline {details.get('policyName') or '(policy)'}"
    return None


def grantee(row: Any) -> str:
    """``user/NAME``, ``role/NAME`` or ``group/NAME`` the policy was attached to."""
    details = row.details or {}
    for kind in ("user", "role", "group"):
        if details.get(f"{kind}Name"):
            return f"{kind}/{details[f'{kind}Name']}"
    return "(unknown)"


def approved_change(ctx: EvaluationContext, row: Any, target: str) -> str | None:
    """The id of the approved change (registry ``changes``) covering an administrator grant, if any."""
    when = as_utc(row.event_time)
    arn = f"arn:aws:iam::{row.account_id}:{target}"
    name = target.split("/", 1)[-1]
    for change in ctx.registry.changes:
        if not ctx.knowledge.in_one_chain(change.vendor, row.vendor_id):
            continue
        if not change.window.start <= when <= change.window.end:
            continue
        if any(fnmatch.fnmatchcase(value, pattern) for pattern in change.targets for value in (arn, target, name)):
            return change.id
    return None


@check(
    id="aws.iam.admin_policy_attached",
    control="3.2.5",
    severity="critical",
    title=t("承認された変更によらない管理者権限の付与", "Administrator policy attached outside an approved change"),
    remediation=t(
        "付与した主体と目的を確認し、不要であればポリシーを外してください。計画作業であれば台帳の changes に承認"
        "（対象・期間・承認者）を登録してください。",
        "Find out who attached it and why and detach it if not needed; planned work belongs in the registry's "
        "changes (targets, window, approver).",
    ),
    parameters={"admin_policies": ADMIN_POLICIES},
    kind="act",
)
def admin_policy_attached(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """AdministratorAccess (or the vendor's ``admin_policies``, or an inline ``*`` on ``*``) attached to a user,
    role or group, unless an approved change covers the target at that time."""
    for row in calls(ctx.session, (*ATTACH_CALLS, *INLINE_CALLS)):
        right = admin_grant(row, list(ctx.parameters(row.vendor_id)["admin_policies"]))  # type: ignore[arg-type]
        if right is None:
            continue
        target = grantee(row)
        if approved_change(ctx, row, target):
            continue
        yield FindingDraft(
            row.vendor_id, f"{row.account_id}:{target}<-{right}@{row.source_event_id}",
            Evidence([row.source_event_id], [row.principal] if row.principal else [],
                     {"target": target, "policy": right, "account": row.account_id, "action": row.action,
                      "at": str(as_utc(row.event_time))}),
            t(f"{row.principal} が {target} に管理者権限 {right} を付与（承認された変更なし）",
              f"{row.principal} gave {target} administrator rights ({right}) with no approved change"),
        )


@check(
    id="aws.iam.credential_plant_attempt",
    control="3.2.5",
    severity="medium",
    title=t("他人の認証情報作成・管理者権限付与の試行（失敗）",
            "Attempt to create another user's credentials or give administrator rights (failed)"),
    remediation=t(
        "失敗した試行であり権限は変わっていませんが、誰がなぜ試みたかを委託先に確認してください。",
        "The attempt failed and no right changed, but ask the vendor who tried and why.",
    ),
    parameters={"admin_policies": ADMIN_POLICIES},
    kind="attempt",
)
def credential_plant_attempt(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Failed credential calls for another user, and failed administrator grants."""
    def target(row: Any) -> str | None:
        if row.action in CREDENTIAL_CALLS:
            other = other_user(row)
            return f"user/{other}" if other else None
        admin = list(ctx.parameters(row.vendor_id)["admin_policies"])  # type: ignore[arg-type]
        return grantee(row) if admin_grant(row, admin) else None

    yield from attempt_drafts(ctx, (*CREDENTIAL_CALLS, *ATTACH_CALLS, *INLINE_CALLS), target)
