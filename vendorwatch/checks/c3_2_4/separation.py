"""3.2.4 separation of production and development: who can write to both, who can cross from dev to prod."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, union_all

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import event_ids
from vendorwatch.db.core_tables import EVENTS, GRANTS
from vendorwatch.i18n import t

WRITE_PREFIXES = ("Put", "Create", "Delete", "Copy", "Modify", "Update", "Attach", "Upload", "Restore", "Replace")


def _prefix(prefix: str) -> Any:
    """``action`` starts with ``prefix``, as an index range plus the LIKE that states it exactly."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(EVENTS.c.action >= prefix, EVENTS.c.action < upper, EVENTS.c.action.like(f"{prefix}%"))


def _write_action() -> Any:
    """Any write-like event name."""
    return or_(*(_prefix(p) for p in WRITE_PREFIXES))


def _writes_by_principal_and_environment(since: Any) -> Any:
    """Write counts per (vendor, principal, environment): one covering range scan of the action index per
    prefix, joined with UNION ALL (an OR of ranges makes SQLite fetch every row from the table)."""
    parts = [
        select(EVENTS.c.vendor_id, EVENTS.c.principal, EVENTS.c.environment_id)
        .where(_prefix(prefix), EVENTS.c.outcome == "success", EVENTS.c.principal.is_not(None),
               EVENTS.c.event_time >= since)
        for prefix in WRITE_PREFIXES
    ]
    writes = union_all(*parts).subquery()
    return (select(writes.c.vendor_id, writes.c.principal, writes.c.environment_id, func.count().label("n"))
            .group_by(writes.c.vendor_id, writes.c.principal, writes.c.environment_id))


@check(
    id="separation.prod_dev_writer",
    control="3.2.4",
    severity="high",
    title=t("本番と開発の両方に書き込む主体", "Principal writing to both production and development"),
    remediation=t(
        "本番用と開発用の主体（ユーザー・ロール）を分け、本番への書込み権限を本番作業者に限定してください。",
        "Give separate identities for production and development, and keep production write access to "
        "production operators.",
    ),
    parameters={"lookback_days": 30},
)
def prod_dev_writer(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """A principal (or one roster person through several identities) with writes in both kinds of environment."""
    for params, vendor_ids in ctx.vendor_groups():
        since = ctx.now - timedelta(days=int(params["lookback_days"]))  # type: ignore[arg-type]
        rows = ctx.session.execute(_writes_by_principal_and_environment(since))
        people: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for row in rows:
            if row.vendor_id not in vendor_ids:
                continue  # another parameter group's vendor
            kind = getattr(ctx.knowledge.environments.get(row.environment_id or ""), "kind", None)
            if kind not in ("production", "development"):
                continue
            entries = ctx.knowledge.roster_for(row.vendor_id, row.principal)
            who = f"person:{entries[0].person}" if entries else row.principal
            people[(row.vendor_id, who)][kind].add(row.principal)
            people[(row.vendor_id, who)]["environments"].add(row.environment_id)
        for (vendor_id, who), seen in sorted(people.items()):
            if not (seen["production"] and seen["development"]):
                continue
            principals = sorted(seen["production"] | seen["development"])
            ids = event_ids(ctx.session, EVENTS.c.vendor_id == vendor_id, EVENTS.c.principal.in_(principals),
                            EVENTS.c.event_time >= since, EVENTS.c.outcome == "success", _write_action(),
                            EVENTS.c.environment_id.in_(sorted(seen["environments"])), limit=20)
            yield FindingDraft(
                vendor_id, who, Evidence(ids, principals, {"environments": sorted(seen["environments"]),
                                                          "lookback_days": params["lookback_days"]}),
                t(f"{who} が本番と開発の両方に書込み（{', '.join(sorted(seen['environments']))}）",
                  f"{who} wrote to both production and development ({', '.join(sorted(seen['environments']))})"),
            )


def _trusted_accounts(document: Any) -> set[str]:
    """AWS account ids named as principals in a trust policy document."""
    text = json.dumps(document or {})
    found: set[str] = set()
    for part in text.replace('"', " ").replace(",", " ").split():
        if part.startswith("arn:aws:iam::"):
            found.add(part.split(":")[4])
        elif len(part) == 12 and part.isdigit():
            found.add(part)
    return found


@check(
    id="separation.prod_role_assumable_from_dev",
    control="3.2.4",
    severity="high",
    title=t("開発環境から引き受け可能な本番ロール", "Production role that development accounts may assume"),
    remediation=t(
        "本番ロールの信頼ポリシーから開発アカウントを外してください。",
        "Remove development accounts from the production role's trust policy.",
    ),
)
def prod_role_assumable_from_dev(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Trust policies of production roles naming a development account, and role assumptions seen doing so."""
    account_kind = {
        account: environment.kind
        for environment in ctx.knowledge.environments.values() for account in environment.aws_accounts
    }
    findings: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in ctx.session.execute(
        select(GRANTS.c.vendor_id, GRANTS.c.principal_external_id, GRANTS.c.document)
        .where(GRANTS.c.kind == "trust", GRANTS.c.gone_at.is_(None))
    ):
        role_account = row.principal_external_id.split(":")[4] if row.principal_external_id.count(":") >= 4 else ""
        if account_kind.get(role_account) != "production":
            continue
        for trusted in _trusted_accounts(row.document):
            if account_kind.get(trusted) in ("development", "staging"):
                findings[(row.vendor_id, row.principal_external_id)]["accounts"].add(trusted)
    for row in ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.principal, EVENTS.c.details, EVENTS.c.source_event_id, EVENTS.c.account_id)
        .where(EVENTS.c.action == "AssumeRole", EVENTS.c.outcome == "success", EVENTS.c.principal.like("arn:aws:%"))
    ):
        role = str((row.details or {}).get("role_arn") or "")
        parts_role, parts_caller = role.split(":"), str(row.principal).split(":")
        if len(parts_role) < 5 or len(parts_caller) < 5:
            continue
        if account_kind.get(parts_role[4]) == "production" and account_kind.get(parts_caller[4]) in ("development",
                                                                                                       "staging"):
            entry = findings[(row.vendor_id, role)]
            entry["accounts"].add(parts_caller[4])
            entry["events"].add(row.source_event_id)
            entry["principals"].add(row.principal)
    for (vendor_id, role), entry in sorted(findings.items()):
        accounts = sorted(entry["accounts"])
        yield FindingDraft(
            vendor_id, role, Evidence(sorted(entry["events"]), [role, *sorted(entry["principals"])],
                                      {"development_accounts": accounts}),
            t(f"本番ロール {role} を開発アカウント {', '.join(accounts)} から引き受け可能",
              f"production role {role} can be assumed from development account(s) {', '.join(accounts)}"),
        )
