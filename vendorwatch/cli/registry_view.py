"""How the CLI shows a registry and an import plan (personal data masked)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.console import Console

from vendorwatch.cli.text import styled
from vendorwatch.masking import mask_email, mask_name
from vendorwatch.printable import printable

if TYPE_CHECKING:
    from vendorwatch.registry.models import Registry
    from vendorwatch.registry.sync import ImportPlan

_ACTION = {"add": ("追加", "add"), "update": ("変更", "update"), "retire": ("廃止", "retire")}


def print_plan(console: Console, plan: ImportPlan, *, dry_run: bool) -> None:
    """The changes of an import, one per line, or that there are none."""
    if plan.empty:
        console.print("台帳に変更はありません / the registry is unchanged", highlight=False)
        return
    head = "取込み予定（書込みなし）/ would import (nothing written)" if dry_run else "台帳を取込みました / imported the registry"
    console.print(styled((head, "bold"), f" — {len(plan.changes)} 件 / changes (sha256 {plan.sha256[:12]})"))
    if plan.organization_changed:
        console.print("  organization: 変更 / changed", highlight=False)
    added: dict[str, int] = {}
    for change in plan.changes:
        if change.action == "add":
            added[change.table] = added.get(change.table, 0) + 1
    if added:
        summary = ", ".join(f"{table} {count}" for table, count in added.items())
        console.print(styled(f"  追加/add: {summary}"))
    for change in plan.changes:
        if change.action == "add":
            continue
        ja, en = _ACTION[change.action]
        detail = ", ".join(f"{name}: {old!r} → {new!r}" for name, (old, new) in change.fields.items())
        console.print(styled(f"  {ja}/{en} {change.table} {change.key}" + (f" ({detail})" if detail else "")))


def print_registry(console: Console, registry: Registry, *, today: date, unmask: bool = False) -> None:
    """The vendor tree: sub-vendors under their parent, with environments, sources and roster."""
    from rich.tree import Tree

    from vendorwatch.registry.models import Vendor

    org = registry.organization
    tree = Tree(styled((printable(org.name.ja), "bold"), f" / {org.name.en} ({org.timezone})"))
    children: dict[str | None, list[Vendor]] = {}
    for vendor in registry.vendors:
        children.setdefault(vendor.parent, []).append(vendor)

    def add(node: Tree, vendor: Vendor) -> None:
        data = "顧客情報あり / customer data" if vendor.handles_customer_data else "顧客情報なし / no customer data"
        contract = ""
        if vendor.contract:
            end = vendor.contract.end.isoformat() if vendor.contract.end else "—"
            contract = f", 契約 / contract {vendor.contract.id} {vendor.contract.start.isoformat()}..{end}"
        branch = node.add(styled((printable(vendor.id), "bold"),
                                 f" {vendor.name.ja} / {vendor.name.en} — tier {vendor.tier}, {data}{contract}"))
        for environment in vendor.environments:
            where = ", ".join(environment.aws_accounts) or (environment.directory.base_dn if environment.directory else "")
            buckets = ", ".join(f"{b.name} ({b.data_class})" for b in environment.buckets)
            branch.add(styled(f"環境 / environment {environment.id} [{environment.kind}] {where}"
                              + (f"; buckets: {buckets}" if buckets else "")))
        if vendor.sources:
            for source in vendor.sources:
                branch.add(styled(f"ソース / source {source.id} [{source.kind}] → {source.environment}, "
                                  f"SLA {source.sla_hours}h"))
        else:
            branch.add(styled(("監視ソースなし / no monitoring source", "yellow")))
        active = [m for m in vendor.roster if m.active_on(today)]
        names = ", ".join(m.name if unmask else mask_name(m.name) for m in active)
        branch.add(styled(f"要員 / roster: {len(active)} 名在任 / active of {len(vendor.roster)}"
                          + (f" ({names})" if names else "")))
        if vendor.accounts:
            branch.add(f"宣言済みアカウント / declared accounts: {len(vendor.accounts)}")
        for contact in vendor.contacts:
            email = contact.email if unmask else mask_email(contact.email)
            name = contact.name if unmask else mask_name(contact.name)
            branch.add(styled(f"連絡先 / contact {name} <{email}>"))
        for child in children.get(vendor.id, []):
            add(branch, child)

    for vendor in children.get(None, []):
        add(tree, vendor)
    console.print(tree)
    if registry.transfers:
        console.print(f"承認済み移送 / approved transfers: {len(registry.transfers)}", highlight=False)
        for transfer in registry.transfers:
            console.print(styled(f"  {transfer.id} {transfer.vendor}: {transfer.from_} → {transfer.to} "
                                 f"{transfer.window.start.isoformat()}..{transfer.window.end.isoformat()}"))
