"""What deserves an alert now (read only): open critical findings, and sources past their collection SLA.

Each alert has a key that stays the same while the condition lasts, so it is sent once: a finding's id; a
source's id with its last success (a source that recovers and later falls behind again is a new alert). A source
never collected is past its SLA once ``sla_hours`` have passed since it first appeared in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.clock import Clock, as_utc
from vendorwatch.db.tables import Finding, RegistrySnapshot
from vendorwatch.i18n import Text, t
from vendorwatch.masking import mask_principal
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import source_health

AlertKind = Literal["finding", "sla"]


@dataclass(frozen=True)
class DueAlert:
    """One alert to send: its kind and key (sent once), the vendor, and a line for the message in each language."""

    kind: AlertKind
    key: str
    vendor_id: str | None
    line: Text


def _first_listed(session: Session, source_id: str) -> datetime | None:
    """When the source first appeared in an imported registry (the oldest snapshot of the unbroken run of
    snapshots, newest first, that list it)."""
    first: datetime | None = None
    for snapshot in session.exec(select(RegistrySnapshot).order_by(col(RegistrySnapshot.id).desc())):
        listed = any(s.get("id") == source_id for v in snapshot.document.get("vendors", [])
                     for s in v.get("sources", []))
        if not listed:
            break
        first = as_utc(snapshot.imported_at)
    return first


def critical_findings(session: Session) -> list[DueAlert]:
    """Every open critical finding (the subject masked: alerts are mail, mail is a report)."""
    checks = checks_by_id()
    due = []
    for finding in session.exec(select(Finding).where(Finding.severity == "critical", Finding.status == "open")
                                .order_by(col(Finding.id))):
        check = checks.get(finding.check_id)
        title = check.meta.title if check else t(finding.check_id, finding.check_id)
        subject = mask_principal(finding.subject)
        vendor = finding.vendor_id or "-"
        due.append(DueAlert("finding", str(finding.id), finding.vendor_id, t(
            f"[{finding.control_id}] {title.ja} — 委託先 {vendor}: {subject}（指摘 #{finding.id}）",
            f"[{finding.control_id}] {title.en} — vendor {vendor}: {subject} (finding #{finding.id})",
        )))
    return due


def sources_past_sla(session: Session, registry: Registry, clock: Clock) -> list[DueAlert]:
    """Every source whose last success is older than its SLA (or that was never collected within it)."""
    now = clock.now()
    due = []
    for health in source_health(session, registry, clock):
        if health.covered:
            continue
        if health.last_success is None:
            since = _first_listed(session, health.source_id)
            if since is None or since + timedelta(hours=health.sla_hours) > now:
                continue
            ja_when, en_when = "一度も収集されていません", "never collected"
        else:
            ja_when = f"最終成功 {health.last_success:%Y-%m-%d %H:%M} UTC"
            en_when = f"last success {health.last_success:%Y-%m-%d %H:%M} UTC"
        error = f" — {health.last_error[:300]}" if health.last_error else ""
        key = f"{health.source_id}:{health.last_success.isoformat() if health.last_success else 'never'}"
        due.append(DueAlert("sla", key, health.vendor_id, t(
            f"ソース {health.source_id}（委託先 {health.vendor_id}）が SLA {health.sla_hours} 時間を超過: {ja_when}{error}",
            f"source {health.source_id} (vendor {health.vendor_id}) is past its {health.sla_hours} h SLA: "
            f"{en_when}{error}",
        )))
    return due


def due_alerts(session: Session, registry: Registry, clock: Clock) -> list[DueAlert]:
    """Every alert whose condition holds now (whether or not it was sent already)."""
    return critical_findings(session) + sources_past_sla(session, registry, clock)
