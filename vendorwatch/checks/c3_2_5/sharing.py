"""3.2.5 one credential used from several networks at the same time: a shared or stolen credential.

One person moving between the console, the CLI and a script at one desk uses one network: not sharing.
One person at the office in the morning and at home in the evening uses two networks hours apart: not
sharing either. Sharing is two networks active in overlapping periods. SQL finds the credential-hours with
more than one address; only those few are looked at closely.

A directory account's credential is its DN, and LDAP logs and AD write a DN as each client sent it: the spellings
of one DN (``uid=alice,ou=people,...`` and ``UID=Alice, OU=People,...``) are one credential here, compared by
:func:`vendorwatch.dn.canonical_dn` in every stage, so one address per spelling and two spellings is still two
addresses. Access keys and ARNs are compared exactly, as AWS writes them.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, not_, or_, select

from vendorwatch.checks.knowledge import parse_ip
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import event_ids, hour_bucket, in_or_false
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.dn import canonical_dn, looks_like_dn
from vendorwatch.i18n import t

_INTERNAL_AGENTS = ("AWS Internal", "%aws-internal%")
EVIDENCE_MOMENTS = 50  # session starts and ends read for evidence from either end of the overlaps


def _network(ip: str, prefix_v4: int, prefix_v6: int) -> str | None:
    address = parse_ip(ip)
    if address is None:
        return None
    prefix = prefix_v4 if address.version == 4 else prefix_v6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def credential_key(credential: str) -> str:
    """What makes two credentials one: a DN's canonical key (its spellings are one account), else the credential
    exactly (access keys and ARNs are written one way)."""
    return canonical_dn(credential) if looks_like_dn(credential) else credential


@check(
    id="identity.shared_credential",
    control="3.2.5",
    severity="high",
    title=t("同じ認証情報が複数のネットワークから同時に使用", "One credential used from several networks at the same time"),
    remediation=t(
        "認証情報の共有（または漏えい）の可能性があります。利用者を確認し、認証情報を無効化して個人ごとに発行し直してください。",
        "The credential is shared (or stolen): find who uses it, revoke it and issue personal credentials.",
    ),
    parameters={"prefix_v4": 24, "prefix_v6": 64},
    kind="act",
)
def shared_credential(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Access keys, users or directory accounts (a DN in any spelling) with two networks active at once."""
    query = _SharingQuery(ctx)
    principals = query.principals_with_several_addresses()
    if not principals:
        return
    wanted = query.credential_hours_with_several_addresses(principals)
    if not wanted:
        return
    for (vendor_id, _key), rows in sorted(query.sessions(principals, wanted).items()):
        params = ctx.parameters(vendor_id)
        use = overlapping_use(rows, int(params["prefix_v4"]), int(params["prefix_v6"]))  # type: ignore[arg-type]
        if use is None:
            continue
        spellings = sorted({row.credential for row in rows})
        cred = _named(ctx, vendor_id, rows)
        ids = query.evidence_ids(vendor_id, spellings, use)
        details: dict[str, Any] = {"networks": use.networks, "source_ips": use.source_ips,
                                   "overlapping_periods": use.periods, "first_overlap": use.start.isoformat()}
        if len(spellings) > 1:
            details["spellings"] = spellings  # one DN, as the logs wrote it
        yield FindingDraft(
            vendor_id, cred, Evidence(ids, use.principals, details),
            t(
                f"{cred} が同時に複数のネットワーク（{', '.join(use.networks)}）から使われています",
                f"{cred} was used from several networks at once ({', '.join(use.networks)})"),
        )


def _named(ctx: EvaluationContext, vendor_id: str, rows: list[Any]) -> str:
    """The spelling a credential's finding is named by: its only one; of a DN written several ways, the one the
    registry writes (roster or declared accounts), else the one seen first (then the smallest)."""
    spellings = sorted({row.credential for row in rows})
    if len(spellings) == 1:
        return str(spellings[0])
    registered = {entry.external_id for s in spellings for entry in ctx.knowledge.roster_for(vendor_id, s)}
    registered |= {a.principal for s in spellings if (a := ctx.knowledge.declared_for(vendor_id, s)) is not None}
    for spelling in spellings:
        if spelling in registered:
            return str(spelling)
    return str(min(rows, key=lambda r: (as_utc(r.first), r.credential)).credential)


class _SharingQuery:
    """The SQL of the check, in the order it narrows down: principals, credential-hours, sessions, events."""

    def __init__(self, ctx: EvaluationContext) -> None:
        self.ctx = ctx
        self.credential = func.coalesce(EVENTS.c.access_key_id, EVENTS.c.principal)
        self.hour = hour_bucket(EVENTS.c.event_time, ctx.dialect)
        self.addressed = (EVENTS.c.principal.is_not(None), EVENTS.c.source_ip.is_not(None),
                          not_(EVENTS.c.source_ip.like("%.amazonaws.com")), EVENTS.c.source_ip != "AWS Internal")
        self.usable = (
            *self.addressed,
            EVENTS.c.principal_kind.is_distinct_from("aws_service"),
            or_(EVENTS.c.user_agent.is_(None),
                and_(*(not_(EVENTS.c.user_agent.like(a)) for a in _INTERNAL_AGENTS))),
        )

    def principals_with_several_addresses(self) -> list[str]:
        """Principals ever seen from more than one address (on SQLite a sort over the covering identity
        index); a key belongs to one principal, so a key used from two addresses is among them. A DN comes back
        with its addresses even from one address (``=`` in it): its spellings' addresses are added up here."""
        found: list[str] = []
        families: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for principal, low, high in self.ctx.session.execute(
            select(EVENTS.c.principal, func.min(EVENTS.c.source_ip), func.max(EVENTS.c.source_ip))
            .where(*self.addressed).group_by(EVENTS.c.principal)
            .having(or_(func.min(EVENTS.c.source_ip) != func.max(EVENTS.c.source_ip),  # > 1 address, without a sort
                        EVENTS.c.principal.like("%=%")))
        ):
            if looks_like_dn(principal):
                families[canonical_dn(principal)].append((principal, low, high))
            elif low != high:
                found.append(principal)
        for spelled in families.values():
            if len({address for _, low, high in spelled for address in (low, high)}) > 1:
                found.extend(principal for principal, _, _ in spelled)
        return sorted(found)

    def credential_hours_with_several_addresses(self, principals: list[str]) -> set[tuple[str, str, int]]:
        """(vendor, credential key, hour) of those principals' credentials with more than one address. The hours
        of a DN written several ways come back whatever their addresses and are added up by key here."""
        several = _spelled_several_ways(principals)
        addresses: dict[tuple[str, str, int], set[str]] = defaultdict(set)
        low, high = func.min(EVENTS.c.source_ip), func.max(EVENTS.c.source_ip)
        for row in self.ctx.session.execute(
            select(EVENTS.c.vendor_id, self.credential.label("credential"), self.hour.label("hour"),
                   low.label("low"), high.label("high"))
            .where(*self.usable, EVENTS.c.principal.in_(principals))
            .group_by(self.credential, EVENTS.c.vendor_id, self.hour)  # credential first: see GROUPING in checks.sql
            .having(or_(low != high, in_or_false(self.credential, several)))
        ):
            addresses[(row.vendor_id, credential_key(row.credential), int(row.hour))].update((row.low, row.high))
        return {wanted for wanted, seen in addresses.items() if len(seen) > 1}

    def sessions(self, principals: list[str],
                 wanted: set[tuple[str, str, int]]) -> dict[tuple[str, str], list[Any]]:
        """The sessions (first and last time per address) of those credential-hours, in one query, by
        (vendor, credential key)."""
        keys = {key for _, key, _ in wanted}
        credentials = sorted({p for p in principals if credential_key(p) in keys} | keys)  # a DN's spellings
        sessions: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for row in self.ctx.session.execute(
            select(EVENTS.c.vendor_id, self.credential.label("credential"), self.hour.label("hour"),
                   EVENTS.c.source_ip, EVENTS.c.principal, func.min(EVENTS.c.event_time).label("first"),
                   func.max(EVENTS.c.event_time).label("last"))
            .where(*self.usable, EVENTS.c.principal.in_(principals), self.credential.in_(credentials),
                   self.hour.in_(sorted({h for _, _, h in wanted})))
            .group_by(self.credential, EVENTS.c.vendor_id, self.hour, EVENTS.c.source_ip, EVENTS.c.principal)
        ):
            key = credential_key(row.credential)
            if (row.vendor_id, key, int(row.hour)) in wanted:
                sessions[(row.vendor_id, key)].append(row)
        return sessions

    def evidence_ids(self, vendor_id: str, spellings: list[str], use: OverlappingUse) -> list[str]:
        """Up to 50 events of the credential (in any of its spellings) that show the overlaps: those that began
        and ended each network's session in an overlapping period (the first and newest of them). They are read
        by their times, lookups in the (vendor, time) index; reading every event of the vendor from the first
        overlap to the last in time order took 0.25 s at 1,000,000 events for a credential used seldom (a
        directory account), more than the rest of the check's evidence together."""
        moments = sorted(set(use.moments[:EVIDENCE_MOMENTS]) | set(use.moments[-EVIDENCE_MOMENTS:]))
        during = EVENTS.c.event_time.in_(moments) if moments else and_(EVENTS.c.event_time >= use.start,
                                                                        EVENTS.c.event_time <= use.end)
        return event_ids(self.ctx.session, *self.usable, EVENTS.c.principal.in_(use.principals),
                         EVENTS.c.vendor_id == vendor_id,
                         self.credential == spellings[0] if len(spellings) == 1 else self.credential.in_(spellings),
                         EVENTS.c.source_ip.in_(use.source_ips), during)

def _spelled_several_ways(principals: Iterable[str]) -> list[str]:
    """The principals that are one of several spellings of a DN among ``principals``."""
    families: dict[str, list[str]] = defaultdict(list)
    for principal in principals:
        if looks_like_dn(principal):
            families[canonical_dn(principal)].append(principal)
    return sorted(p for spelled in families.values() if len(spelled) > 1 for p in spelled)


@dataclass(frozen=True)
class OverlappingUse:
    """A credential's networks active at the same time: which, from which addresses, by whom, when."""

    networks: list[str]
    source_ips: list[str]
    principals: list[str]
    periods: int
    start: datetime
    end: datetime
    moments: tuple[datetime, ...] = ()  # when the overlapping sessions began and ended, in time order


def overlapping_use(rows: Iterable[Any], prefix_v4: int, prefix_v6: int) -> OverlappingUse | None:
    """From one credential's sessions (hour, address, principal, first, last): the networks active in
    overlapping periods within an hour, or ``None`` when no two were (pure)."""
    spans: dict[int, dict[str, list[datetime]]] = defaultdict(dict)
    seen_principals: set[str] = set()
    ips_by_network: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        network = _network(row.source_ip, prefix_v4, prefix_v6)
        if network is None:
            continue
        first, last = as_utc(row.first), as_utc(row.last)
        assert first is not None and last is not None
        span = spans[int(row.hour)].setdefault(network, [first, last])
        span[0], span[1] = min(span[0], first), max(span[1], last)
        ips_by_network[network].add(row.source_ip)
        if row.principal:
            seen_principals.add(row.principal)
    overlaps: list[tuple[datetime, datetime, str, str]] = []
    moments: set[datetime] = set()
    for per_network in spans.values():
        items = sorted(per_network.items(), key=lambda item: item[1][0])
        for i, (net_a, (start_a, end_a)) in enumerate(items):
            for net_b, (start_b, end_b) in items[i + 1:]:
                if start_b <= end_a:  # both networks active at once: keep both sessions as evidence
                    overlaps.append((min(start_a, start_b), max(end_a, end_b), net_a, net_b))
                    moments.update((start_a, end_a, start_b, end_b))
    if not overlaps:
        return None
    networks = sorted({n for o in overlaps for n in o[2:]})
    return OverlappingUse(networks=networks, source_ips=sorted({ip for n in networks for ip in ips_by_network[n]}),
                          principals=sorted(seen_principals), periods=len(overlaps),
                          start=min(o[0] for o in overlaps), end=max(o[1] for o in overlaps),
                          moments=tuple(sorted(moments)))
