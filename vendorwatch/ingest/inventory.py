"""Load an inventory (principals, grants, observed settings) the Cartography way.

Every row the run sees is upserted on its natural key and stamped with the run; rows of the same source
that the run did not see are marked gone by that run — never deleted, because the history is evidence.
Only the kinds a run read completely are swept: if listing roles failed, roles are not marked gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from vendorwatch.db.tables import Grant, ObservedSetting, Principal
from vendorwatch.records import GrantRecord, PrincipalRecord, SettingRecord


@dataclass(frozen=True)
class InventoryScope:
    """Where the inventory came from and which kinds it covers completely."""

    source_id: str
    vendor_id: str
    environment_id: str | None
    run_id: int
    now: datetime
    complete_principal_kinds: frozenset[str] = frozenset()
    complete_grant_kinds: frozenset[str] = frozenset()
    complete_setting_kinds: frozenset[str] = frozenset()


@dataclass
class InventoryCounts:
    """What a load did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0


def _apply(row: SQLModel, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def load_principals(session: Session, scope: InventoryScope, records: Iterable[PrincipalRecord]) -> InventoryCounts:
    """Upsert principals by (source, external id); mark unseen ones of complete kinds gone."""
    counts = InventoryCounts()
    existing = {p.external_id: p for p in session.exec(select(Principal).where(Principal.source_id == scope.source_id))}
    seen: set[str] = set()
    for record in records:
        seen.add(record.external_id)
        values = record.model_dump()
        values |= {"vendor_id": scope.vendor_id, "environment_id": scope.environment_id,
                   "last_seen_run_id": scope.run_id, "gone_at": None, "gone_run_id": None}
        row = existing.get(record.external_id)
        if row is None:
            session.add(Principal(source_id=scope.source_id, first_seen_run_id=scope.run_id, **values))
            counts.added += 1
            continue
        stamp_only = {"last_seen_run_id"}
        changed = _apply(row, {k: v for k, v in values.items() if k not in stamp_only})
        row.last_seen_run_id = scope.run_id
        session.add(row)
        counts.updated += changed
        counts.unchanged += not changed
    for external_id, row in existing.items():
        if external_id not in seen and row.gone_at is None and row.kind in scope.complete_principal_kinds:
            row.gone_at = scope.now
            row.gone_run_id = scope.run_id
            session.add(row)
            counts.gone += 1
    session.flush()
    return counts


def load_grants(session: Session, scope: InventoryScope, records: Iterable[GrantRecord]) -> InventoryCounts:
    """Upsert grants by (source, principal, kind, name); mark unseen ones of complete kinds gone."""
    counts = InventoryCounts()
    rows = session.exec(select(Grant).where(Grant.source_id == scope.source_id))
    existing: dict[tuple[str, str, str], Grant] = {(g.principal_external_id, g.kind, g.name): g for g in rows}
    seen: set[tuple[str, str, str]] = set()
    for record in records:
        key: tuple[str, str, str] = (record.principal_external_id, str(record.kind), record.name)
        if key in seen:
            continue
        seen.add(key)
        values = record.model_dump() | {"vendor_id": scope.vendor_id, "gone_at": None, "gone_run_id": None}
        row = existing.get(key)
        if row is None:
            session.add(Grant(source_id=scope.source_id, first_seen_run_id=scope.run_id,
                              last_seen_run_id=scope.run_id, **values))
            counts.added += 1
            continue
        changed = _apply(row, values)
        row.last_seen_run_id = scope.run_id
        session.add(row)
        counts.updated += changed
        counts.unchanged += not changed
    for key, row in existing.items():
        if key not in seen and row.gone_at is None and row.kind in scope.complete_grant_kinds:
            row.gone_at = scope.now
            row.gone_run_id = scope.run_id
            session.add(row)
            counts.gone += 1
    session.flush()
    return counts


def load_settings(session: Session, scope: InventoryScope, records: Iterable[SettingRecord]) -> InventoryCounts:
    """Upsert observed settings by (source, kind, subject); mark unseen ones of complete kinds gone."""
    counts = InventoryCounts()
    rows = session.exec(select(ObservedSetting).where(ObservedSetting.source_id == scope.source_id))
    existing = {(s.kind, s.subject): s for s in rows}
    seen: set[tuple[str, str]] = set()
    for record in records:
        key = (record.kind, record.subject)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            session.add(ObservedSetting(source_id=scope.source_id, vendor_id=scope.vendor_id, kind=record.kind,
                                        subject=record.subject, data=record.data, observed_at=scope.now,
                                        last_seen_run_id=scope.run_id))
            counts.added += 1
            continue
        changed = _apply(row, {"data": record.data, "gone_at": None, "gone_run_id": None})
        row.observed_at = scope.now
        row.last_seen_run_id = scope.run_id
        session.add(row)
        counts.updated += changed
        counts.unchanged += not changed
    for key, row in existing.items():
        if key not in seen and row.gone_at is None and row.kind in scope.complete_setting_kinds:
            row.gone_at = scope.now
            row.gone_run_id = scope.run_id
            session.add(row)
            counts.gone += 1
    session.flush()
    return counts


def active_principals(session: Session, source_id: str) -> list[Principal]:
    """Principals of a source that the newest inventory still saw."""
    return list(
        session.exec(
            select(Principal).where(Principal.source_id == source_id, col(Principal.gone_at).is_(None))
        )
    )
