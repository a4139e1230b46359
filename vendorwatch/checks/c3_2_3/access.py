"""3.2.3 who touches customer data, from where and when — against what the registry allows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select

from vendorwatch.checks.knowledge import ip_allowed
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import (
    customer_events,
    event_ids_by,
    in_or_false,
    inside_window,
    local_parts,
    time_span,
)
from vendorwatch.clock import as_utc, local_time
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.i18n import t

_CUSTOMER_ACTS = (customer_events(), EVENTS.c.outcome == "success")
_SERVICE_SUFFIX = ".amazonaws.com"


@check(
    id="access.customer_data_outside_networks",
    control="3.2.3",
    severity="high",
    title=t("許可外ネットワークからの顧客データへのアクセス", "Customer-data access from outside the allowed networks"),
    remediation=t(
        "送信元が委託先の正規の拠点か確認してください。"
        "不正であれば認証情報を無効化し、バケットポリシーで送信元 IP を制限してください。",
        "Check whether the source is one of the vendor's sites; if not, revoke the credentials and restrict "
        "source IPs in the bucket policy.",
    ),
    kind="act",
)
def customer_data_outside_networks(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful customer-data events whose source IP is outside the principal's or environment's networks."""
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.environment_id, EVENTS.c.principal, EVENTS.c.session_issuer,
               EVENTS.c.source_ip, func.count().label("n"),
               func.min(EVENTS.c.event_time).label("first"), func.max(EVENTS.c.event_time).label("last"))
        .where(*_CUSTOMER_ACTS)
        .group_by(EVENTS.c.vendor_id, EVENTS.c.environment_id, EVENTS.c.principal, EVENTS.c.session_issuer,
                  EVENTS.c.source_ip)
    )
    outside: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for row in rows:
        allowed = ctx.knowledge.allowed_networks(row.vendor_id, row.environment_id, row.principal, row.session_issuer)
        if allowed is None or ip_allowed(row.source_ip, allowed) is not False:
            continue  # no restriction declared, inside, or not an address (an AWS service acting)
        key = (row.vendor_id, row.environment_id, row.principal)
        entry = outside.setdefault(key, {"ips": set(), "issuers": set(), "n": 0, "first": None, "last": None,
                                         "allowed": [str(n) for n in allowed],
                                         "vendor": ctx.knowledge.attributed(row.vendor_id, row.principal,
                                                                            row.session_issuer)})
        entry["ips"].add(row.source_ip)
        if row.session_issuer:
            entry["issuers"].add(row.session_issuer)
        entry["n"] += row.n
        for name, pick in (("first", min), ("last", max)):
            value = as_utc(getattr(row, name))
            entry[name] = value if entry[name] is None else pick(entry[name], value)
    evidence = event_ids_by(
        ctx.session, (EVENTS.c.principal, EVENTS.c.vendor_id, EVENTS.c.environment_id, EVENTS.c.source_ip),
        *_CUSTOMER_ACTS, in_or_false(EVENTS.c.principal, {k[2] for k in outside}),
        in_or_false(EVENTS.c.source_ip, {ip for e in outside.values() for ip in e["ips"]}),
    )
    for (vendor_id, environment_id, principal), entry in sorted(outside.items(), key=lambda i: str(i[0])):
        ips = sorted(entry["ips"])
        ids = [i for ip in ips for i in evidence.get((principal, vendor_id, environment_id, ip), [])]
        who = principal or "(unknown)"
        yield FindingDraft(
            entry["vendor"], f"{who}@{environment_id}",  # a sub-vendor's person: the sub-vendor's finding
            Evidence(ids, [who, *entry["issuers"]],
                     {"source_ips": ips, "allowed_networks": entry["allowed"], "event_count": entry["n"],
                      "environment": environment_id, "first": entry["first"].isoformat(),
                      "last": entry["last"].isoformat()}),
            t(f"{who} が許可外の {', '.join(ips)} から顧客データに {entry['n']} 回アクセス（{environment_id}）",
              f"{who} accessed customer data {entry['n']} time(s) from {', '.join(ips)}, outside the allowed "
              f"networks of {environment_id}"),
        )


@check(
    id="access.customer_data_outside_hours",
    control="3.2.3",
    severity="medium",
    title=t("許可時間外の顧客データへのアクセス", "Customer-data access outside the allowed hours"),
    remediation=t(
        "作業申請の有無を委託先に確認してください。"
        "定常的な夜間バッチであれば台帳の accounts に allowed_hours を登録してください。",
        "Ask the vendor for the work request; a regular night batch belongs in the registry's accounts with "
        "its allowed_hours.",
    ),
    kind="act",
)
def customer_data_outside_hours(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Customer-data events outside the environment's hours (in the organization's zone), unless allowed."""
    zone = ctx.timezone
    span = time_span(ctx.session, [v.id for v in ctx.vendors])
    if span is None:
        return
    dow, minutes = local_parts(EVENTS.c.event_time, ctx.dialect, zone, span)
    for vendor in ctx.vendors:
        exempt: list[str] = []
        own_windows = []
        # A sub-vendor's declared accounts act in its parent's environments too (#12).
        working = [ctx.knowledge.vendors[v] for v in (vendor.id, *ctx.knowledge.descendants.get(vendor.id, []))
                   if v in ctx.knowledge.vendors]
        for account in (a for v in working for a in v.accounts):
            if account.allowed_hours is None:
                continue
            exempt.append(account.principal)
            if account.allowed_hours != "any":
                own_windows.append((account.principal, account.allowed_hours))
        not_exempt = and_(
            or_(EVENTS.c.principal.is_(None), EVENTS.c.principal.not_in(exempt)) if exempt else EVENTS.c.id.is_not(None),
            or_(EVENTS.c.session_issuer.is_(None), EVENTS.c.session_issuer.not_in(exempt))
            if exempt else EVENTS.c.id.is_not(None),
        )
        scopes: list[tuple[ColumnElement[bool], Any, str]] = []
        for environment in vendor.environments:
            if environment.allowed_hours is not None:
                scopes.append((and_(EVENTS.c.environment_id == environment.id, not_exempt),
                               environment.allowed_hours, environment.id))
        for principal, window in own_windows:
            scopes.append((or_(EVENTS.c.principal == principal, EVENTS.c.session_issuer == principal), window,
                           f"account {principal}"))
        for scope, window, label in scopes:
            outside = (*_CUSTOMER_ACTS, EVENTS.c.vendor_id == vendor.id, scope, not_(inside_window(dow, minutes, window)))
            found = ctx.session.execute(
                select(EVENTS.c.principal, EVENTS.c.environment_id, func.count().label("n"),
                       func.min(EVENTS.c.event_time).label("first"), func.max(EVENTS.c.event_time).label("last"))
                .where(*outside).group_by(EVENTS.c.principal, EVENTS.c.environment_id)
            )
            rows = found.all()
            evidence = event_ids_by(ctx.session, (EVENTS.c.principal, EVENTS.c.environment_id), *outside) if rows else {}
            for row in rows:
                ids = evidence.get((row.principal, row.environment_id), [])
                first, last = as_utc(row.first), as_utc(row.last)
                who = row.principal or "(unknown)"
                hours = f"{','.join(window.days)} {window.start}-{window.end}"
                yield FindingDraft(
                    ctx.knowledge.attributed(vendor.id, row.principal), f"{who}@{row.environment_id}",
                    Evidence(ids, [who], {"event_count": row.n, "allowed_hours": hours, "scope": label,
                                          "timezone": zone, "first_local": local_time(first, zone),
                                          "last_local": local_time(last, zone)}),
                    t(f"{who} が許可時間（{hours} {zone}）外に顧客データへ {row.n} 回アクセス（最初 {local_time(first, zone)}）",
                      f"{who} accessed customer data {row.n} time(s) outside {hours} {zone} "
                      f"(first {local_time(first, zone)})"),
                )


@check(
    id="access.unregistered_principal",
    control="3.2.3",
    severity="high",
    title=t("委託先に登録されていない主体による顧客データへのアクセス",
            "Customer-data access by a principal not registered to the vendor"),
    remediation=t(
        "アクセスした主体を特定し、正当であれば台帳の roster または accounts に登録、不正であれば権限を剥奪してください。",
        "Identify the principal: register it (roster or accounts) if legitimate, otherwise revoke its access.",
    ),
    kind="act",
)
def unregistered_principal(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful customer-data events by principals that neither the roster nor the declared accounts name."""
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.principal, EVENTS.c.session_issuer, func.count().label("n"))
        .where(*_CUSTOMER_ACTS)
        .group_by(EVENTS.c.vendor_id, EVENTS.c.principal, EVENTS.c.session_issuer)
    )
    grouped: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"n": 0, "principals": set()})
    for row in rows:
        if not row.principal or row.principal.endswith(_SERVICE_SUFFIX):
            continue  # an AWS service acting (ec2.amazonaws.com, ...), named by CloudTrail's invokedBy
        if ctx.knowledge.registered(row.vendor_id, row.principal, row.session_issuer):
            continue
        key = (row.vendor_id, row.session_issuer or row.principal)
        grouped[key]["n"] += row.n
        grouped[key]["principals"].add(row.principal)
    evidence = event_ids_by(ctx.session, (EVENTS.c.principal, EVENTS.c.vendor_id), *_CUSTOMER_ACTS,
                            in_or_false(EVENTS.c.principal, {p for e in grouped.values() for p in e["principals"]}))
    for (vendor_id, subject), entry in sorted(grouped.items()):
        principals = sorted(entry["principals"])
        ids = [i for p in principals for i in evidence.get((p, vendor_id), [])]
        yield FindingDraft(
            vendor_id, subject, Evidence(ids, [subject, *principals], {"event_count": entry["n"]}),
            t(f"未登録の主体 {subject} が顧客データに {entry['n']} 回アクセス",
              f"unregistered principal {subject} accessed customer data {entry['n']} time(s)"),
        )


@check(
    id="access.customer_data_denied_attempts",
    control="3.2.3",
    severity="medium",
    title=t("顧客データへの拒否されたアクセス試行の繰返し", "Repeated denied attempts on customer data"),
    remediation=t(
        "権限のない主体が顧客データを探っている可能性があります。主体と送信元を確認してください。",
        "A principal without rights may be probing customer data; check who and from where.",
    ),
    parameters={"attempts": 5},
    kind="attempt",
)
def customer_data_denied_attempts(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """At least ``attempts`` failed (access-denied) calls on customer data by one principal."""
    denied = (customer_events(), EVENTS.c.outcome == "failure")
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.principal, func.count().label("n"))
        .where(*denied).group_by(EVENTS.c.vendor_id, EVENTS.c.principal)
    )
    over = [r for r in rows if r.n >= int(ctx.parameters(r.vendor_id)["attempts"])]  # type: ignore[arg-type]
    evidence = event_ids_by(ctx.session, (EVENTS.c.principal, EVENTS.c.vendor_id), *denied,
                            in_or_false(EVENTS.c.principal, {r.principal for r in over})) if over else {}
    for row in over:
        needed = int(ctx.parameters(row.vendor_id)["attempts"])  # type: ignore[arg-type]
        who = row.principal or "(unknown)"
        ids = evidence.get((row.principal, row.vendor_id), [])
        yield FindingDraft(
            row.vendor_id, who, Evidence(ids, [who], {"attempts": row.n, "threshold": needed}),
            t(f"{who} による顧客データへの拒否された試行 {row.n} 回（試行であり、アクセスは成立していません）",
              f"{row.n} denied attempts on customer data by {who} (attempts, no access happened)"),
        )
