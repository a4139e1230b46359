"""Portfolio: every vendor with tier, score and its reasons, open findings, coverage, the control heat map and
the twelve-month trends."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import current
from dashboard.texts import COVERAGE, SEVERITY, SEVERITY_COLOURS, STATUS, TIER, label, text, tr
from dashboard.widgets import md, when
from vendorwatch.controls.catalog import load_catalog
from vendorwatch.views.coverage import CoverageCounts
from vendorwatch.views.portfolio import CONTROLS

TREND_VENDORS = 8  # lines drawn by default: the highest scores now
HEAT_SHADES = ((10, "#b71c1c"), (5, "#e53935"), (2, "#ef6c00"), (1, "#ffa726"))

ctx = current()
book = data.portfolio_of(ctx)
trend = data.trend_of(ctx)
evaluated_months = [i for i, value in enumerate(trend.open_by_severity["critical"]) if value is not None]

st.title(tr("委託先ポートフォリオ", "Vendor portfolio"))
evaluated = when(ctx, book.evaluated_at) if book.evaluated_at else tr("未評価", "not evaluated yet")
st.caption(tr(f"全 {len(book.rows)} 社（再委託先を含む） · 最終評価 {evaluated}",
              f"{len(book.rows)} vendors including sub-vendors · last evaluation {evaluated}"))

totals = book.totals_by_severity
cols = st.columns(6)
cols[0].metric(tr("委託先", "Vendors"), f"{len(book.rows):,}")
for column, severity in zip(cols[1:5], ("critical", "high", "medium", "low"), strict=True):
    history = [trend.open_by_severity[severity][i] or 0 for i in evaluated_months]
    column.metric(tr(f"未対応（{label(SEVERITY, severity)}）", f"Open ({label(SEVERITY, severity)})"),
                  f"{totals.get(severity, 0):,}", chart_data=history if len(history) > 1 else None, chart_type="bar")
coverage = book.coverage
cols[5].metric(tr("監視ソース（最新）", "Sources fresh"), f"{coverage.fresh:,} / {coverage.total:,}",
               help=tr("SLA 内に収集できたソース数 / 全ソース数", "sources collected within their SLA / all sources"))
st.caption(tr(f"監視ソース: 最新 {coverage.fresh} · 期限切れ {coverage.stale} · 失敗 {coverage.failing} · "
              f"未収集 {coverage.never}",
              f"Monitoring sources: fresh {coverage.fresh} · stale {coverage.stale} · failing {coverage.failing} · "
              f"never collected {coverage.never}"))

firm_wide = data.firm_wide_of(ctx)
if sum(firm_wide.values()):
    counted = " · ".join(f"{label(SEVERITY, s)} {n}" for s in ("critical", "high", "medium", "low", "info")
                         if (n := firm_wide.get(s, 0)))
    with st.container(border=True):
        st.markdown(tr(f"**当社全体の未対応の指摘事項 {sum(firm_wide.values())} 件**（{counted}）: 委託先に属さない、"
                       "当社自身に関する指摘です（月次報告の未送付など）。どの委託先のスコアにも含まれません。",
                       f"**{sum(firm_wide.values())} open firm-wide finding(s)** ({counted}): about the firm itself, "
                       "not a vendor (a monthly digest not delivered, say); in no vendor's score."))
        st.page_link("app_pages/findings.py", label=tr("当社全体の指摘事項を開く", "Open the firm-wide findings"),
                     icon=":material/apartment:", query_params={"firm": "1"})

st.subheader(tr("委託先一覧", "Vendors"))
vendor_col, tier_col, score_col = tr("委託先", "Vendor"), tr("区分", "Tier"), tr("スコア", "Score")
level_col, reasons_col, monitor_col = tr("水準", "Level"), tr("主な要因", "Main reasons"), tr("監視", "Monitoring")
severity_cols = {s: label(SEVERITY, s) for s in ("critical", "high", "medium", "low")}
accepted_col = tr("受容中", "Accepted")


def _monitoring(counts: CoverageCounts) -> str:
    if not counts.total:
        return tr("ソースなし", "no source")
    gaps = [f"{label(COVERAGE, s)} {getattr(counts, s)}" for s in ("stale", "failing", "never") if getattr(counts, s)]
    return f"{counts.fresh}/{counts.total} {label(COVERAGE, 'fresh')}" + (" · " + " · ".join(gaps) if gaps else "")


st.dataframe(
    [{
        vendor_col: "\u3000" * row.depth + ("└ " if row.depth else "") + text(row.name),
        tier_col: label(TIER, row.tier),
        score_col: row.score,
        level_col: label(SEVERITY, row.level) if row.level else tr("未評価", "not evaluated"),
        **{severity_cols[s]: row.open_by_severity.get(s, 0) for s in severity_cols},
        accepted_col: row.risk_accepted,
        monitor_col: _monitoring(row.coverage),
        reasons_col: " / ".join(f"+{r.points} {text(r.title)}" for r in row.reasons[:3]) or "—",
    } for row in book.rows],
    hide_index=True, width="stretch",
    column_config={
        score_col: st.column_config.ProgressColumn(score_col, min_value=0, max_value=100, format="%d", width="small"),
        reasons_col: st.column_config.TextColumn(reasons_col, width="large"),
        vendor_col: st.column_config.TextColumn(vendor_col, width=260),
        **{c: st.column_config.NumberColumn(c, width="small") for c in (*severity_cols.values(), accepted_col)},
    },
)
st.caption(tr("スコア = 未対応の指摘事項の重み（重大 40・高 15・中 5・低 1）＋ 監視の欠落 最大 20、"
              "再委託先の分を親に合算、上限 100。数値は最終評価の時点のものです。",
              "Score = weights of open findings (critical 40, high 15, medium 5, low 1) + up to 20 for monitoring gaps, "
              "sub-vendors' points added to their parent, capped at 100. Figures are those of the last evaluation."))

st.subheader(tr("委託先 × 管理策（JSDA IV.3(2)）", "Vendors × controls (JSDA IV.3(2))"))


def _shade(count: int) -> str:
    colour = next((c for threshold, c in HEAT_SHADES if count >= threshold), None)
    return f"background-color: {colour}; color: white" if colour else "color: #9e9e9e"


names = ["\u3000" * r.depth + f"{text(r.name)} ({r.vendor_id})" for r in book.rows]
heat = pd.DataFrame([[r.open_by_control.get(c, 0) for c in CONTROLS] for r in book.rows], index=names,
                    columns=list(CONTROLS))
st.dataframe(heat.style.map(_shade), width="stretch")
st.caption(tr("数値は委託先自身の未対応・確認済みの指摘事項の件数（色が濃いほど多い: 1・2〜4・5〜9・10 以上）。",
              "Open and acknowledged findings of the vendor itself (darker is more: 1, 2–4, 5–9, 10 or more)."))
with st.expander(tr("管理策の一覧", "The controls")):
    for control in load_catalog().controls:
        st.markdown(f"**{control.id}** {md(text(control.title))}")

st.subheader(tr("過去 12 か月の推移", "The last twelve months"))
if len(evaluated_months) < 2:
    st.caption(tr("推移は毎月の最終評価から作られます。評価が 2 か月分たまると折れ線で表示されます。",
                  "Trends are built from each month's last evaluation; lines appear once two months have one."))
months = [m[2:].replace("-", "/") for m in trend.months]  # 26/01 … 26/12
left, right = st.columns(2)
with left:
    st.markdown(f"**{tr('未対応の指摘事項（重大度別、月末時点）', 'Open findings by severity (end of month)')}**")
    st.bar_chart(pd.DataFrame({label(SEVERITY, s): [v or 0 for v in trend.open_by_severity[s]]
                               for s in ("critical", "high", "medium", "low")}, index=months),
                 color=[SEVERITY_COLOURS[s] for s in ("critical", "high", "medium", "low")],
                 x_label=tr("月", "month"), y_label=tr("件数", "findings"), height=320)
with right:
    st.markdown(f"**{tr('委託先ごとのスコア（月末時点）', 'Score of each vendor (end of month)')}**")
    by_score = [r.vendor_id for r in sorted(book.rows, key=lambda r: -(r.score or 0))]
    vendor_names = {r.vendor_id: text(r.name) for r in book.rows}
    shown = st.multiselect(tr("表示する委託先", "Vendors shown"), by_score, default=by_score[:TREND_VENDORS],
                           format_func=vendor_names.__getitem__, key="trend_vendors")
    scores = pd.DataFrame({vendor_names[v]: list(trend.scores[v]) for v in shown}, index=months)
    if len(evaluated_months) < 2:
        st.bar_chart(scores.fillna(0), stack=False, x_label=tr("月", "month"), y_label=tr("スコア", "score"),
                     height=260)
    else:
        st.line_chart(scores, x_label=tr("月", "month"), y_label=tr("スコア", "score"), height=260)

st.subheader(tr("スコアの内訳", "Why a vendor scores what it does"))
choices = {r.vendor_id: "\u3000" * r.depth + f"{text(r.name)} ({r.vendor_id}) — {r.score if r.score is not None else '—'}"
           for r in book.rows}
chosen = st.selectbox(tr("委託先", "Vendor"), list(choices), format_func=choices.__getitem__, key="explain_vendor")
if chosen:
    reasons = data.explanation_of(ctx, chosen)
    if not reasons:
        st.success(tr("この委託先には点数の要因がありません。", "Nothing adds points to this vendor."))
    else:
        st.dataframe([{
            tr("点", "Points"): r.points,
            tr("委託先", "Vendor"): r.vendor_id,
            tr("内容", "Reason"): text(r.title),
            tr("重大度", "Severity"): label(SEVERITY, r.severity),
            tr("状態", "Status"): label(STATUS, r.status),
            tr("対象", "Subject"): r.subject,
            "#": r.finding_id,
        } for r in reasons], hide_index=True, width="stretch")
        st.caption(tr("内訳は現在の指摘事項から計算しています（対応済みの変更を含みます）。",
                      "Computed from the findings as they are now (triage since the last evaluation included)."))
    st.page_link("app_pages/vendor.py", label=tr("この委託先の詳細へ", "Open this vendor"), icon=":material/domain:",
                 query_params={"vendor": chosen})
