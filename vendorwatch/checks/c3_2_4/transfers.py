"""3.2.4 data moved out of production, or out of the vendor's accounts, without an approval covering it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.transfers import SHARE_KINDS
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, TRANSFERS
from vendorwatch.i18n import t


def _transfers(ctx: EvaluationContext) -> list[Any]:
    return list(ctx.session.execute(
        select(TRANSFERS, EVENTS.c.source_event_id, EVENTS.c.principal)
        .join(EVENTS, EVENTS.c.id == TRANSFERS.c.access_event_id)
        .order_by(TRANSFERS.c.occurred_at, TRANSFERS.c.id)
    ))


def _kind(ctx: EvaluationContext, environment_id: str | None) -> str | None:
    environment = ctx.knowledge.environments.get(environment_id or "")
    return environment.kind if environment else None


def _vendor_accounts(ctx: EvaluationContext, vendor_id: str) -> set[str]:
    vendor = ctx.knowledge.vendors.get(vendor_id)
    return {a for e in vendor.environments for a in e.aws_accounts} if vendor else set()


@check(
    id="transfer.production_data_unapproved",
    control="3.2.4",
    severity="critical",
    title=t("承認のない本番データの持出し（非本番・他アカウントへ）",
            "Production data copied to non-production or another account without approval"),
    remediation=t(
        "移送の目的と実施者を確認し、正当なら移送申請を承認・登録（transfers）してください。不正なら共有・複製を取り消してください。",
        "Find out who moved the data and why; register an approval (transfers) if legitimate, otherwise revoke "
        "the share or delete the copy.",
    ),
    kind="act",
)
def production_data_unapproved(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Transfers from a production environment to anything but production, with no approval covering them."""
    for row in _transfers(ctx):
        if _kind(ctx, row.from_environment_id) != "production" or row.approval_id is not None:
            continue
        to_kind = _kind(ctx, row.to_environment_id)
        if to_kind == "production" and row.to_account in _vendor_accounts(ctx, row.vendor_id):
            continue
        destination = row.to_environment_id or f"account {row.to_account or 'unknown'}"
        occurred = as_utc(row.occurred_at)
        yield FindingDraft(
            row.vendor_id, f"{row.kind}:{row.source_event_id}",
            Evidence([row.source_event_id], [row.principal] if row.principal else [],
                     {"kind": row.kind, "from": row.from_environment_id, "to": destination,
                      "to_account": row.to_account, "resource": row.resource,
                      "occurred_at": occurred.isoformat() if occurred else None}),
            t(f"{row.principal} が本番 {row.from_environment_id} のデータ {row.resource} を {destination} へ（承認なし）",
              f"{row.principal} moved production data {row.resource} from {row.from_environment_id} to "
              f"{destination} with no approval covering it"),
        )


@check(
    id="aws.share.outside_vendor_accounts",
    control="3.2.4",
    severity="high",
    title=t("委託先の登録外アカウントへのスナップショット・AMI 共有",
            "Snapshot or image shared outside the vendor's registered accounts"),
    remediation=t(
        "共有先アカウントを確認し、不要なら共有を解除してください（ModifySnapshotAttribute remove など）。",
        "Check the account it was shared with and remove the share if it is not needed "
        "(ModifySnapshotAttribute remove, ...).",
    ),
    kind="act",
)
def share_outside_vendor_accounts(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Shares from non-production environments to accounts the vendor has not registered (production is above)."""
    for row in _transfers(ctx):
        if row.kind not in SHARE_KINDS or _kind(ctx, row.from_environment_id) == "production":
            continue
        if row.to_account in _vendor_accounts(ctx, row.vendor_id) or row.approval_id is not None:
            continue
        public = row.to_account == "all"
        occurred = as_utc(row.occurred_at)
        yield FindingDraft(
            row.vendor_id, f"{row.kind}:{row.source_event_id}",
            Evidence([row.source_event_id], [row.principal] if row.principal else [],
                     {"kind": row.kind, "from": row.from_environment_id, "to_account": row.to_account,
                      "resource": row.resource, "public": public,
                      "occurred_at": occurred.isoformat() if occurred else None}),
            t(f"{row.principal} が {row.resource} を{'全員に公開' if public else f'未登録のアカウント {row.to_account} と共有'}",
              f"{row.principal} shared {row.resource} "
              + ("publicly" if public else f"with unregistered account {row.to_account}")),
            severity="critical" if public else None,
        )
