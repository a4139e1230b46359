"""Checks that span the registry: names that name nothing, claims made twice, dates that overlap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date

from vendorwatch.dn import canonical_dn, looks_like_dn
from vendorwatch.i18n import t
from vendorwatch.registry.models import Registry, RosterMember
from vendorwatch.registry.problems import RegistryProblem

Path = tuple[str | int, ...]


def check_references(registry: Registry, unvalidated_vendor_ids: frozenset[str] = frozenset()) -> list[RegistryProblem]:
    """All cross-reference problems of a registry.

    ``unvalidated_vendor_ids`` names vendors that exist in the file but failed schema validation (and so are
    not in ``registry``): references to them are not reported as dangling, their own problems already are.
    """
    return [
        *_duplicate_ids(registry),
        *_parents(registry, unvalidated_vendor_ids),
        *_vendor_internal(registry),
        *_aws_accounts(registry),
        *_identities(registry),
        *_transfers(registry, unvalidated_vendor_ids),
        *_changes(registry, unvalidated_vendor_ids),
    ]


def _same_identity(value: str) -> str:
    """How the registry tells two identities apart: a DN in any spelling LDAP deems equal is one identity."""
    return canonical_dn(value) if looks_like_dn(value) else value


def _duplicates(items: Sequence[tuple[str, Path]], what_ja: str, what_en: str) -> Iterator[RegistryProblem]:
    first: dict[str, Path] = {}
    for key, path in items:
        if _same_identity(key) in first:
            where = _dotted(first[_same_identity(key)])
            yield RegistryProblem(
                path=path,
                message=t(
                    f"{what_ja} {key} は {where} と重複しています",
                    f"{what_en} {key} is already used at {where}",
                ),
            )
        else:
            first[_same_identity(key)] = path


def _dotted(path: Path) -> str:
    from vendorwatch.registry.problems import format_path

    return format_path(path)


def _duplicate_ids(registry: Registry) -> Iterator[RegistryProblem]:
    vendors = [(v.id, ("vendors", i, "id")) for i, v in enumerate(registry.vendors)]
    environments = [
        (e.id, ("vendors", i, "environments", j, "id"))
        for i, v in enumerate(registry.vendors)
        for j, e in enumerate(v.environments)
    ]
    sources = [
        (s.id, ("vendors", i, "sources", j, "id"))
        for i, v in enumerate(registry.vendors)
        for j, s in enumerate(v.sources)
    ]
    buckets = [
        (b.name, ("vendors", i, "environments", j, "buckets", k, "name"))
        for i, v in enumerate(registry.vendors)
        for j, e in enumerate(v.environments)
        for k, b in enumerate(e.buckets)
    ]
    transfers = [(tr.id, ("transfers", i, "id")) for i, tr in enumerate(registry.transfers)]
    yield from _duplicates(vendors, "委託先 ID", "vendor id")
    yield from _duplicates(environments, "環境 ID", "environment id")
    yield from _duplicates(sources, "ソース ID", "source id")
    yield from _duplicates(buckets, "バケット", "bucket")
    yield from _duplicates(transfers, "移送承認 ID", "transfer id")


def _parents(registry: Registry, unvalidated: frozenset[str]) -> Iterator[RegistryProblem]:
    ids = {v.id for v in registry.vendors} | unvalidated
    parent_of = {v.id: v.parent for v in registry.vendors}
    for i, vendor in enumerate(registry.vendors):
        if vendor.parent is None:
            continue
        path: Path = ("vendors", i, "parent")
        if vendor.parent not in ids:
            yield RegistryProblem(
                path=path,
                message=t(
                    f"親委託先 {vendor.parent} は登録されていません",
                    f"parent vendor {vendor.parent} is not in the registry",
                ),
            )
            continue
        seen = {vendor.id}
        current: str | None = vendor.parent
        while current is not None:
            if current in seen:
                yield RegistryProblem(
                    path=path,
                    message=t(
                        f"委託の親子関係が循環しています（{vendor.id} → … → {current}）",
                        f"the parent chain loops ({vendor.id} → … → {current})",
                    ),
                )
                break
            seen.add(current)
            current = parent_of.get(current)


def _vendor_internal(registry: Registry) -> Iterator[RegistryProblem]:
    for i, vendor in enumerate(registry.vendors):
        environments = {e.id for e in vendor.environments}
        people = {m.person for m in vendor.roster}
        for j, source in enumerate(vendor.sources):
            if source.environment not in environments:
                yield RegistryProblem(
                    path=("vendors", i, "sources", j, "environment"),
                    message=t(
                        f"環境 {source.environment} は委託先 {vendor.id} の環境にありません",
                        f"environment {source.environment} is not an environment of vendor {vendor.id}",
                    ),
                )
        for j, account in enumerate(vendor.accounts):
            if account.owner not in people:
                yield RegistryProblem(
                    path=("vendors", i, "accounts", j, "owner"),
                    message=t(
                        f"所有者 {account.owner} は委託先 {vendor.id} の要員名簿にいません",
                        f"owner {account.owner} is not on the roster of vendor {vendor.id}",
                    ),
                )
        principals = [(a.principal, ("vendors", i, "accounts", j, "principal")) for j, a in enumerate(vendor.accounts)]
        yield from _duplicates(principals, "アカウント", "account")
        by_person: dict[str, list[tuple[int, RosterMember]]] = defaultdict(list)
        for j, member in enumerate(vendor.roster):
            by_person[member.person].append((j, member))
        for entries in by_person.values():
            for (_, a), (k, b) in _pairs(entries):
                if _overlap(a, b):
                    yield RegistryProblem(
                        path=("vendors", i, "roster", k),
                        message=t(
                            f"要員 {b.person} の担当期間が重複しています",
                            f"the roster dates of {b.person} overlap",
                        ),
                    )


def _pairs(entries: list[tuple[int, RosterMember]]) -> Iterator[tuple[tuple[int, RosterMember], tuple[int, RosterMember]]]:
    for x in range(len(entries)):
        for y in range(x + 1, len(entries)):
            yield entries[x], entries[y]


def _overlap(a: RosterMember, b: RosterMember) -> bool:
    a_end = a.until or date.max
    b_end = b.until or date.max
    return a.since <= b_end and b.since <= a_end


def _aws_accounts(registry: Registry) -> Iterator[RegistryProblem]:
    claims: dict[str, tuple[str, str]] = {}
    for i, vendor in enumerate(registry.vendors):
        for j, environment in enumerate(vendor.environments):
            for k, account in enumerate(environment.aws_accounts):
                if account in claims:
                    other_vendor, other_env = claims[account]
                    who = "委託先 " + other_vendor if other_vendor != vendor.id else "環境 " + other_env
                    who_en = "vendor " + other_vendor if other_vendor != vendor.id else "environment " + other_env
                    yield RegistryProblem(
                        path=("vendors", i, "environments", j, "aws_accounts", k),
                        message=t(
                            f"AWS アカウント {account} は既に {who} が使っています",
                            f"AWS account {account} is already claimed by {who_en}",
                        ),
                    )
                else:
                    claims[account] = (vendor.id, environment.id)


def _identities(registry: Registry) -> Iterator[RegistryProblem]:
    holders: dict[str, list[tuple[Path, str, RosterMember]]] = defaultdict(list)
    spelled: dict[str, str] = {}
    for i, vendor in enumerate(registry.vendors):
        for j, member in enumerate(vendor.roster):
            for k, identity in enumerate(member.identities):
                holders[_same_identity(identity)].append(
                    (("vendors", i, "roster", j, "identities", k), vendor.id, member))
                spelled.setdefault(_same_identity(identity), identity)
    for key, entries in holders.items():
        identity = spelled[key]
        for x in range(len(entries)):
            for y in range(x + 1, len(entries)):
                _, vendor_a, a = entries[x]
                path, vendor_b, b = entries[y]
                same_person = vendor_a == vendor_b and a.person == b.person
                if not same_person and _overlap(a, b):
                    yield RegistryProblem(
                        path=path,
                        message=t(
                            f"ID {identity} は {vendor_a}/{a.person} と {vendor_b}/{b.person} に"
                            "同じ期間に割り当てられています（共有 ID）",
                            f"identity {identity} is assigned to {vendor_a}/{a.person} and "
                            f"{vendor_b}/{b.person} over overlapping dates (a shared identity)",
                        ),
                    )


def _transfers(registry: Registry, unvalidated: frozenset[str]) -> Iterator[RegistryProblem]:
    vendors = {v.id: v for v in registry.vendors}
    for i, transfer in enumerate(registry.transfers):
        vendor = vendors.get(transfer.vendor)
        if vendor is None and transfer.vendor in unvalidated:
            continue
        if vendor is None:
            yield RegistryProblem(
                path=("transfers", i, "vendor"),
                message=t(
                    f"委託先 {transfer.vendor} は登録されていません",
                    f"vendor {transfer.vendor} is not in the registry",
                ),
            )
            continue
        environments = {e.id for e in vendor.environments}
        for field, value in (("from", transfer.from_), ("to", transfer.to)):
            if value not in environments:
                yield RegistryProblem(
                    path=("transfers", i, field),
                    message=t(
                        f"環境 {value} は委託先 {vendor.id} の環境にありません",
                        f"environment {value} is not an environment of vendor {vendor.id}",
                    ),
                )
        if transfer.from_ == transfer.to:
            yield RegistryProblem(
                path=("transfers", i, "to"),
                message=t("移送元と移送先が同じ環境です", "a transfer goes from and to the same environment"),
            )


def _changes(registry: Registry, unvalidated: frozenset[str]) -> Iterator[RegistryProblem]:
    vendors = {v.id for v in registry.vendors} | unvalidated
    for i, change in enumerate(registry.changes):
        if change.vendor not in vendors:
            yield RegistryProblem(
                path=("changes", i, "vendor"),
                message=t(f"委託先 {change.vendor} は登録されていません", f"vendor {change.vendor} is not in the registry"),
            )
