"""The registry as the rows it should produce in each registry table (pure; no database)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import SQLModel

from vendorwatch.db import tables
from vendorwatch.registry.models import (
    DeclaredAccount,
    Environment,
    Registry,
    RosterMember,
    Source,
    TransferApproval,
    Vendor,
)

Row = dict[str, Any]
SOURCE_COMMON_FIELDS = {"id", "kind", "environment", "schedule", "sla_hours"}

# Each registry table, with the columns that make its natural key. Order matters: parents first.
REGISTRY_TABLES: list[tuple[type[SQLModel], tuple[str, ...]]] = [
    (tables.Vendor, ("id",)),
    (tables.Environment, ("id",)),
    (tables.EnvironmentAccount, ("account_id",)),
    (tables.Bucket, ("name",)),
    (tables.Source, ("id",)),
    (tables.RosterMember, ("vendor_id", "person", "since")),
    (tables.RosterIdentity, ("vendor_id", "person", "since", "external_id")),
    (tables.DeclaredAccount, ("vendor_id", "principal")),
    (tables.TransferApproval, ("id",)),
]


def desired_rows(registry: Registry) -> dict[str, list[Row]]:
    """Rows per table name, as the registry says they should be (without ``retired_at``)."""
    out: dict[str, list[Row]] = {str(table.__tablename__): [] for table, _ in REGISTRY_TABLES}
    for vendor in _parents_first(registry.vendors):
        out["vendors"].append(_vendor_row(vendor))
        for environment in vendor.environments:
            out["environments"].append(_environment_row(vendor, environment))
            out["environment_accounts"] += [
                {"account_id": account, "environment_id": environment.id, "vendor_id": vendor.id}
                for account in environment.aws_accounts]
            out["buckets"] += [
                {"name": bucket.name, "environment_id": environment.id, "vendor_id": vendor.id,
                 "data_class": bucket.data_class}
                for bucket in environment.buckets]
        out["sources"] += [_source_row(vendor, source) for source in vendor.sources]
        for member in vendor.roster:
            members, identities = _roster_rows(vendor, member)
            out["roster_members"].append(members)
            out["roster_identities"] += identities
        out["declared_accounts"] += [_declared_account_row(vendor, declared) for declared in vendor.accounts]
    out["transfer_approvals"] += [_transfer_row(transfer) for transfer in registry.transfers]
    return out


def _environment_row(vendor: Vendor, environment: Environment) -> Row:
    return {
        "id": environment.id,
        "vendor_id": vendor.id,
        "kind": environment.kind,
        "base_dn": environment.directory.base_dn if environment.directory else None,
        "allowed_networks": environment.allowed_networks,
        "allowed_hours": environment.allowed_hours.model_dump(mode="json") if environment.allowed_hours else None,
    }


def _source_row(vendor: Vendor, source: Source) -> Row:
    return {
        "id": source.id,
        "vendor_id": vendor.id,
        "environment_id": source.environment,
        "kind": source.kind,
        "settings": source.model_dump(mode="json", exclude=SOURCE_COMMON_FIELDS, exclude_none=True),
        "schedule": source.schedule.model_dump(mode="json", exclude_none=True) if source.schedule else None,
        "sla_hours": source.sla_hours,
    }


def _roster_rows(vendor: Vendor, member: RosterMember) -> tuple[Row, list[Row]]:
    """A roster member's row and the rows of the identities they hold."""
    row = {"vendor_id": vendor.id, "person": member.person, "name": member.name, "since": member.since,
           "until": member.until}
    identities = [{"vendor_id": vendor.id, "person": member.person, "since": member.since, "until": member.until,
                   "external_id": identity} for identity in member.identities]
    return row, identities


def _declared_account_row(vendor: Vendor, declared: DeclaredAccount) -> Row:
    hours = declared.allowed_hours
    return {
        "vendor_id": vendor.id,
        "principal": declared.principal,
        "kind": declared.kind,
        "owner": declared.owner,
        "allowed_hours": hours if isinstance(hours, str) or hours is None else hours.model_dump(mode="json"),
        "allowed_networks": declared.allowed_networks,
    }


def _transfer_row(transfer: TransferApproval) -> Row:
    return {
        "id": transfer.id,
        "vendor_id": transfer.vendor,
        "from_environment_id": transfer.from_,
        "to_environment_id": transfer.to,
        "resources": list(transfer.resources),
        "window_start": transfer.window.start,
        "window_end": transfer.window.end,
        "purpose": transfer.purpose,
        "approved_by": transfer.approved_by,
    }


def _vendor_row(vendor: Vendor) -> Row:
    return {
        "id": vendor.id,
        "parent_id": vendor.parent,
        "name_ja": vendor.name.ja,
        "name_en": vendor.name.en,
        "tier": vendor.tier,
        "handles_customer_data": vendor.handles_customer_data,
        "services": list(vendor.services),
        "contract_id": vendor.contract.id if vendor.contract else None,
        "contract_start": vendor.contract.start if vendor.contract else None,
        "contract_end": vendor.contract.end if vendor.contract else None,
        "contacts": [c.model_dump(mode="json", exclude_none=True) for c in vendor.contacts],
        "check_parameters": {k: dict(v) for k, v in vendor.checks.items()},
    }


def _parents_first(vendors: list[Vendor]) -> Iterator[Vendor]:
    done: set[str] = set()
    pending = list(vendors)
    while pending:
        ready = [v for v in pending if v.parent is None or v.parent in done]
        if not ready:  # a loop; validation reports it, keep the order
            ready = pending
        for vendor in ready:
            done.add(vendor.id)
            yield vendor
        pending = [v for v in pending if v.id not in done]
