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

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from vendorwatch.db.engine import session_scope
from vendorwatch.db.tables import Grant, ObservedSetting, Principal
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.runs import Count, RunRecorder
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


def _sync(
    session: Session,
    scope: InventoryScope,
    table: type[Any],
    key_columns: tuple[str, ...],
    records: Iterable[dict[str, Any]],
    *,
    stamp: dict[str, Any],
    first_seen: dict[str, Any],
    complete_kinds: frozenset[str],
) -> InventoryCounts:
    """Upsert ``records`` (column values) of one source on their natural key, in bulk; sweep what was not seen.

    ``stamp`` is written on every row seen (the run, the time) and does not count as a change;
    ``first_seen`` only on new rows. The first record of a key wins if a source reports it twice.
    """
    session.flush()
    counts = InventoryCounts()
    existing = {
        tuple(getattr(row, c) for c in key_columns): row
        for row in session.exec(select(table).where(table.source_id == scope.source_id))
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for values in records:
        key = tuple(values[c] for c in key_columns)
        if key in seen:
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            inserts.append({"source_id": scope.source_id, **values, **stamp, **first_seen})
            counts.added += 1
            continue
        changed = any(getattr(row, name) != value for name, value in values.items())
        counts.updated += changed
        counts.unchanged += not changed
        updates.append({"id": row.id, **values, **stamp})
    gone = [
        {"id": row.id, "gone_at": scope.now, "gone_run_id": scope.run_id}
        for key, row in existing.items()
        if key not in seen and row.gone_at is None and row.kind in complete_kinds
    ]
    counts.gone = len(gone)
    # ORM bulk INSERT and bulk UPDATE by primary key: one executemany each instead of a statement per row.
    for batch in (inserts, updates, gone):
        if batch:
            session.execute(insert(table) if batch is inserts else update(table), batch)
    session.expire_all()
    return counts


_CLEARED = {"gone_at": None, "gone_run_id": None}


def load_principals(session: Session, scope: InventoryScope, records: Iterable[PrincipalRecord]) -> InventoryCounts:
    """Upsert principals by (source, external id); mark unseen ones of complete kinds gone."""
    where = {"vendor_id": scope.vendor_id, "environment_id": scope.environment_id}
    return _sync(
        session, scope, Principal, ("external_id",),
        (record.model_dump() | where | _CLEARED for record in records),
        stamp={"last_seen_run_id": scope.run_id}, first_seen={"first_seen_run_id": scope.run_id},
        complete_kinds=scope.complete_principal_kinds,
    )


def load_grants(session: Session, scope: InventoryScope, records: Iterable[GrantRecord]) -> InventoryCounts:
    """Upsert grants by (source, principal, kind, name); mark unseen ones of complete kinds gone."""
    return _sync(
        session, scope, Grant, ("principal_external_id", "kind", "name"),
        (record.model_dump() | {"vendor_id": scope.vendor_id} | _CLEARED for record in records),
        stamp={"last_seen_run_id": scope.run_id}, first_seen={"first_seen_run_id": scope.run_id},
        complete_kinds=scope.complete_grant_kinds,
    )


def load_settings(session: Session, scope: InventoryScope, records: Iterable[SettingRecord]) -> InventoryCounts:
    """Upsert observed settings by (source, kind, subject); mark unseen ones of complete kinds gone."""
    return _sync(
        session, scope, ObservedSetting, ("kind", "subject"),
        (record.model_dump() | {"vendor_id": scope.vendor_id} | _CLEARED for record in records),
        stamp={"last_seen_run_id": scope.run_id, "observed_at": scope.now}, first_seen={},
        complete_kinds=scope.complete_setting_kinds,
    )


@dataclass(frozen=True)
class InventoryBatch:
    """What a connector read of a source's inventory, and which kinds it read completely.

    ``None`` for a part that could not be read at all: it is neither loaded nor counted.
    """

    principals: list[PrincipalRecord] | None = None
    grants: list[GrantRecord] | None = None
    settings: list[SettingRecord] | None = None
    complete_principal_kinds: frozenset[str] = frozenset()
    complete_grant_kinds: frozenset[str] = frozenset()
    complete_setting_kinds: frozenset[str] = frozenset()


def store_inventory(context: CollectContext, recorder: RunRecorder, batch: InventoryBatch,
                    now: datetime | None = None) -> None:
    """Load a connector's inventory in one transaction (stamped with the run, seen at ``now``), mark the unseen
    rows of the complete kinds gone, and count what was seen, added and gone."""
    scope = InventoryScope(
        source_id=context.source.id, vendor_id=context.vendor.id, environment_id=context.source.environment,
        run_id=recorder.run_id, now=now or context.clock.now(),
        complete_principal_kinds=batch.complete_principal_kinds,
        complete_grant_kinds=batch.complete_grant_kinds,
        complete_setting_kinds=batch.complete_setting_kinds,
    )
    with session_scope(context.engine) as session:
        settings = None if batch.settings is None else load_settings(session, scope, batch.settings)
        principals = None if batch.principals is None else load_principals(session, scope, batch.principals)
        grants = None if batch.grants is None else load_grants(session, scope, batch.grants)
    if batch.settings is not None and settings is not None:
        recorder.count(Count.SETTINGS, len(batch.settings))
        recorder.count(Count.SETTINGS_GONE, settings.gone)
    if batch.principals is not None and principals is not None:
        recorder.count(Count.PRINCIPALS, len(batch.principals))
        recorder.count(Count.PRINCIPALS_ADDED, principals.added)
        recorder.count(Count.PRINCIPALS_GONE, principals.gone)
    if batch.grants is not None and grants is not None:
        recorder.count(Count.GRANTS, len(batch.grants))
        recorder.count(Count.GRANTS_GONE, grants.gone)


def active_principals(session: Session, source_id: str) -> list[Principal]:
    """Principals of a source that the newest inventory still saw."""
    return list(
        session.exec(
            select(Principal).where(Principal.source_id == source_id, col(Principal.gone_at).is_(None))
        )
    )
