"""3.2.5 management of the access rights given to vendors: every account named, owned, current, personal."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.sql import (
    EVIDENCE_PER_GROUP,
    PERSONAL_KINDS,
    event_ids,
    event_ids_by,
    in_or_false,
    spellings_among,
)
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, PRINCIPALS, REGISTRY_SNAPSHOTS
from vendorwatch.dn import first_rdn_value, identity_key, looks_like_dn
from vendorwatch.i18n import t

GENERIC_NAMES = ["admin", "administrator", "root", "test", "tester", "guest", "share", "shared", "common", "kyoyu",
                 "kyouyu", "共有", "temp", "tmp", "user", "operator", "demo"]
IDENTITY_ACTIONS = ("CreateUser", "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile")


def short_name(external_id: str) -> str:
    """``user/dev/alice`` → ``alice``; ``uid=alice,ou=people,...`` → ``alice``; ``CN=Bob,...`` → ``Bob``."""
    if looks_like_dn(external_id):
        return first_rdn_value(external_id)
    return external_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def attributable(principal: str) -> bool:
    """Whether a principal is named (an ARN or a DN): a bare principal id cannot be looked up in a roster."""
    return principal.startswith("arn:") or "=" in principal


def is_generic(name: str, generic: list[str]) -> bool:
    """Whether an account name is a generic word (alone or as a token: ``admin01``, ``test-user``, ``共有ID``)."""
    lowered = name.lower()
    tokens = [re.sub(r"\d+$", "", token) for token in re.split(r"[-_.@\s]+", lowered) if token]
    for word in generic:
        word = word.lower()
        if not word.isascii():
            if word in lowered:
                return True
        elif word in tokens or re.sub(r"\d+$", "", lowered) == word:
            return True
    return False


def _end_of_local_day(day: date, zone: str) -> datetime:
    """The last instant of a day in the organization's zone (an ``until`` date includes the whole day)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(zone))


@check(
    id="identity.generic_account_name",
    control="3.2.5",
    severity="medium",
    title=t("汎用的な名前のアカウント（共有の疑い）", "Account with a generic name (likely shared)"),
    remediation=t(
        "個人ごとのアカウントに置き換えてください。必要なサービスアカウントなら台帳の accounts に所有者付きで登録してください。",
        "Replace it with personal accounts; if it is a needed service account, declare it with its owner in the "
        "registry's accounts.",
    ),
    parameters={"names": GENERIC_NAMES},
)
def generic_account_name(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Personal-kind accounts (inventory or seen acting) with generic names, unless declared."""
    # One account however its DN is spelled (the inventory's spelling first): (vendor, key) -> (spelling, name).
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for row in ctx.session.execute(
        select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.name)
        .where(PRINCIPALS.c.kind.in_(PERSONAL_KINDS), PRINCIPALS.c.gone_at.is_(None))
    ):
        seen[(row.vendor_id, identity_key(row.external_id))] = (row.external_id,
                                                                  row.name or short_name(row.external_id))
    for row in ctx.session.execute(
        select(EVENTS.c.principal, EVENTS.c.vendor_id).where(EVENTS.c.principal_kind.in_(PERSONAL_KINDS))
        .group_by(EVENTS.c.principal, EVENTS.c.vendor_id)  # principal first: see GROUPING in checks.sql
    ):
        if row.principal:
            seen.setdefault((row.vendor_id, identity_key(row.principal)), (row.principal, short_name(row.principal)))
    for vendor_id, external_id, name in sorted((v, e, n) for (v, _), (e, n) in seen.items()):
        generic = [str(n) for n in ctx.parameters(vendor_id)["names"]]  # type: ignore[union-attr]
        if not is_generic(name, generic) or ctx.knowledge.declared_for(vendor_id, external_id):
            continue
        yield FindingDraft(vendor_id, external_id, Evidence(principals=[external_id], details={"name": name}),
                           t(f"汎用名のアカウント {name}（{external_id}）", f"generic account name {name} ({external_id})"))


@check(
    id="identity.account_without_owner",
    control="3.2.5",
    severity="medium",
    title=t("所有者の名前がないアカウント", "Account with no named owner"),
    remediation=t(
        "アカウントの利用者を特定し、台帳の roster（個人）または accounts（サービス用、所有者付き）に"
        "登録するか、削除してください。",
        "Find who uses the account and register it on the roster (a person) or under accounts (a service, with "
        "its owner), or delete it.",
    ),
)
def account_without_owner(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Active personal-kind accounts in the inventory that neither the roster nor the declared accounts name."""
    for row in ctx.session.execute(
        select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.name, PRINCIPALS.c.owner)
        .where(PRINCIPALS.c.kind.in_(PERSONAL_KINDS), PRINCIPALS.c.gone_at.is_(None), PRINCIPALS.c.disabled.is_(False))
    ):
        if ctx.knowledge.registered(row.vendor_id, row.external_id):
            continue
        yield FindingDraft(row.vendor_id, row.external_id,
                           Evidence(principals=[row.external_id], details={"owner_attribute": row.owner}),
                           t(f"{row.external_id} の所有者が台帳にありません", f"no owner of {row.external_id} in the registry"))


@check(
    id="identity.not_on_roster",
    control="3.2.5",
    severity="high",
    title=t("委託先の要員名簿にない人物のアカウントの使用", "Account of a person not on the vendor's roster in use"),
    remediation=t(
        "利用者が委託先の要員か確認し、要員であれば名簿（roster）に追加、そうでなければアカウントを無効化してください。",
        "Check whether the user works for the vendor on the firm's business: add them to the roster, or disable "
        "the account.",
    ),
    kind="act",
)
def not_on_roster(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful actions by personal accounts that no roster member or declared account names."""
    acting = (EVENTS.c.principal_kind.in_(PERSONAL_KINDS), EVENTS.c.outcome == "success")
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.principal, func.count().label("n"),
               func.min(EVENTS.c.event_time).label("first"), func.max(EVENTS.c.event_time).label("last"))
        .where(*acting, EVENTS.c.principal.is_not(None)).group_by(EVENTS.c.principal, EVENTS.c.vendor_id)
    )
    unknown = [r for r in rows
               if attributable(r.principal) and not ctx.knowledge.registered(r.vendor_id, r.principal)]
    evidence = event_ids_by(ctx.session, (EVENTS.c.principal, EVENTS.c.vendor_id), *acting,
                            in_or_false(EVENTS.c.principal, {r.principal for r in unknown})) if unknown else {}
    # One finding per account: the spellings of one DN (the directory's, its log's) are one account.
    accounts: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in unknown:
        accounts[(row.vendor_id, identity_key(row.principal))].append(row)
    for (vendor_id, _key), group in sorted(accounts.items()):
        group.sort(key=lambda r: r.principal)
        principal = group[0].principal
        count = sum(r.n for r in group)
        ids = [i for r in group for i in evidence.get((r.principal, vendor_id), [])][:EVIDENCE_PER_GROUP]
        firsts = [d for r in group if (d := as_utc(r.first)) is not None]
        lasts = [d for r in group if (d := as_utc(r.last)) is not None]
        first, last = min(firsts, default=None), max(lasts, default=None)
        yield FindingDraft(
            vendor_id, principal,
            Evidence(ids, [r.principal for r in group],
                     {"event_count": count, "first": first.isoformat() if first else None,
                      "last": last.isoformat() if last else None}),
            t(f"名簿にない {short_name(principal)}（{principal}）が {count} 回操作",
              f"{short_name(principal)} ({principal}), on no roster, acted {count} time(s)"),
        )


@check(
    id="identity.used_after_leaving",
    control="3.2.5",
    severity="critical",
    title=t("離任後・契約終了後のアカウント使用", "Account used after its person left or the contract ended"),
    remediation=t(
        "直ちにアカウントを無効化し、離任後の操作内容を確認してください。",
        "Disable the account at once and review what was done after the end date.",
    ),
    kind="act",
)
def used_after_leaving(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Events by a roster identity after its member's ``until``, or by anyone after the vendor's contract end."""
    zone = ctx.timezone
    latest_until: dict[tuple[str, str], date | None] = {}
    spelled: dict[tuple[str, str], str] = {}  # as the roster first spells the identity
    for entry in ctx.knowledge.roster:
        key = (entry.vendor_id, identity_key(entry.external_id))
        spelled.setdefault(key, entry.external_id)
        # An identity handed to a successor (a later member without until) is not "after leaving".
        if key in latest_until and (latest_until[key] is None or entry.until is None):
            latest_until[key] = None
        else:
            latest_until[key] = max(filter(None, [latest_until.get(key), entry.until]), default=None)
    for key, until in sorted(latest_until.items()):
        if until is None:
            continue
        vendor_id, identity = key[0], spelled[key]
        after = _end_of_local_day(until, zone)
        # A sub-vendor's people act in its parents' environments too: their events are the parents'.
        scope: tuple[ColumnElement[bool], ...] = (
            EVENTS.c.vendor_id.in_([vendor_id, *ctx.knowledge.ancestors(vendor_id)]),
            EVENTS.c.event_time >= after, EVENTS.c.outcome == "success")
        # A DN matches however the directory and its log spell it (LDAP compares DNs so): the spellings used
        # after the date, then an IN the indexes serve.
        if looks_like_dn(identity):
            spellings = spellings_among(ctx.session, identity, *scope)
            if not spellings:
                continue
            same = in_or_false(EVENTS.c.principal, spellings)
        else:
            same = EVENTS.c.principal == identity
        where = (*scope, same)
        count = ctx.session.execute(select(func.count()).where(*where)).scalar_one()
        if not count:
            continue
        yield FindingDraft(
            vendor_id, identity,
            Evidence(event_ids(ctx.session, *where), [identity], {"until": until.isoformat(), "event_count": count}),
            t(f"{identity} は {until.isoformat()} に離任済みですが、その後 {count} 回使われました",
              f"{identity} left on {until.isoformat()} but was used {count} time(s) afterwards"),
        )
    for vendor in ctx.vendors:
        if vendor.contract is None or vendor.contract.end is None:
            continue
        after = _end_of_local_day(vendor.contract.end, zone)
        where = (EVENTS.c.vendor_id == vendor.id, EVENTS.c.event_time >= after, EVENTS.c.outcome == "success",
                 EVENTS.c.principal_kind.is_distinct_from("aws_service"))
        row = ctx.session.execute(select(func.count(), func.count(func.distinct(EVENTS.c.principal))).where(*where)).one()
        if not row[0]:
            continue
        principals = [r[0] for r in ctx.session.execute(select(EVENTS.c.principal).where(*where).distinct().limit(20))]
        yield FindingDraft(
            vendor.id, f"contract:{vendor.contract.id}",
            Evidence(event_ids(ctx.session, *where), [p for p in principals if p],
                     {"contract_end": vendor.contract.end.isoformat(), "event_count": row[0], "principals": row[1]}),
            t(f"契約 {vendor.contract.id} は {vendor.contract.end.isoformat()} に終了していますが、"
              f"その後 {row[0]} 件の操作があります",
              f"contract {vendor.contract.id} ended on {vendor.contract.end.isoformat()} but {row[0]} action(s) "
              "followed"),
        )


def _handovers(ctx: EvaluationContext) -> dict[tuple[str, str], tuple[datetime, str, str]]:
    """(vendor, identity key: a DN in any spelling, else lower case) → (handover instant, new owner, how we
    know) for identities that changed hands: on the roster (a later member holds an earlier member's identity),
    or for declared accounts, an ``owner`` that changed between two imported registry versions."""
    handovers: dict[tuple[str, str], tuple[datetime, str, str]] = {}
    holders: dict[tuple[str, str], list[tuple[date, str]]] = defaultdict(list)
    for entry in ctx.knowledge.roster:
        holders[(entry.vendor_id, identity_key(entry.external_id))].append((entry.since, entry.person))
    for key, held in holders.items():
        if len({person for _, person in held}) > 1:
            since, person = max(held)
            handovers[key] = (_end_of_local_day(since - timedelta(days=1), ctx.timezone), person, "roster")
    owners: dict[tuple[str, str], str] = {}
    for snapshot in ctx.session.execute(
        select(REGISTRY_SNAPSHOTS.c.imported_at, REGISTRY_SNAPSHOTS.c.document).order_by(REGISTRY_SNAPSHOTS.c.id)
    ):
        for vendor in (snapshot.document or {}).get("vendors", []):
            for account in vendor.get("accounts", []):
                key = (vendor.get("id", ""), identity_key(str(account.get("principal", ""))))
                owner = str(account.get("owner", ""))
                if key in owners and owners[key] != owner:
                    when = as_utc(snapshot.imported_at)
                    assert when is not None
                    handovers[key] = (when, owner, "registry")
                owners[key] = owner
    return handovers


@check(
    id="identity.not_rotated_after_owner_change",
    control="3.2.5",
    severity="high",
    title=t("担当者交代後に更新されていない認証情報", "Credentials not rotated after the owner changed"),
    remediation=t(
        "引継ぎ後の担当者がパスワードを変更し、アクセスキーを再発行してください（前任者が知る認証情報を無効化）。",
        "Have the new owner change the password and issue new access keys, so that what the former owner knew "
        "stops working.",
    ),
)
def not_rotated_after_owner_change(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """An identity that changed hands (roster, or a declared account's owner) whose password or keys predate it."""
    handovers = _handovers(ctx)
    if not handovers:
        return
    for row in ctx.session.execute(
        select(PRINCIPALS.c.vendor_id, PRINCIPALS.c.external_id, PRINCIPALS.c.kind, PRINCIPALS.c.parent_external_id,
               PRINCIPALS.c.password_changed_at, PRINCIPALS.c.created_at)
        .where(PRINCIPALS.c.gone_at.is_(None), PRINCIPALS.c.disabled.is_(False))
    ):
        owner_id = row.parent_external_id if row.kind == "access_key" else row.external_id
        handover = handovers.get((row.vendor_id, identity_key(owner_id or "")))
        if handover is None:
            continue
        since, new_owner, source = handover
        stamp = as_utc(row.created_at if row.kind == "access_key" else row.password_changed_at)
        if stamp is not None and stamp >= since:
            continue
        what = "access_key" if row.kind == "access_key" else "password"
        day = since.astimezone(ZoneInfo(ctx.timezone)).date().isoformat()
        yield FindingDraft(
            row.vendor_id, row.external_id,
            Evidence(principals=[row.external_id, owner_id or ""],
                     details={"credential": what, "new_owner": new_owner, "handover": since.isoformat(),
                              "known_from": source, "credential_date": stamp.isoformat() if stamp else None}),
            t(f"{row.external_id}: {day} に {new_owner} へ引継ぎ後も"
              f"{'アクセスキー' if what == 'access_key' else 'パスワード'}が未更新",
              f"{row.external_id}: {what} not rotated since it passed to {new_owner} on {day}"),
        )


@check(
    id="identity.account_used_by_two_vendors",
    control="3.2.5",
    severity="high",
    title=t("複数の委託先で使われている同一アカウント", "One account used by two vendors"),
    remediation=t(
        "委託先ごとに別のアカウントを発行し、共用アカウントを廃止してください。",
        "Give each vendor its own accounts and retire the shared one.",
    ),
    kind="act",
)
def account_used_by_two_vendors(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """The same principal seen acting for (or registered to) vendors that are not in one parent chain.

    An identity of a sub-vendor's roster acting in its parent's environment acts for the sub-vendor; an
    identity that a vendor and its sub-vendor both declare is one chain's, not two vendors'.
    """
    # By identity key: one DN however the events and the registry spell it; named by its first spelling.
    vendors_of: dict[str, set[str]] = defaultdict(set)
    acted_in: dict[str, set[str]] = defaultdict(set)
    spellings: dict[str, set[str]] = defaultdict(set)
    for row in ctx.session.execute(
        select(EVENTS.c.principal, EVENTS.c.vendor_id)
        .where(EVENTS.c.principal_kind.in_(PERSONAL_KINDS), EVENTS.c.principal.is_not(None))
        .group_by(EVENTS.c.principal, EVENTS.c.vendor_id)
    ):
        key = identity_key(row.principal)
        vendors_of[key].add(ctx.knowledge.attributed(row.vendor_id, row.principal))
        acted_in[key].add(row.vendor_id)
        spellings[key].add(row.principal)
    for entry in ctx.knowledge.roster:
        vendors_of[identity_key(entry.external_id)].add(entry.vendor_id)
        spellings[identity_key(entry.external_id)].add(entry.external_id)
    for (vendor_id, principal), _ in sorted(ctx.knowledge.declared.items()):
        vendors_of[identity_key(principal)].add(vendor_id)
        spellings[identity_key(principal)].add(principal)
    for key, vendors in sorted(vendors_of.items()):
        if len(vendors) < 2 or all(ctx.knowledge.in_one_chain(a, b) for a in vendors for b in vendors):
            continue
        names = sorted(spellings[key])
        principal = names[0]
        ids = event_ids(ctx.session, in_or_false(EVENTS.c.principal, names),
                        EVENTS.c.vendor_id.in_(sorted(vendors | acted_in[key])), limit=20)
        for vendor_id in sorted(vendors):
            others = sorted(vendors - {vendor_id})
            yield FindingDraft(
                vendor_id, principal, Evidence(ids, [principal], {"vendors": sorted(vendors)}),
                t(f"{principal} は {', '.join(others)} でも使われています", f"{principal} is also used by {', '.join(others)}"),
            )


@check(
    id="identity.created_for_unrostered",
    control="3.2.5",
    severity="high",
    title=t("名簿にない ID へのユーザー・キー・ログインプロファイルの作成",
            "User, key or login profile created for an identity on no roster"),
    remediation=t(
        "作成された ID の利用者と目的を確認し、正当なら名簿または accounts に登録、そうでなければ削除してください。",
        "Find out who the new identity is for: register it on the roster or under accounts, or delete it.",
    ),
    kind="act",
)
def created_for_unrostered(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """CreateUser / CreateAccessKey / CreateLoginProfile acts whose target user is neither rostered nor declared."""
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.action, EVENTS.c.account_id, EVENTS.c.principal, EVENTS.c.details,
               EVENTS.c.source_event_id)
        .where(EVENTS.c.action.in_(IDENTITY_ACTIONS), EVENTS.c.outcome == "success")
        .order_by(EVENTS.c.event_time, EVENTS.c.id)
    )
    targets: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        user = (row.details or {}).get("userName")
        target = f"arn:aws:iam::{row.account_id}:user/{user}" if user else row.principal
        if not target or ctx.knowledge.registered(row.vendor_id, target):
            continue
        entry = targets[(row.vendor_id, target)]
        entry["events"].append(row.source_event_id)
        entry["actions"].append(row.action)
        if row.principal:
            entry["actors"].append(row.principal)
    for (vendor_id, target), entry in sorted(targets.items()):
        actions = sorted(set(entry["actions"]))
        actors = sorted(set(entry["actors"]))
        yield FindingDraft(
            vendor_id, target, Evidence(entry["events"], [target, *actors], {"actions": actions, "by": actors}),
            t(f"名簿にない {short_name(target)} に {', '.join(actions)}（実行者 {', '.join(short_name(a) for a in actors)}）",
              f"{', '.join(actions)} for {short_name(target)}, on no roster (by {', '.join(short_name(a) for a in actors)})"),
        )
