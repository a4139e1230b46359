"""3.2.3 how access restriction is operated: administrative rights given to vendor principals."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.db.core_tables import GRANTS
from vendorwatch.i18n import t


@check(
    id="access.admin_grant",
    control="3.2.3",
    severity="high",
    title=t("委託先の主体への管理者権限の付与", "Administrative grant to a vendor principal"),
    remediation=t(
        "管理者権限（AdministratorAccess、*:*、特権グループ）を外し、作業に必要な最小権限のロールに置き換えてください。"
        "緊急用アカウントは台帳に break_glass として登録してください。",
        "Remove the administrative right (AdministratorAccess, *:*, privileged group) and give a least-privilege "
        "role instead; declare emergency accounts as break_glass in the registry.",
    ),
)
def admin_grant(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Current grants flagged administrative, except on declared break-glass accounts."""
    rows = ctx.session.execute(
        select(GRANTS.c.vendor_id, GRANTS.c.principal_external_id, GRANTS.c.kind, GRANTS.c.name, GRANTS.c.source_id)
        .where(GRANTS.c.is_admin.is_(True), GRANTS.c.gone_at.is_(None))
        .order_by(GRANTS.c.principal_external_id, GRANTS.c.name)
    )
    per_principal: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        declared = ctx.knowledge.declared_for(row.vendor_id, row.principal_external_id)
        if declared is not None and declared.kind == "break_glass":
            continue
        per_principal.setdefault((row.vendor_id, row.principal_external_id), []).append(f"{row.kind}:{row.name}")
    for (vendor_id, principal), grants in per_principal.items():
        yield FindingDraft(
            vendor_id, principal, Evidence(principals=[principal], details={"grants": grants}),
            t(f"{principal} に管理者権限: {', '.join(grants)}", f"{principal} holds administrative rights: {', '.join(grants)}"),
        )
