"""3.2.5 one credential used from several networks at the same time: a shared or stolen credential.

One person moving between the console, the CLI and a script at one desk uses one network: not sharing.
One person at the office in the morning and at home in the evening uses two networks hours apart: not
sharing either. Sharing is two networks active in overlapping periods. SQL finds the credential-hours with
more than one address; only those few are looked at closely.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, not_, or_, select

from vendorwatch.checks.knowledge import parse_ip
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import hour_bucket
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.i18n import t

_INTERNAL_AGENTS = ("AWS Internal", "%aws-internal%")


def _network(ip: str, prefix_v4: int, prefix_v6: int) -> str | None:
    address = parse_ip(ip)
    if address is None:
        return None
    prefix = prefix_v4 if address.version == 4 else prefix_v6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


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
    """Access keys, users or directory accounts with two networks active in overlapping periods."""
    credential = func.coalesce(EVENTS.c.access_key_id, EVENTS.c.principal)
    bucket = hour_bucket(EVENTS.c.event_time, ctx.dialect)
    addressed = (EVENTS.c.principal.is_not(None), EVENTS.c.source_ip.is_not(None),
                 not_(EVENTS.c.source_ip.like("%.amazonaws.com")), EVENTS.c.source_ip != "AWS Internal")
    usable = (
        *addressed,
        EVENTS.c.principal_kind.is_distinct_from("aws_service"),
        or_(EVENTS.c.user_agent.is_(None), and_(*(not_(EVENTS.c.user_agent.like(a)) for a in _INTERNAL_AGENTS))),
    )
    # 1. Principals ever seen from more than one address (on SQLite a sort over the covering identity index);
    #    a key belongs to one principal, so a key used from two addresses is among them.
    principals = [r[0] for r in ctx.session.execute(
        select(EVENTS.c.principal).where(*addressed).group_by(EVENTS.c.principal)
        .having(func.min(EVENTS.c.source_ip) != func.max(EVENTS.c.source_ip))  # > 1 address, without a sort
    )]
    if not principals:
        return
    # 2. Their credential-hours with more than one address.
    candidates = ctx.session.execute(
        select(EVENTS.c.vendor_id, credential.label("credential"), bucket.label("hour"))
        .where(*usable, EVENTS.c.principal.in_(principals))
        .group_by(credential, EVENTS.c.vendor_id, bucket)  # credential first: see GROUPING in checks.sql
        .having(func.min(EVENTS.c.source_ip) != func.max(EVENTS.c.source_ip))
    ).all()
    if not candidates:
        return
    wanted = {(r.vendor_id, r.credential, int(r.hour)) for r in candidates}
    # 3. The sessions (first and last time per address) of those credential-hours, in one query.
    sessions: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in ctx.session.execute(
        select(EVENTS.c.vendor_id, credential.label("credential"), bucket.label("hour"), EVENTS.c.source_ip,
               EVENTS.c.principal, func.min(EVENTS.c.event_time).label("first"),
               func.max(EVENTS.c.event_time).label("last"))
        .where(*usable, EVENTS.c.principal.in_(principals),
               credential.in_(sorted({c for _, c, _ in wanted})), bucket.in_(sorted({h for _, _, h in wanted})))
        .group_by(credential, EVENTS.c.vendor_id, bucket, EVENTS.c.source_ip, EVENTS.c.principal)
    ):
        if (row.vendor_id, row.credential, int(row.hour)) in wanted:
            sessions[(row.vendor_id, row.credential)].append(row)
    for (vendor_id, cred), rows in sorted(sessions.items()):
        params = ctx.parameters(vendor_id)
        prefix_v4, prefix_v6 = int(params["prefix_v4"]), int(params["prefix_v6"])  # type: ignore[arg-type]
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
        for per_network in spans.values():
            items = sorted(per_network.items(), key=lambda item: item[1][0])
            for i, (net_a, (start_a, end_a)) in enumerate(items):
                for net_b, (start_b, end_b) in items[i + 1:]:
                    if start_b <= end_a:  # both networks active at once: keep both sessions as evidence
                        overlaps.append((min(start_a, start_b), max(end_a, end_b), net_a, net_b))
        if not overlaps:
            continue
        networks = sorted({n for o in overlaps for n in o[2:]})
        ips = sorted({ip for n in networks for ip in ips_by_network[n]})
        window_start = min(o[0] for o in overlaps)
        window_end = max(o[1] for o in overlaps)
        ids = [r[0] for r in ctx.session.execute(
            select(EVENTS.c.source_event_id)
            .where(*usable, EVENTS.c.principal.in_(sorted(seen_principals)), EVENTS.c.vendor_id == vendor_id,
                   credential == cred, EVENTS.c.source_ip.in_(ips),
                   EVENTS.c.event_time >= window_start, EVENTS.c.event_time <= window_end)
            .order_by(EVENTS.c.event_time).limit(50)
        )]
        yield FindingDraft(
            vendor_id, cred,
            Evidence(ids, sorted(seen_principals), {"networks": networks, "source_ips": ips,
                                               "overlapping_periods": len(overlaps),
                                               "first_overlap": window_start.isoformat()}),
            t(
                f"{cred} が同時に複数のネットワーク（{', '.join(networks)}）から使われています",
                f"{cred} was used from several networks at once ({', '.join(networks)})"),
        )
