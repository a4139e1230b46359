"""Import a validated registry into the database: plan the changes, then apply them in one transaction.

Re-importing the same file changes nothing. What left the file is retired, never deleted: its history
(events, findings) still points at it. Retiring a vendor must be asked for explicitly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, SQLModel, col, func, select

from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db import tables
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.registry.models import Registry
from vendorwatch.registry.rows import REGISTRY_TABLES, Row, desired_rows

Action = Literal["add", "update", "retire"]


@dataclass(frozen=True)
class Change:
    """One row the import adds, updates or retires, with the fields that change (old, new)."""

    table: str
    key: str
    action: Action
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        """``update vendors asys: tier high → critical``."""
        detail = ", ".join(f"{name} {old!r} → {new!r}" for name, (old, new) in self.fields.items())
        return f"{self.action} {self.table} {self.key}" + (f": {detail}" if detail else "")


@dataclass
class ImportPlan:
    """What importing a registry would change; ``apply_import`` applies exactly these changes."""

    changes: list[Change]
    sha256: str
    organization_changed: bool
    # What the changes are made of: the rows the registry wants and the rows the database holds, by
    # (table name, key), as planned in the caller's session.
    wanted: dict[tuple[str, str], Row] = field(default_factory=dict, repr=False)
    existing: dict[tuple[str, str], SQLModel] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        """Whether the import changes nothing."""
        return not self.changes and not self.organization_changed

    def retired_vendors(self) -> list[str]:
        """Vendors the import would retire."""
        return [c.key for c in self.changes if c.table == "vendors" and c.action == "retire"]


def _key(row: Row | SQLModel, columns: tuple[str, ...]) -> str:
    values = [row[c] if isinstance(row, dict) else getattr(row, c) for c in columns]
    return "/".join(str(v) for v in values)


def _table_changes(name: str, current: dict[str, SQLModel], desired: dict[str, Row]) -> list[Change]:
    """One table's changes: rows to add or update (in the registry's order), then rows to retire."""
    changes: list[Change] = []
    for key, row in desired.items():
        existing = current.get(key)
        if existing is None:
            changes.append(Change(name, key, "add"))
            continue
        diff = {column: (getattr(existing, column), value) for column, value in row.items()
                if getattr(existing, column) != value}
        if getattr(existing, "retired_at", None) is not None:
            diff["retired_at"] = (getattr(existing, "retired_at", None), None)
        if diff:
            changes.append(Change(name, key, "update", diff))
    for key, existing in current.items():
        if key not in desired and getattr(existing, "retired_at", None) is None:
            changes.append(Change(name, key, "retire"))
    return changes


def plan_import(session: Session, registry: Registry, text: str) -> ImportPlan:
    """Compare the registry with the database; nothing is written."""
    rows = desired_rows(registry)
    plan = ImportPlan([], hashlib.sha256(text.encode("utf-8")).hexdigest(), organization_changed=False)
    for table, key_columns in REGISTRY_TABLES:
        name = str(table.__tablename__)
        current = {_key(row, key_columns): row for row in session.exec(select(table))}
        desired = {_key(row, key_columns): row for row in rows[name]}
        plan.changes += _table_changes(name, current, desired)
        plan.existing.update({(name, key): row for key, row in current.items()})
        plan.wanted.update({(name, key): row for key, row in desired.items()})
    last = session.exec(select(tables.RegistrySnapshot).order_by(col(tables.RegistrySnapshot.id).desc())).first()
    organization = registry.organization.model_dump(mode="json")
    plan.organization_changed = last is None or last.document.get("organization") != organization
    return plan


def _refuse_retiring_vendors(plan: ImportPlan, allow_retire: bool) -> None:
    retired = plan.retired_vendors()
    if retired and not allow_retire:
        names = ", ".join(retired)
        raise ConfigError(
            t(
                f"委託先 {names} がファイルにありません。廃止する場合は --allow-retire を付けて再実行してください"
                "（履歴は残ります）",
                f"vendor(s) {names} are no longer in the file; re-run with --allow-retire to retire them "
                "(their history is kept)",
            )
        )


def _apply_change(session: Session, plan: ImportPlan, change: Change, table: type[SQLModel], now: datetime) -> None:
    """Make one planned change in the session: add the row, set the columns that differ, or retire it."""
    if change.action == "add":
        values = dict(plan.wanted[(change.table, change.key)])
        if change.table == "vendors":
            values["updated_at"] = now
        session.add(table(**values))
        return
    row: Any = plan.existing[(change.table, change.key)]
    if change.action == "update":
        for column, (_old, new) in change.fields.items():
            setattr(row, column, new)
        if change.table == "vendors":
            row.updated_at = now
    else:
        row.retired_at = now
    session.add(row)


def apply_plan(session: Session, plan: ImportPlan, registry: Registry, *, path: str, actor: str,
               clock: Clock) -> None:
    """Make the planned changes in the caller's transaction (parents first), snapshot the registry, audit."""
    now = clock.now()
    if plan.empty:
        audit.record(session, actor=actor, action="registry.import", target=path,
                     details={"sha256": plan.sha256, "changes": 0}, clock=clock)
        return
    for table, _ in REGISTRY_TABLES:
        name = str(table.__tablename__)
        changes = [c for c in plan.changes if c.table == name]
        for change in [c for c in changes if c.action != "retire"]:
            _apply_change(session, plan, change, table, now)
        session.flush()
        for change in [c for c in changes if c.action == "retire"]:
            _apply_change(session, plan, change, table, now)
        session.flush()
    session.add(tables.RegistrySnapshot(imported_at=now, actor=actor, path=path, sha256=plan.sha256,
                                        document=registry.model_dump(mode="json", by_alias=True)))
    audit.record(
        session,
        actor=actor,
        action="registry.import",
        target=path,
        details={"sha256": plan.sha256, "changes": [c.describe() for c in plan.changes],
                 "organization_changed": plan.organization_changed},
        clock=clock,
    )


def apply_import(session: Session, registry: Registry, text: str, *, path: str, actor: str, clock: Clock,
                 allow_retire: bool = False) -> ImportPlan:
    """Plan the import and apply that plan in the caller's transaction, with its audit entry."""
    plan = plan_import(session, registry, text)
    _refuse_retiring_vendors(plan, allow_retire)
    apply_plan(session, plan, registry, path=path, actor=actor, clock=clock)
    return plan


def imported_registry(session: Session) -> Registry | None:
    """The registry last imported (what is in force), or ``None`` before the first import."""
    newest = newest_snapshot_id(session)
    return None if newest is None else registry_of_snapshot(session, newest)


def newest_snapshot_id(session: Session) -> int | None:
    """The id of the registry snapshot in force (the last imported), or ``None`` before the first import: what
    the dashboard, the portal and the scheduler compare to know whether the registry changed."""
    return session.exec(select(func.max(tables.RegistrySnapshot.id))).one()


def registry_of_snapshot(session: Session, snapshot_id: int) -> Registry | None:
    """The registry of one imported snapshot, or ``None`` if there is no such snapshot."""
    row = session.get(tables.RegistrySnapshot, snapshot_id)
    return Registry.model_validate(row.document) if row is not None else None
