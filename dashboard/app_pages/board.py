"""Board report: the month's posture per control and per vendor, what changed, what is overdue, and the stored
monthly digests (shown, and downloaded as PDF or HTML attachments)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.context import current
from dashboard.texts import SEVERITY, STATUS, TIER, label, language, text, tr
from dashboard.widgets import md, size_text, when
from vendorwatch.digest.labels import CONTROL_STATUS, LEVEL
from vendorwatch.digest.sections.controls import Controls
from vendorwatch.views.board import months

COUNTED = ("critical", "high", "medium", "low")
CHANGE_ICONS = {"worse": ":material/trending_up:", "better": ":material/trending_down:", "info": ":material/info:"}
STATUS_BADGES = {"alert": "red", "attention": "orange", "watch": "yellow", "ok": "green"}

ctx = current()
st.title(tr("取締役会報告", "Board report"))
latest = data.last_evaluated_month_of(ctx)
choices = months(ctx.today) + ([latest] if latest and latest not in months(ctx.today) else [])
month_labels = {m: (m + tr("（今月・途中経過）", " (this month, so far)") if i == 0 else m) for i, m in enumerate(choices)}
month = st.selectbox(tr("対象月", "Month"), choices, key="board_month", format_func=month_labels.__getitem__,
                     index=choices.index(latest) if latest in choices else 0)
report = data.board_of(ctx, month)
page = report.board
if report.provisional:
    st.caption(tr("今月はまだ終わっていないため、現時点の状況です（暫定）。月次報告は月が終わってから作成・送付されます。",
                  "This month is not over: figures as of now (provisional). The monthly digest is produced and "
                  "delivered once the month has ended."))

cols = st.columns(5)
delta = None if page.overall_score is None or page.previous_score is None else page.overall_score - page.previous_score
cols[0].metric(tr("総合リスク指標", "Overall risk index"), "—" if page.overall_score is None else page.overall_score,
               delta=delta, delta_color="inverse",
               help=tr("直接の委託先のスコアを区分で重み付けした平均（最重要 4・高 3・中 2・低 1）、再委託先は親に合算",
                       "tier-weighted mean of the direct vendors' scores (critical 4, high 3, medium 2, low 1), "
                       "sub-vendors rolled up into their parent"))
open_now = sum(page.open_by_severity.get(s, 0) for s in COUNTED)
open_before = sum(page.previous_open_by_severity.get(s, 0) for s in COUNTED)
cols[1].metric(tr("未解決の指摘", "Unresolved findings"), open_now,
               delta=(open_now - open_before) or None if page.compared else None, delta_color="inverse")
cols[2].metric(tr("対応期限超過", "Past the deadline"), page.overdue,
               delta=tr(f"うち重大 {page.escalated}（報告対象）", f"{page.escalated} critical (escalated)")
               if page.escalated else None, delta_color="off", delta_arrow="off")
cols[3].metric(tr("今月の新規・解決", "Opened / resolved"), f"{page.opened} / {page.resolved}")
cols[4].metric(tr("監視ソース（収集済）", "Sources collected"), f"{page.sources_collected} / {page.sources}")

left, right = st.columns(2)
with left:
    st.subheader(tr("先月からの変化", "What changed since last month"))
    for change in page.changes:
        st.markdown(f"{CHANGE_ICONS.get(change.direction, '')} {md(text(change.text))}")
with right:
    st.subheader(tr("取締役会への報告事項", "For the board's attention"))
    if not page.attention:
        st.success(tr("報告を要する事項はありません。", "Nothing needs the board's attention."))
    for item in page.attention:
        badge = {"critical": "red", "high": "orange", "medium": "yellow"}.get(item.severity, "gray")
        lines = "".join(f"\n    - {md(text(example))}" for example in item.items)
        st.markdown(f"- :{badge}-badge[{label(SEVERITY, item.severity)}] {md(text(item.text))}{lines}")

st.subheader(tr("管理策ごとの状況（JSDA IV.3(2) ①〜⑦）", "Per control (JSDA IV.3(2) ①–⑦)"))
section = report.section("controls")
if section is not None and isinstance(section.data, Controls):
    st.dataframe(pd.DataFrame([{
        tr("管理策", "Control"): f"{c.id} {c.item}", tr("内容", "Title"): text(c.title),
        tr("状況", "Status"): label(CONTROL_STATUS, c.status),
        **{label(SEVERITY, s): c.open_by_severity.get(s, 0) for s in COUNTED},
        tr("期限超過", "Overdue"): c.overdue, tr("リスク受容", "Accepted"): c.accepted, tr("チェック数", "Checks"): c.checks,
    } for c in section.data.controls]), hide_index=True, width="stretch",
        column_config={tr("内容", "Title"): st.column_config.TextColumn(width="large")})

st.subheader(tr("委託先ごとの状況", "Per vendor"))
if not report.vendors:
    st.info(tr("この月に評価された委託先はありません。", "No vendor was evaluated in this month."))
else:
    st.dataframe(pd.DataFrame([{
        tr("委託先", "Vendor"): ("└ " if v.parent_id else "") + f"{text(v.name)} ({v.vendor_id})",
        tr("区分", "Tier"): label(TIER, v.tier), tr("スコア", "Score"): v.score,
        tr("前月比", "Change"): "—" if v.change is None else (f"+{v.change}" if v.change > 0 else str(v.change)),
        tr("水準", "Level"): label(LEVEL, v.level),
        **{label(SEVERITY, s): v.open_by_severity.get(s, 0) for s in COUNTED},
        tr("受容中", "Accepted"): v.accepted,
        tr("監視ソース", "Sources"): f"{v.sources.get('fresh', 0)}/{sum(v.sources.values())}",
    } for v in report.vendors]), hide_index=True, width="stretch", column_config={
        tr("スコア", "Score"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d", width="small"),
    })
    st.caption(tr("スコアと指摘数は各委託先の月内最後の評価時点、監視ソースは上の集計と同じ時点（月末、今月は現在）の"
                  "SLA 内に収集済みの数です。前月比はスコアの差（+ は悪化）。",
                  "Scores and findings are each vendor's last evaluation in the month; sources are those collected "
                  "within their SLA at the moment of the figures above (the month's end, or now for this month). "
                  "Change is the score's difference from the month before (+ is worse)."))

st.subheader(tr("対応期限を過ぎた指摘", "Findings past their resolution deadline"))
if not report.overdue:
    st.success(tr("期限を過ぎた指摘はありません。", "No finding is past its deadline."))
else:
    st.dataframe(pd.DataFrame([{
        "#": f.id, tr("重大度", "Severity"): label(SEVERITY, f.severity), tr("管理策", "Control"): f.control,
        tr("委託先", "Vendor"): text(f.vendor), tr("内容", "Finding"): text(f.title), tr("対象", "Subject"): f.subject,
        tr("状態", "Status"): label(STATUS, f.status), tr("経過日数", "Age (days)"): f.age_days,
        tr("期限（日）", "Deadline (days)"): f.deadline_days, tr("超過日数", "Days over"): f.overdue_days,
    } for f in report.overdue]), hide_index=True, width="stretch")
    st.page_link("app_pages/findings.py", label=tr("指摘事項のページで対応する", "Triage them in the findings page"),
                 icon=":material/report:")

scored = [p for p in page.trend if p.score is not None]
if len(scored) > 1:
    st.subheader(tr("総合リスク指標の推移", "The overall risk index, month by month"))
    st.bar_chart(pd.DataFrame({tr("総合リスク指標", "risk index"): [p.score or 0 for p in page.trend]},
                              index=[p.month for p in page.trend]), height=220,
                 x_label=tr("月", "month"), y_label=tr("指標", "index"))

st.subheader(tr("保存された月次報告", "Stored monthly digests"))
digests = data.digests_of(ctx)
if not digests:
    st.info(tr("月次報告はまだ作成されていません（`vendorwatch digest --month YYYY-MM`、または定期実行）。",
               "No monthly digest has been produced yet (`vendorwatch digest --month YYYY-MM`, or the scheduler)."))
else:
    def delivery_text(summary: object) -> str:
        deliveries = getattr(summary, "deliveries", [])
        if not deliveries:
            return tr("未送付", "not delivered")
        last = deliveries[-1]
        state = {"delivered": tr("送付済み", "delivered"), "partial": tr("一部送付", "partly delivered"),
                 "failed": tr("送付失敗", "failed")}.get(last.status, last.status)
        return f"{state} {when(ctx, last.sent_at or last.attempted_at)} ({len(last.accepted)}/{len(last.recipients)})"

    st.dataframe(pd.DataFrame([{
        "#": d.id, tr("対象月", "Month"): d.month, tr("言語", "Language"): "日本語" if d.language == "ja" else "English",
        tr("版", "Revision"): d.revision, tr("作成", "Produced"): when(ctx, d.produced_at),
        tr("作成者", "By"): d.produced_by,
        tr("種別", "Kind"): tr("暫定", "provisional") if d.provisional else tr("確定", "final"),
        tr("送付", "Delivery"): delivery_text(d), tr("件名", "Subject"): d.subject,
    } for d in digests]), hide_index=True, width="stretch")
    wanted = [d for d in digests if d.language == language()] or list(digests)
    labels = {d.id: f"#{d.id} {d.month} ({'日本語' if d.language == 'ja' else 'English'}, "
                    + tr(f"第 {d.revision} 版", f"revision {d.revision}") + ")" for d in digests}
    chosen = st.selectbox(tr("開く月次報告", "Digest to open"), [d.id for d in digests],
                          index=[d.id for d in digests].index(wanted[0].id), format_func=labels.__getitem__,
                          key="board_digest")
    digest = next(d for d in digests if d.id == chosen)
    buttons = st.columns([1, 1, 3])
    buttons[0].download_button(tr("PDF をダウンロード", "Download the PDF"),
                               data=data.digest_document(ctx, digest.id, "pdf"),
                               file_name=f"vendorwatch-digest-{digest.month}-{digest.language}-r{digest.revision}.pdf",
                               mime="application/octet-stream", key=f"board_pdf_{digest.id}", on_click="ignore",
                               icon=":material/picture_as_pdf:")
    buttons[1].download_button(tr("HTML をダウンロード", "Download the HTML"),
                               data=data.digest_document(ctx, digest.id, "html"),
                               file_name=f"vendorwatch-digest-{digest.month}-{digest.language}-r{digest.revision}.html",
                               mime="application/octet-stream", key=f"board_html_{digest.id}", on_click="ignore",
                               icon=":material/html:")
    buttons[2].caption(tr(f"SHA-256（PDF）{digest.pdf_sha256[:16]}… · 監査ログの先頭 {digest.audit_head[:12]}…"
                          f"（{digest.audit_entries:,} 件）", f"SHA-256 (PDF) {digest.pdf_sha256[:16]}… · audit head "
                          f"{digest.audit_head[:12]}… ({digest.audit_entries:,} entries)"))
    body = data.digest_text_of(ctx, digest.id)
    if body:
        with st.expander(tr(f"本文（テキスト版、{size_text(len(body.encode()))}）",
                            f"Text version ({size_text(len(body.encode()))})"), expanded=False):
            st.text(body)
