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

from sqlalchemy import and_, func, not_, or_, select

from vendorwatch.checks.knowledge import parse_ip
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import EVENTS, as_utc, hour_bucket, in_or_false
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
    usable = (
        EVENTS.c.source_ip.is_not(None),
        EVENTS.c.principal_kind.is_distinct_from("aws_service"),
        not_(EVENTS.c.source_ip.like("%.amazonaws.com")),
        EVENTS.c.source_ip != "AWS Internal",
        or_(EVENTS.c.user_agent.is_(None), and_(*(not_(EVENTS.c.user_agent.like(a)) for a in _INTERNAL_AGENTS))),
    )
    candidates = ctx.session.execute(
        select(EVENTS.c.vendor_id, credential.label("credential"), bucket.label("hour"))
        .where(*usable)
        .group_by(EVENTS.c.vendor_id, credential, bucket)
        .having(func.count(func.distinct(EVENTS.c.source_ip)) > 1)
    ).all()
    by_credential: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row in candidates:
        by_credential[(row.vendor_id, row.credential)].add(int(row.hour))
    for (vendor_id, cred), hours in sorted(by_credential.items()):
        params = ctx.parameters(vendor_id)
        prefix_v4, prefix_v6 = int(params["prefix_v4"]), int(params["prefix_v6"])  # type: ignore[arg-type]
        rows = ctx.session.execute(
            select(bucket.label("hour"), EVENTS.c.source_ip, EVENTS.c.principal,
                   func.min(EVENTS.c.event_time).label("first"), func.max(EVENTS.c.event_time).label("last"))
            .where(*usable, EVENTS.c.vendor_id == vendor_id, credential == cred, in_or_false(bucket, sorted(hours)))
            .group_by(bucket, EVENTS.c.source_ip, EVENTS.c.principal)
        ).all()
        spans: dict[int, dict[str, list[datetime]]] = defaultdict(dict)
        principals: set[str] = set()
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
                principals.add(row.principal)
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
            .where(*usable, EVENTS.c.vendor_id == vendor_id, credential == cred, EVENTS.c.source_ip.in_(ips),
                   EVENTS.c.event_time >= window_start, EVENTS.c.event_time <= window_end)
            .order_by(EVENTS.c.event_time).limit(50)
        )]
        yield FindingDraft(
            vendor_id, cred,
            Evidence(ids, sorted(principals), {"networks": networks, "source_ips": ips,
                                               "overlapping_periods": len(overlaps),
                                               "first_overlap": window_start.isoformat()}),
            t(
                f"{cred} が同時に複数のネットワーク（{', '.join(networks)}）から使われています",
                f"{cred} was used from several networks at once ({', '.join(networks)})"),
        )
