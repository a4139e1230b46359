"""The board page: the overall posture and its trend, what changed since last month, what needs the board."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from vendorwatch.digest.context import DigestContext, by_importance, severity_counts
from vendorwatch.digest.labels import LEVEL, SEVERITIES, SEVERITY, SOURCE_STATE, count
from vendorwatch.digest.model import AttentionItem, BoardPage, Change, TrendPoint, VendorLine
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.timeline import FindingState
from vendorwatch.i18n import Text, t
from vendorwatch.scoring.risk import LEVELS

MAX_EXAMPLES = 3
MAX_CHANGES = 7
LEVEL_ORDER = [name for _, name in LEVELS]  # critical first


def _trend(ctx: DigestContext) -> list[TrendPoint]:
    points: list[TrendPoint] = []
    zone = ctx.zone
    for posture in ctx.trend:
        month = DigestMonth.parse(posture.month)
        end = min(month.end(zone), ctx.as_of)
        score, level = ctx.overall(posture)
        began = ctx.monitoring_since
        counts = severity_counts(ctx.timeline.states_at(end)) if began is not None and began < end else {}
        points.append(TrendPoint(month=posture.month, score=score, level=level, open_by_severity=counts))
    return points


def _counted(values: dict[str, int]) -> Text:
    """``重大 1・高 3`` / ``1 critical, 3 high`` (only the non-zero ones)."""
    parts = [(SEVERITY[s], values.get(s, 0)) for s in SEVERITIES if values.get(s, 0)]
    if not parts:
        return t("なし", "none")
    return t("・".join(f"{label.ja} {n}" for label, n in parts), ", ".join(f"{n} {label.en.lower()}" for label, n in parts))


def _changes(ctx: DigestContext, score: int | None, previous: int | None, now: dict[str, int],
             before: dict[str, int], opened: Counter[str], resolved: int) -> list[Change]:
    changes: list[Change] = []
    if score is not None and previous is not None and score != previous:
        worse = score > previous
        changes.append(Change(direction="worse" if worse else "better", text=t(
            f"総合リスク指標が {previous} から {score} に{'上昇（悪化）' if worse else '低下（改善）'}しました",
            f"The overall risk index {'rose' if worse else 'fell'} from {previous} to {score}"
            f" ({'worse' if worse else 'better'})")))
    elif score is not None and previous is None:
        changes.append(Change(direction="info", text=t(f"今月から総合リスク指標を算出しています（{score}）",
                                                       f"The overall risk index is measured from this month ({score})")))
    total_now, total_before = sum(now.values()), sum(before.values())
    compared = ctx.monitoring_since is not None and ctx.monitoring_since < ctx.start
    if compared and total_now != total_before:
        worse = total_now > total_before
        changes.append(Change(direction="worse" if worse else "better", text=t(
            f"未解決の指摘が {total_before} 件から {total_now} 件に{'増加' if worse else '減少'}（重大・高: "
            f"{before['critical'] + before['high']} → {now['critical'] + now['high']} 件）",
            f"Unresolved findings went from {total_before} to {total_now} (critical and high: "
            f"{before['critical'] + before['high']} → {now['critical'] + now['high']})")))
    if opened:
        changes.append(Change(direction="worse" if opened["critical"] + opened["high"] else "info", text=t(
            f"今月の新規・再発の指摘 {sum(opened.values())} 件（{_counted(dict(opened)).ja}）",
            f"{count(sum(opened.values()), 'finding')} opened or reopened this month ({_counted(dict(opened)).en})")))
    if resolved:
        changes.append(Change(direction="better", text=t(f"今月解決した指摘 {resolved} 件",
                                                         f"{count(resolved, 'finding')} resolved this month")))
    before_levels = {v: row.level for v, row in ctx.last_month.vendors.items()}
    moves: list[tuple[int, Change]] = []
    for vendor_id, row in ctx.this_month.vendors.items():
        old = before_levels.get(vendor_id)
        if old is None or old == row.level:
            continue
        worse = LEVEL_ORDER.index(row.level) < LEVEL_ORDER.index(old)
        name, was = ctx.vendor_name(vendor_id), ctx.last_month.score(vendor_id)
        moves.append((-row.score, Change(direction="worse" if worse else "better", text=t(
            f"{name.ja}: リスク水準 {LEVEL[old].ja} → {LEVEL[row.level].ja}（スコア {was} → {row.score}）",
            f"{name.en}: risk level {LEVEL[old].en} → {LEVEL[row.level].en} (score {was} → {row.score})"))))
    changes.extend(change for _, change in sorted(moves, key=lambda m: m[0]))
    before_health = {h.source_id: h.state for h in ctx.health(ctx.previous_end)}
    lapsed = [h for h in ctx.health_now if h.state != "fresh" and before_health.get(h.source_id) == "fresh"]
    if lapsed:
        names = ", ".join(h.source_id for h in lapsed[:MAX_EXAMPLES])
        changes.append(Change(direction="worse", text=t(
            f"先月は収集できていた監視ソース {len(lapsed)} 件が収集できていません（{names}）",
            f"{count(len(lapsed), 'monitoring source')} collected last month no longer collected ({names})")))
    if not changes:
        changes.append(Change(direction="info",
                              text=t("先月から大きな変化はありません", "No significant change since last month")))
    return changes[:MAX_CHANGES]


def _attention(ctx: DigestContext) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    active = by_importance([s for s in ctx.states if s.active])
    escalated = [s for s in active if s.finding.severity == "critical" and ctx.overdue_days(s)]
    if escalated:
        days = ctx.deadline_days("critical")
        items.append(AttentionItem(severity="critical", text=t(
            f"対応期限（{days} 日）を過ぎた重大な指摘 {len(escalated)} 件を報告します（エスカレーション）",
            f"{count(len(escalated), 'critical finding')} past the {days}-day resolution deadline (escalated)"),
            items=[_example(ctx, s) for s in escalated[:MAX_EXAMPLES]]))
    reporting = [s for s in active if s.finding.control_id == "3.2.6"]
    if reporting:
        items.append(AttentionItem(severity="high", text=t(
            f"経営層への報告に関する指摘 {len(reporting)} 件（月次ダイジェストの未送付など）",
            f"{count(len(reporting), 'finding')} on reporting to management (a monthly digest not delivered)"),
            items=[_example(ctx, s) for s in reporting[:MAX_EXAMPLES]]))
    critical_vendors = sorted(((row.score, v) for v, row in ctx.this_month.vendors.items() if row.level == "critical"),
                              reverse=True)
    if critical_vendors:
        items.append(AttentionItem(severity="critical", text=t(
            f"リスク水準が「重大」の委託先 {len(critical_vendors)} 社",
            f"{count(len(critical_vendors), 'vendor')} at the critical risk level"),
            items=[_vendor(ctx, v, score) for score, v in critical_vendors[:MAX_EXAMPLES]]))
    overdue = [s for s in active if s.finding.severity != "critical" and ctx.overdue_days(s)]
    if overdue:
        counts = Counter(s.finding.severity for s in overdue)
        items.append(AttentionItem(severity="high" if counts["high"] else "medium", text=t(
            f"対応期限を過ぎた指摘 {len(overdue)} 件（{_counted(dict(counts)).ja}）",
            f"{count(len(overdue), 'finding')} past the resolution deadline ({_counted(dict(counts)).en})"),
            items=[_example(ctx, s) for s in overdue[:MAX_EXAMPLES] if s.finding.severity == "high"]))
    warn = ctx.settings.acceptance_warning_days
    expiring = [s for s in ctx.states if s.status == "risk_accepted" and s.accepted_until is not None
                and (s.accepted_until - ctx.as_of).days <= warn]
    if expiring:
        items.append(AttentionItem(severity="medium", text=t(
            f"{warn} 日以内に期限を迎えるリスク受容 {len(expiring)} 件（継続の可否の判断が必要）",
            f"{count(len(expiring), 'risk acceptance')} expiring within {warn} days (renew or remediate)"),
            items=[_example(ctx, s) for s in expiring[:MAX_EXAMPLES]]))
    gaps = [h for h in ctx.health_now if h.state != "fresh"
            and (vendor := ctx.vendors.get(h.vendor_id)) is not None and vendor.handles_customer_data]
    if gaps:
        items.append(AttentionItem(severity="high", text=t(
            f"顧客情報を扱う委託先の監視ソース {len(gaps)} 件が SLA 内に収集できていません",
            f"{count(len(gaps), 'monitoring source')} of vendors handling customer data not collected within the SLA"),
            items=[t(f"{ctx.vendor_name(h.vendor_id).ja} / {h.source_id}（{SOURCE_STATE[h.state].ja}）",
                     f"{ctx.vendor_name(h.vendor_id).en} / {h.source_id} ({SOURCE_STATE[h.state].en})")
                   for h in gaps[:MAX_EXAMPLES]]))
    unsupervised = [s for s in active if s.finding.control_id == "3.2.7"]
    if unsupervised:
        items.append(AttentionItem(severity="high", text=t(
            f"監督の証跡がない再委託先など、再委託の管理に関する指摘 {len(unsupervised)} 件",
            f"{count(len(unsupervised), 'finding')} on the supervision of sub-vendors"),
            items=[_example(ctx, s) for s in unsupervised[:MAX_EXAMPLES]]))
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    return sorted(items, key=lambda item: rank.get(item.severity, 9))


def _example(ctx: DigestContext, state: FindingState) -> Text:
    ref = ctx.ref(state)
    extra_ja = f"、期限超過 {ref.overdue_days} 日" if ref.overdue_days else ""
    extra_en = f", {ref.overdue_days} days overdue" if ref.overdue_days else ""
    if ref.status == "risk_accepted" and ref.accepted_until is not None:
        local = ref.accepted_until.astimezone(ZoneInfo(ctx.zone))
        extra_ja, extra_en = f"、受容期限 {local:%Y-%m-%d}", f", accepted until {local:%Y-%m-%d}"
    return t(f"#{ref.id} {ref.vendor.ja}: {ref.title.ja}（{ref.subject}{extra_ja}）",
             f"#{ref.id} {ref.vendor.en}: {ref.title.en} ({ref.subject}{extra_en})")


def _vendor(ctx: DigestContext, vendor_id: str, score: int) -> Text:
    name = ctx.vendor_name(vendor_id)
    return t(f"{name.ja}（スコア {score}）", f"{name.en} (score {score})")


def build_board(ctx: DigestContext) -> BoardPage:
    """The board page of the month."""
    score, level = ctx.overall(ctx.this_month)
    previous, _ = ctx.overall(ctx.last_month)
    now = severity_counts(ctx.states)
    before = severity_counts(ctx.previous_states)
    changes = ctx.timeline.changes_between(ctx.start, ctx.as_of)
    findings = ctx.timeline.findings
    # Each finding once, however often it opened or was resolved in the month (as the detail counts them).
    opened_ids = {c.finding_id for c in changes if c.to_status == "open" and c.from_status in (None, "resolved")}
    opened: Counter[str] = Counter(findings[i].severity for i in opened_ids)
    resolved = len({c.finding_id for c in changes if c.to_status == "resolved"})
    active = [s for s in ctx.states if s.active]
    overdue = [s for s in active if ctx.overdue_days(s)]
    levels = Counter(row.level for row in ctx.this_month.vendors.values())
    highest = sorted(ctx.this_month.vendors.items(), key=lambda item: (-item[1].score, item[0]))[:3]
    return BoardPage(
        overall_score=score, overall_level=level, previous_score=previous,
        compared=ctx.monitoring_since is not None and ctx.monitoring_since < ctx.start,
        open_by_severity=now, previous_open_by_severity=before,
        overdue=len(overdue), escalated=sum(1 for s in overdue if s.finding.severity == "critical"),
        opened=sum(opened.values()), resolved=resolved,
        vendors=len(ctx.this_month.vendors) or len(ctx.vendors),
        vendors_by_level={name: levels.get(name, 0) for name in LEVEL_ORDER},
        highest=[VendorLine(vendor_id=v, name=ctx.vendor_name(v), score=row.score, level=row.level)
                 for v, row in highest if row.score > 0],
        sources=len(ctx.health_now), sources_collected=sum(1 for h in ctx.health_now if h.state == "fresh"),
        trend=_trend(ctx), changes=_changes(ctx, score, previous, now, before, opened, resolved),
        attention=_attention(ctx),
    )
