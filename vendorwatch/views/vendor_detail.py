"""One vendor in depth: its tree (sub-vendors, environments, sources with their last collection and SLA), the
principals with MFA, key age and last use, the roster with its leavers, and the transfers with their approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from vendorwatch.checks.sql import PERSONAL_KINDS, dn_spellings, spellings_of
from vendorwatch.clock import Clock, as_utc
from vendorwatch.db.core_tables import APPROVALS, EVENTS, PRINCIPALS, TRANSFERS
from vendorwatch.dn import identity_key, looks_like_dn
from vendorwatch.i18n import Text
from vendorwatch.registry.models import Registry, Vendor
from vendorwatch.scoring.coverage import SourceHealth
from vendorwatch.views.coverage import source_coverage
from vendorwatch.views.paging import Page, bounds
from vendorwatch.views.personal import Masker


@dataclass(frozen=True)
class Contact:
    """A contact person at the vendor (masked unless unmasked)."""

    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class VendorHeader:
    """Who the vendor is: names, tier, where it sits in the outsourcing chain, contract, contacts."""

    vendor_id: str
    name: Text
    tier: str
    handles_customer_data: bool
    services: tuple[str, ...]
    chain: tuple[tuple[str, Text], ...]  # parent, grandparent, ... (3.2.7)
    contract_id: str | None
    contract_start: date | None
    contract_end: date | None
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class TreeNode:
    """One line of the vendor tree: a vendor, an environment or a source, indented by ``depth``."""

    depth: int
    kind: str  # "vendor" | "environment" | "source"
    node_id: str
    label: Text
    detail: str
    coverage: SourceHealth | None = None


@dataclass(frozen=True)
class PrincipalRow:
    """An identity of the vendor as last collected."""

    external_id: str
    kind: str
    name: str
    source_id: str
    environment_id: str | None
    personal: bool
    mfa_enabled: bool | None
    console_access: bool | None
    key_created_at: datetime | None  # the key's own, or a user's oldest active key
    key_age_days: int | None
    last_used_at: datetime | None
    disabled: bool
    gone_at: datetime | None


@dataclass(frozen=True)
class RosterRow:
    """A person on the vendor's roster, and for a leaver the identities still enabled."""

    person: str
    name: str
    since: date
    until: date | None
    state: str  # "active" | "left" | "upcoming"
    identities: tuple[str, ...]
    still_enabled: tuple[str, ...]


@dataclass(frozen=True)
class TransferRow:
    """Data moved between environments or accounts, with the approval that covers it (if any)."""

    transfer_id: int
    occurred_at: datetime
    kind: str
    from_environment: str | None
    to_environment: str | None
    from_account: str | None
    to_account: str | None
    resource: str
    principal: str
    approval_id: str | None
    purpose: str | None
    approved_by: str | None
    window_start: datetime | None
    window_end: datetime | None


def vendor_header(registry: Registry, vendor_id: str, masker: Masker) -> VendorHeader:
    """The vendor's identity; ``KeyError`` if it is not in the registry in force."""
    vendor = registry.vendor(vendor_id)
    chain: list[tuple[str, Text]] = []
    parent, seen = vendor.parent, {vendor.id}
    while parent and parent not in seen:
        seen.add(parent)
        try:
            above = registry.vendor(parent)
        except KeyError:
            break
        chain.append((above.id, above.name.text()))
        parent = above.parent
    contract = vendor.contract
    return VendorHeader(
        vendor.id, vendor.name.text(), vendor.tier, vendor.handles_customer_data, tuple(vendor.services),
        tuple(chain), contract.id if contract else None, contract.start if contract else None,
        contract.end if contract else None,
        tuple(Contact(masker.name(c.name), masker.email(c.email), masker.phone(c.phone)) for c in vendor.contacts),
    )


def _environment_detail(environment: object) -> str:
    parts: list[str] = []
    accounts = getattr(environment, "aws_accounts", [])
    if accounts:
        parts.append("AWS " + ", ".join(accounts))
    buckets = getattr(environment, "buckets", [])
    if buckets:
        parts.append("S3 " + ", ".join(f"{b.name} ({b.data_class})" for b in buckets))
    directory = getattr(environment, "directory", None)
    if directory is not None:
        parts.append(f"LDAP {directory.base_dn}")
    return " · ".join(parts)


def vendor_tree(session: Session, registry: Registry, clock: Clock, vendor_id: str) -> tuple[TreeNode, ...]:
    """The vendor, its environments with their sources, then each sub-vendor the same way (every tier down)."""
    coverage = source_coverage(session, registry, clock)
    children: dict[str, list[Vendor]] = {}
    for vendor in registry.vendors:
        if vendor.parent:
            children.setdefault(vendor.parent, []).append(vendor)
    nodes: list[TreeNode] = []
    seen: set[str] = set()

    def walk(vendor: Vendor, depth: int) -> None:
        if vendor.id in seen:
            return
        seen.add(vendor.id)
        nodes.append(TreeNode(depth, "vendor", vendor.id, vendor.name.text(), vendor.tier))
        for environment in vendor.environments:
            nodes.append(TreeNode(depth + 1, "environment", environment.id, Text(ja=environment.kind, en=environment.kind),
                                  _environment_detail(environment)))
            for source in vendor.sources:
                if source.environment == environment.id:
                    nodes.append(TreeNode(depth + 2, "source", source.id, Text(ja=source.kind, en=source.kind),
                                          f"SLA {source.sla_hours} h", coverage.get(source.id)))
        known_environments = {e.id for e in vendor.environments}
        for source in vendor.sources:  # a source in a parent's environment (sub-vendors often work there)
            if source.environment not in known_environments:
                nodes.append(TreeNode(depth + 1, "source", source.id, Text(ja=source.kind, en=source.kind),
                                      f"{source.environment} · SLA {source.sla_hours} h", coverage.get(source.id)))
        for child in sorted(children.get(vendor.id, []), key=lambda v: v.id):
            walk(child, depth + 1)

    walk(registry.vendor(vendor_id), 0)
    return tuple(nodes)


def principals_page(session: Session, vendor_id: str, clock: Clock, masker: Masker, *, number: int = 1,
                    size: int = 50, include_gone: bool = False, kind: str | None = None) -> Page[PrincipalRow]:
    """The vendor's principals, a page at a time (personal accounts first, then by kind and id)."""
    number, size, offset = bounds(number, size)
    where = [PRINCIPALS.c.vendor_id == vendor_id]
    if not include_gone:
        where.append(PRINCIPALS.c.gone_at.is_(None))
    if kind:
        where.append(PRINCIPALS.c.kind == kind)
    total = session.execute(select(func.count()).select_from(PRINCIPALS).where(*where)).scalar_one()
    personal_first = PRINCIPALS.c.kind.in_(PERSONAL_KINDS)
    rows = list(session.execute(
        select(PRINCIPALS).where(*where)
        .order_by(personal_first.desc(), PRINCIPALS.c.kind, PRINCIPALS.c.external_id, PRINCIPALS.c.id)
        .limit(size).offset(offset)
    ))
    users = [r.external_id for r in rows if r.kind != "access_key"]
    oldest_key: dict[tuple[str, str], datetime] = {}
    if users:
        for key in session.execute(
            select(PRINCIPALS.c.source_id, PRINCIPALS.c.parent_external_id, func.min(PRINCIPALS.c.created_at).label("at"))
            .where(PRINCIPALS.c.kind == "access_key", PRINCIPALS.c.parent_external_id.in_(users),
                   PRINCIPALS.c.disabled.is_(False), PRINCIPALS.c.gone_at.is_(None))
            .group_by(PRINCIPALS.c.source_id, PRINCIPALS.c.parent_external_id)
        ):
            if key.at is not None:
                oldest_key[(key.source_id, key.parent_external_id)] = as_utc(key.at)
    now = clock.now()
    items = []
    for r in rows:
        own_key = r.kind == "access_key" and r.created_at is not None
        created = as_utc(r.created_at) if own_key else oldest_key.get((r.source_id, r.external_id))
        personal = r.kind in PERSONAL_KINDS and r.external_id not in masker.keep
        items.append(PrincipalRow(
            masker.principal(r.external_id) if personal else r.external_id,
            r.kind, masker.person(r.name) if personal else r.name, r.source_id, r.environment_id, personal,
            r.mfa_enabled, r.console_access, created, (now - created).days if created else None,
            as_utc(r.last_used_at) if r.last_used_at else None, bool(r.disabled),
            as_utc(r.gone_at) if r.gone_at else None,
        ))
    return Page(tuple(items), total, number, size)


def roster(session: Session, registry: Registry, vendor_id: str, today: date, masker: Masker) -> tuple[RosterRow, ...]:
    """The vendor's roster: current people, then leavers (first those whose identities are still enabled)."""
    vendor = registry.vendor(vendor_id)
    leavers = [m for m in vendor.roster if m.until is not None and m.until < today]
    identities = sorted({i for m in leavers for i in m.identities})
    enabled: set[str] = set()
    if identities:
        # A DN on the roster names its account in any spelling the directory uses (LDAP compares DNs so).
        spellings = dn_spellings(session) if any(looks_like_dn(i) for i in identities) else {}
        stored = {row.external_id for row in session.execute(
            select(PRINCIPALS.c.external_id).where(
                PRINCIPALS.c.external_id.in_(sorted({s for i in identities for s in spellings_of(i, spellings)})),
                PRINCIPALS.c.gone_at.is_(None), PRINCIPALS.c.disabled.is_(False))
        )}
        keys = {identity_key(s) for s in stored}
        enabled = {i for i in identities if i in stored or (looks_like_dn(i) and identity_key(i) in keys)}
    rows = []
    for member in vendor.roster:
        state = "left" if member in leavers else ("upcoming" if member.since > today else "active")
        still = tuple(masker.principal(i) for i in member.identities if state == "left" and i in enabled)
        rows.append(RosterRow(masker.person(member.person), masker.name(member.name), member.since, member.until, state,
                              tuple(masker.principal(i) for i in member.identities), still))
    order = {"active": 1, "upcoming": 2, "left": 3}
    rows.sort(key=lambda r: (0 if r.still_enabled else order[r.state], r.since))
    return tuple(rows)


def transfers_page(session: Session, vendor_id: str, masker: Masker, *, number: int = 1,
                   size: int = 20) -> Page[TransferRow]:
    """The vendor's transfers between environments and accounts, newest first, with their approvals."""
    number, size, offset = bounds(number, size)
    total = session.execute(select(func.count()).select_from(TRANSFERS)
                            .where(TRANSFERS.c.vendor_id == vendor_id)).scalar_one()
    approval = aliased(APPROVALS)
    query = (
        select(TRANSFERS, EVENTS.c.principal, approval.c.purpose, approval.c.approved_by,
               approval.c.window_start, approval.c.window_end)
        .join(EVENTS, EVENTS.c.id == TRANSFERS.c.access_event_id, isouter=True)
        .join(approval, and_(approval.c.id == TRANSFERS.c.approval_id), isouter=True)
        .where(TRANSFERS.c.vendor_id == vendor_id)
        .order_by(TRANSFERS.c.occurred_at.desc(), TRANSFERS.c.id.desc())
        .limit(size).offset(offset)
    )
    items = tuple(
        TransferRow(
            r.id, as_utc(r.occurred_at), r.kind, r.from_environment_id, r.to_environment_id, r.from_account,
            r.to_account, r.resource or "", masker.principal(r.principal), r.approval_id, r.purpose,
            masker.name(r.approved_by) if r.approved_by else None,
            as_utc(r.window_start) if r.window_start else None, as_utc(r.window_end) if r.window_end else None,
        )
        for r in session.execute(query)
    )
    return Page(items, total, number, size)
