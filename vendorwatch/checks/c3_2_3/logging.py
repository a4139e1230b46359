"""3.2.3 the trail that lets the firm trace vendor access: switched off, deleted, data events removed.

A failed call (an ``errorCode``) is an attempt, not an act: a failed StopLogging did not stop anything.
Acts and attempts are two checks, so a reader never mistakes one for the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from vendorwatch.checks.attempts import attempt_drafts
from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, check
from vendorwatch.checks.outages import RESTORED, how_long
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, SETTINGS
from vendorwatch.i18n import t

_STOPS = ("StopLogging", "DeleteTrail")
_SELECTORS = ("PutEventSelectors", "PutAdvancedEventSelectors")
_RESTARTS = ("StartLogging", "CreateTrail")
_TAMPER = (*_STOPS, *_SELECTORS, "UpdateTrail")


def _trail(row: Any) -> str:
    details = row.details or {}
    return str(details.get("trail_name") or row.resource or "(unknown trail)")


def _short(trail: str) -> str:
    """Trails are named by name or by ARN; ``trail/<name>`` and ``<name>`` are the same trail."""
    return trail.rsplit("/", 1)[-1]


def selectors_drop(details: dict[str, Any]) -> list[str]:
    """What a PutEventSelectors call leaves out: ``data_events`` and/or ``management_events``."""
    dropped: list[str] = []
    selectors = details.get("event_selectors")
    advanced = details.get("advanced_event_selectors")
    if advanced:
        categories = {
            str(field_selector.get("Equals", [""])[0]).lower()
            for selector in advanced if isinstance(selector, dict)
            for field_selector in selector.get("FieldSelectors") or selector.get("fieldSelectors") or []
            if isinstance(field_selector, dict) and str(field_selector.get("Field", field_selector.get("field")))
            == "eventCategory"
        }
        if "data" not in categories:
            dropped.append("data_events")
        if "management" not in categories:
            dropped.append("management_events")
        return dropped
    if not isinstance(selectors, list):
        return ["unknown"]
    has_data = any(
        values for selector in selectors if isinstance(selector, dict)
        for resource in selector.get("dataResources") or [] if isinstance(resource, dict)
        for values in [resource.get("values")]
    )
    management = any(isinstance(s, dict) and s.get("includeManagementEvents", True) for s in selectors)
    if not has_data:
        dropped.append("data_events")
    if not management:
        dropped.append("management_events")
    return dropped


@check(
    id="aws.cloudtrail.logging_stopped",
    control="3.2.3",
    severity="critical",
    title=t("証跡の停止・削除、またはデータイベントの除外", "Logging stopped, trail deleted, or data events removed"),
    remediation=t(
        "直ちに証跡を再開・再作成し、停止した主体と理由を確認してください。停止中のアクセスは追跡できません。",
        "Restart or recreate the trail at once and find out who stopped it and why; access while it was off "
        "cannot be traced.",
    ),
    kind="act",
)
def logging_stopped(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Successful StopLogging / DeleteTrail, and event selectors that drop data or management events.

    How long logging was off is measured up to the next successful StartLogging or CreateTrail of the
    same trail; with none, it is still off.
    """
    rows = ctx.session.execute(
        select(EVENTS.c.vendor_id, EVENTS.c.account_id, EVENTS.c.action, EVENTS.c.event_time, EVENTS.c.principal,
               EVENTS.c.source_event_id, EVENTS.c.resource, EVENTS.c.details)
        .where(EVENTS.c.action.in_((*_STOPS, *_SELECTORS, *_RESTARTS)), EVENTS.c.outcome == "success")
        .order_by(EVENTS.c.event_time, EVENTS.c.id)
    ).all()
    restarts: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for row in rows:
        if row.action in _RESTARTS:
            when = as_utc(row.event_time)
            assert when is not None
            restarts.setdefault((row.vendor_id, _short(_trail(row))), []).append((when, row.source_event_id))
    for row in rows:
        if row.action in _RESTARTS:
            continue
        trail = _trail(row)
        when = as_utc(row.event_time)
        assert when is not None
        dropped: list[str] = []
        if row.action in _SELECTORS:
            dropped = selectors_drop(row.details or {})
            if not dropped:
                continue  # selectors that keep data and management events are not a finding
        following = [r for r in restarts.get((row.vendor_id, _short(trail)), []) if r[0] >= when]
        restored = following[0] if following else None
        off_until = restored[0] if restored else ctx.now
        minutes = round((off_until - when).total_seconds() / 60, 1)
        ids = [row.source_event_id] + ([restored[1]] if restored else [])
        what = {"StopLogging": ("ログ記録を停止", "stopped logging of"), "DeleteTrail": ("証跡を削除", "deleted trail")}
        ja, en = what.get(row.action, (f"イベントセレクタを変更（{', '.join(dropped)} を除外）",
                                       f"changed event selectors (dropping {', '.join(dropped)}) of"))
        state_ja, state_en = how_long(restored[0] if restored else None, minutes, *RESTORED)
        yield FindingDraft(
            row.vendor_id, f"{row.action}:{trail}@{row.source_event_id}",
            Evidence(ids, [row.principal] if row.principal else [],
                     {"action": row.action, "trail": trail, "account": row.account_id, "at": when.isoformat(),
                      "dropped": dropped, "restored_at": restored[0].isoformat() if restored else None,
                      "minutes_off": minutes, "still_off": restored is None}),
            t(f"{row.principal} が {trail} の{ja}: {state_ja}", f"{row.principal} {en} {trail}: {state_en}"),
        )


@check(
    id="aws.cloudtrail.tamper_attempt",
    control="3.2.3",
    severity="medium",
    title=t("証跡の停止・削除・変更の試行（失敗）", "Attempt to stop, delete or change a trail (failed)"),
    remediation=t(
        "失敗した試行であり記録は止まっていませんが、誰がなぜ試みたかを委託先に確認してください。",
        "The attempt failed and logging did not stop, but ask the vendor who tried and why.",
    ),
    kind="attempt",
)
def tamper_attempt(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Failed StopLogging / DeleteTrail / event-selector / UpdateTrail calls, per principal and trail."""
    yield from attempt_drafts(ctx, _TAMPER, _trail)


@check(
    id="aws.cloudtrail.customer_bucket_without_data_events",
    control="3.2.3",
    severity="high",
    title=t("データイベントが記録されていない顧客データバケット", "Customer-data bucket without data events"),
    remediation=t(
        "証跡のイベントセレクタに当該バケットの S3 データイベント（読み取り・書き込み）を追加してください。",
        "Add S3 data events (read and write) for the bucket to a trail's event selectors.",
    ),
)
def customer_bucket_without_data_events(ctx: EvaluationContext) -> Iterator[FindingDraft]:
    """Customer buckets of an environment whose observed, logging trails record no data events for them."""
    trails = ctx.session.execute(
        select(SETTINGS.c.vendor_id, SETTINGS.c.subject, SETTINGS.c.data)
        .where(SETTINGS.c.kind == "aws.trail", SETTINGS.c.gone_at.is_(None))
    ).all()
    observed_vendors = {row.vendor_id for row in trails}
    for vendor in ctx.vendors:
        if vendor.id not in observed_vendors:
            continue  # no trail inventory: nothing to judge from (the source SLA check covers missing data)
        covered: set[str] = set()
        every_bucket = False
        for row in trails:
            data = row.data or {}
            if row.vendor_id != vendor.id or data.get("logging") is False:
                continue
            if data.get("all_buckets_data_events") is True:
                every_bucket = True
            for bucket in data.get("data_event_buckets") or []:
                name = str(bucket).removeprefix("arn:aws:s3:::").split("/", 1)[0]
                if name in ("", "*"):
                    every_bucket = True
                covered.add(name)
        for environment in vendor.environments:
            for bucket in environment.buckets:
                if bucket.data_class != "customer" or every_bucket or bucket.name in covered:
                    continue
                yield FindingDraft(
                    vendor.id, f"bucket:{bucket.name}",
                    Evidence(details={"bucket": bucket.name, "environment": environment.id,
                                      "trails": sorted(r.subject for r in trails if r.vendor_id == vendor.id)}),
                    t(f"顧客データバケット {bucket.name} へのアクセスはどの証跡にも記録されません",
                      f"no trail records access to customer bucket {bucket.name}"),
                )
