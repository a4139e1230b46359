"""3.2.2 password and lockout policies of the vendor's AWS accounts and directories (observed settings)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.db.core_tables import PRINCIPALS, RUNS, SETTINGS
from vendorwatch.dn import canonical_dn
from vendorwatch.i18n import Text, t

DIRECTORY_POLICY_KINDS = ["ldap.ppolicy", "ad.domain_policy", "ad.password_settings"]
# Accounts named in a finding's evidence (the count is in the details).
GOVERNED_IN_EVIDENCE = 50


def _pick(data: dict[str, Any], *names: str) -> Any:
    """The first of several spellings present (AWS API names or snake case)."""
    for name in names:
        if name in data and data[name] is not None:
            return data[name]
    return None


@check(
    id="aws.iam.password_policy_weak",
    control="3.2.2",
    severity="medium",
    title=t("AWS パスワードポリシーが未設定または弱い", "AWS password policy missing or weak"),
    remediation=t(
        "IAM のアカウントパスワードポリシーで最小長・文字種・再利用禁止を設定してください。",
        "Set the IAM account password policy: minimum length, character classes, reuse prevention.",
    ),
    parameters={"min_length": 14, "reuse_prevention": 5},
)
def aws_password_policy_weak(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Each AWS source with an inventory either reports no password policy or a weak one."""
    policies = {
        row.source_id: (row.vendor_id, row.subject, row.data or {})
        for row in ctx.session.execute(
            select(SETTINGS.c.source_id, SETTINGS.c.vendor_id, SETTINGS.c.subject, SETTINGS.c.data)
            .where(SETTINGS.c.kind == "aws.password_policy", SETTINGS.c.gone_at.is_(None))
        )
    }
    # Only sources whose inventory was read can say "no policy"; an unread source says nothing.
    inventoried = {
        row.source_id: row.vendor_id
        for row in ctx.session.execute(
            select(PRINCIPALS.c.source_id, PRINCIPALS.c.vendor_id).where(
                PRINCIPALS.c.kind.in_(["iam_user", "iam_role", "root"])).distinct()
        )
    }
    aws_sources = {s.id for v in ctx.vendors for s in v.sources if s.kind == "aws"}
    for source_id in sorted(aws_sources & (set(inventoried) | set(policies))):
        vendor_id, _subject, data = policies.get(source_id, (inventoried.get(source_id, ""), source_id, None))
        params = ctx.parameters(vendor_id)
        problems: list[str] = []
        if not data or data.get("present") is False:  # the connector says there is no policy at all
            problems.append("missing")
        else:
            length = _pick(data, "MinimumPasswordLength", "minimum_password_length", "min_length")
            if length is None or int(length) < int(params["min_length"]):  # type: ignore[arg-type]
                problems.append(f"min_length={length}")
            reuse = _pick(data, "PasswordReusePrevention", "password_reuse_prevention", "reuse_prevention")
            if reuse is None or int(reuse) < int(params["reuse_prevention"]):  # type: ignore[arg-type]
                problems.append(f"reuse_prevention={reuse}")
            for flag in ("RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters", "RequireLowercaseCharacters"):
                if flag in data and data[flag] is False:
                    problems.append(flag)
        if problems:
            yield FindingDraft(
                vendor_id, f"source:{source_id}:password_policy",
                Evidence(details={"source": source_id, "problems": problems, "policy": data}),
                t(f"{source_id} のパスワードポリシー: {', '.join(problems)}",
                  f"password policy of {source_id}: {', '.join(problems)}"),
            )


def _directory_policies(ctx: EvaluationContext) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    rows = ctx.session.execute(
        select(SETTINGS.c.vendor_id, SETTINGS.c.source_id, SETTINGS.c.subject, SETTINGS.c.data)
        .where(SETTINGS.c.kind.in_(DIRECTORY_POLICY_KINDS), SETTINGS.c.gone_at.is_(None))
    )
    for row in rows:
        yield row.vendor_id, row.source_id, row.subject, row.data or {}


class Governed:
    """Which active directory accounts each policy governs, as the connector resolved it (``password_policy``),
    by (source, canonical policy DN).

    Active Directory: the PSO that applies to the account, else the domain policy; always known. OpenLDAP: the
    policy the account's ``pwdPolicySubentry`` names, else the ppolicy overlay's default when the connector could
    read it from cn=config; an account whose policy is not known could be governed by any policy, so on a source
    with such an account every policy is judged by itself (:meth:`judged` says ``None``).
    """

    def __init__(self, ctx: EvaluationContext) -> None:
        self.accounts: dict[tuple[str, str], list[str]] = {}
        self.resolved_sources: set[str] = set()
        self.unresolved_sources: set[str] = set()
        self.openldap_sources: set[str] = set()
        for row in ctx.session.execute(
            select(PRINCIPALS.c.source_id, PRINCIPALS.c.kind, PRINCIPALS.c.external_id, PRINCIPALS.c.attributes)
            .where(PRINCIPALS.c.kind.in_(["ad_account", "ldap_account"]), PRINCIPALS.c.gone_at.is_(None),
                   PRINCIPALS.c.disabled.is_(False))
            .order_by(PRINCIPALS.c.external_id)
        ):
            if row.kind == "ldap_account":
                self.openldap_sources.add(row.source_id)
            policy = (row.attributes or {}).get("password_policy")
            if policy:
                self.resolved_sources.add(row.source_id)
                self.accounts.setdefault((row.source_id, canonical_dn(policy)), []).append(row.external_id)
            else:
                self.unresolved_sources.add(row.source_id)

    def judged(self, source_id: str, subject: str, data: dict[str, Any]) -> list[str] | None:
        """The accounts a policy governs; ``None`` when not known (no resolved inventory, an OpenLDAP account
        whose policy is unknown, a policy that could not be read), ``[]`` when it governs none (a PSO or ppolicy
        linked to nobody active, a default policy every account escapes)."""
        if source_id not in self.resolved_sources or source_id in self.unresolved_sources:
            return None
        if data.get("present") is False and source_id in self.openldap_sources:
            return None  # OpenLDAP's "no pwdPolicy entry readable" is not answered by the accounts' links
        return self.accounts.get((source_id, canonical_dn(subject)), [])


def _governed_evidence(details: dict[str, Any], accounts: list[str] | None) -> Evidence:
    if accounts is None:
        return Evidence(details=details)
    return Evidence(principals=accounts[:GOVERNED_IN_EVIDENCE], details=details | {"accounts": len(accounts)})


def _governing(accounts: list[str] | None) -> Text:
    if accounts is None:
        return t("", "")
    return t(f"（{len(accounts)} アカウントに適用）", f" (governs {len(accounts)} account(s))")


def _directory_sources_without_policy(ctx: EvaluationContext) -> Iterator[tuple[str, str]]:
    """Directory sources whose directory was read successfully but reports no password policy at all.

    Only a collection reads the directory's policies: an import of log files into the source says nothing of them.
    """
    with_policy = {source for _, source, _, _ in _directory_policies(ctx)}
    collected = {
        row.source_id
        for row in ctx.session.execute(
            select(RUNS.c.source_id).where(RUNS.c.status.in_(["success", "partial"]), RUNS.c.kind == "collect")
            .distinct()
        )
    }
    for vendor in ctx.vendors:
        for source in vendor.sources:
            if source.kind == "ldap" and source.id in collected and source.id not in with_policy:
                yield vendor.id, source.id


@check(
    id="directory.lockout_policy_missing",
    control="3.2.2",
    severity="high",
    title=t("ディレクトリにアカウントロックの設定がない", "Directory without an account lockout policy"),
    remediation=t(
        "連続した認証失敗でアカウントをロックする設定（OpenLDAP ppolicy の pwdLockout / "
        "AD のロックアウトしきい値。細かい設定のパスワードポリシー（PSO）ではその msDS-LockoutThreshold）を有効にしてください。",
        "Enable locking accounts after repeated failures (OpenLDAP ppolicy pwdLockout / AD lockout threshold, "
        "for a fine-grained policy (PSO) its msDS-LockoutThreshold).",
    ),
    parameters={"max_failure": 10},
    related=["1.2.3"],
)
def lockout_policy_missing(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A directory policy without lockout or above ``max_failure``, judged on the active accounts it governs.

    Each account is judged by the policy that governs it (Active Directory: its PSO, else the domain policy;
    OpenLDAP: its ``pwdPolicySubentry``, else the overlay's default): a policy is a finding when it governs at
    least one active account, which the evidence names. On an OpenLDAP directory where some account's policy is
    not known (the default is in cn=config, unread, and the account names none) every policy is judged by itself.
    """
    governed = Governed(ctx)
    for vendor_id, source_id, subject, data in _directory_policies(ctx):
        limit = int(ctx.parameters(vendor_id)["max_failure"])  # type: ignore[arg-type]
        lockout = data.get("lockout")
        failures = data.get("max_failure")
        if lockout is True and failures is not None and 0 < int(failures) <= limit:
            continue
        accounts = governed.judged(source_id, subject, data)
        if accounts == []:
            continue
        scope = _governing(accounts)
        yield FindingDraft(
            vendor_id, subject,
            _governed_evidence({"source": source_id, "lockout": lockout, "max_failure": failures, "limit": limit},
                               accounts),
            t(f"{subject}: ロック={lockout}, 失敗回数上限={failures}（許容 {limit}）{scope.ja}",
              f"{subject}: lockout={lockout}, max failures={failures} (allowed {limit}){scope.en}"),
        )
    for vendor_id, source_id in _directory_sources_without_policy(ctx):
        yield FindingDraft(vendor_id, f"source:{source_id}:ppolicy", Evidence(details={"source": source_id}),
                           t(f"{source_id} にパスワードポリシーがありません", f"{source_id} reports no password policy"))


@check(
    id="directory.password_policy_weak",
    control="3.2.2",
    severity="medium",
    title=t("ディレクトリのパスワードポリシーが弱い", "Weak directory password policy"),
    remediation=t(
        "最小文字数とパスワード有効期限をポリシー（AD では該当アカウントに適用される PSO またはドメインのポリシー）に"
        "設定してください。",
        "Set a minimum password length and a maximum password age in the policy (on AD, the PSO that applies to "
        "the accounts named, or the domain policy).",
    ),
    parameters={"min_length": 12, "max_age_days": 365},
)
def directory_password_policy_weak(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A directory policy with too short passwords or no (or too long) expiry, judged on the accounts it governs.

    Judged per account as ``directory.lockout_policy_missing`` is: a weak PSO or ppolicy is a finding on the
    accounts it governs; a weak domain (or ppolicy default) policy only if some account falls back to it.
    """
    governed = Governed(ctx)
    for vendor_id, source_id, subject, data in _directory_policies(ctx):
        params = ctx.parameters(vendor_id)
        problems = []
        length = data.get("min_length")
        if length is None or int(length) < int(params["min_length"]):  # type: ignore[arg-type]
            problems.append(f"min_length={length}")
        age = data.get("max_age_days")
        if age is None or int(age) <= 0 or int(age) > int(params["max_age_days"]):  # type: ignore[arg-type]
            problems.append(f"max_age_days={age}")
        accounts = governed.judged(source_id, subject, data)
        if problems and accounts != []:
            scope = _governing(accounts)
            yield FindingDraft(
                vendor_id, subject, _governed_evidence({"source": source_id, "problems": problems}, accounts),
                t(f"{subject}: {', '.join(problems)}{scope.ja}", f"{subject}: {', '.join(problems)}{scope.en}"),
            )
