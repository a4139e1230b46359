"""Access trail: the access history of a vendor, principal, source IP or network, or action over a period (or the
events behind a finding), in keyset pages cut in SQL, exported as CSV for investigators (guideline 6(3)②)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions, data
from dashboard.context import current
from dashboard.texts import text, tr
from dashboard.widgets import md, when
from vendorwatch.errors import VendorWatchError
from vendorwatch.staff.roles import Permission, allows
from vendorwatch.trail.period import parse_bound
from vendorwatch.trail.query import TrailFilter

SIZES = (50, 100, 200)
ctx = current()
vendors = {v.id: v.name.text() for v in ctx.registry.vendors}

# Links (?vendor=, ?finding=, ?principal=, ?ip=, ?action=) fill the filters once per distinct link.
links = {k: st.query_params.get(k) for k in ("vendor", "finding", "principal", "ip", "action")}
if links != st.session_state.get("trail_link"):
    st.session_state["trail_link"] = links
    if links["vendor"] in vendors:
        st.session_state["t_vendor"] = links["vendor"]
    for key in ("principal", "ip", "action"):
        if given := links[key]:
            st.session_state[f"t_{key}"] = given[:500]
    if (links["finding"] or "").isdigit():
        st.session_state["t_finding"] = int(links["finding"] or 0)

st.title(tr("アクセス履歴", "Access trail"))
st.caption(tr("委託先・主体・送信元 IP（CIDR 可）・操作・期間で絞り込んだアクセスの記録です。"
              "監督当局・調査担当への提出用に CSV で書き出せます（ガイドライン 6(3)②）。",
              "The recorded accesses of a vendor, principal, source IP (or CIDR network), action and period; export "
              "them as CSV for investigators and the regulator (guideline 6(3)②)."))
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    everything = tr("すべて", "all")
    vendor_labels: dict[str | None, str] = {None: everything, **{v: f"{text(n)} ({v})" for v, n in vendors.items()}}
    vendor = c1.selectbox(tr("委託先", "Vendor"), list(vendor_labels), key="t_vendor",
                          format_func=vendor_labels.__getitem__)
    principal = c2.text_input(tr("主体（ARN・DN・アクセスキー、完全一致）", "Principal (ARN, DN or access key, exact)"),
                              key="t_principal", max_chars=500)
    ip = c3.text_input(tr("送信元 IP または CIDR", "Source IP or CIDR"), key="t_ip", max_chars=64,
                       placeholder="203.0.113.0/24")
    c4, c5, c6, c7 = st.columns([1, 1, 1, 1])
    action = c4.text_input(tr("操作（完全一致）", "Action (exact)"), key="t_action", max_chars=200,
                           placeholder="GetObject")
    period = c5.date_input(tr("期間（組織のタイムゾーン）", "Period (organization's time zone)"), value=[],
                           key="t_period", format="YYYY-MM-DD")
    size = c6.selectbox(tr("1 ページの件数", "Rows per page"), SIZES, key="t_size")
    finding = c7.number_input(tr("指摘事項 #（根拠イベント）", "Finding # (its evidence)"), min_value=0, step=1,
                              key="t_finding", help=tr("0: 指定なし", "0: none"))

days = list(period) if isinstance(period, tuple | list) else [period]
try:
    where = TrailFilter(
        finding_id=int(finding) or None, vendor_id=vendor, principal=principal.strip() or None,
        ip=ip.strip() or None, action=action.strip() or None,
        since=parse_bound(days[0].isoformat(), end=False, zone=ctx.zone) if days else None,
        until=parse_bound(days[-1].isoformat(), end=True, zone=ctx.zone) if days else None,
    )
    _ = where.network  # a malformed address or CIDR is refused here, with the reason
    if st.session_state.get("t_where") != where:  # a new question starts again at the newest events
        st.session_state["t_where"] = where
        st.session_state["t_cursors"] = [None]
    cursors: list[str | None] = st.session_state.setdefault("t_cursors", [None])
    total = data.trail_count_of(ctx, where)
    found = data.trail_of(ctx, where, cursors[-1], int(size))
except VendorWatchError as error:
    st.error(md(text(error.message)))
    st.stop()

number = len(cursors)
first = (number - 1) * int(size) + 1 if found.items else 0
st.caption(tr(f"{total:,} 件中 {first:,}–{first + len(found.items) - 1 if found.items else 0:,} 件（新しい順）",
              f"{first:,}–{first + len(found.items) - 1 if found.items else 0:,} of {total:,} (newest first)"))
if not found.items:
    st.info(tr("条件に合うアクセスの記録はありません。", "No recorded access matches."))
else:
    st.dataframe(pd.DataFrame([{
        tr("日時", "Time"): when(ctx, e.event_time), tr("委託先", "Vendor"): e.vendor_id,
        tr("主体", "Principal"): e.principal, tr("操作", "Action"): e.action, tr("対象", "Resource"): e.resource,
        tr("送信元 IP", "Source IP"): e.source_ip, tr("ユーザーエージェント", "User agent"): e.user_agent,
        tr("結果", "Outcome"): e.outcome + (f" ({e.error_code})" if e.error_code else ""),
        tr("環境", "Environment"): e.environment_id or "", tr("アカウント", "Account"): e.account_id or "",
        tr("ソース", "Source"): e.source_id, tr("イベント ID", "Event id"): e.source_event_id,
    } for e in found.items]), hide_index=True, width="stretch",
        column_config={tr("日時", "Time"): st.column_config.TextColumn(width=170),
                       tr("ユーザーエージェント", "User agent"): st.column_config.TextColumn(width="medium")})
pages = st.columns([1, 1, 1, 5], vertical_alignment="center")
if pages[0].button(tr("最新へ", "Newest"), key="t_first", disabled=number == 1, icon=":material/first_page:"):
    st.session_state["t_cursors"] = [None]
    st.rerun()
if pages[1].button(tr("前へ", "Newer"), key="t_previous", disabled=number == 1, icon=":material/chevron_left:"):
    st.session_state["t_cursors"] = cursors[:-1]
    st.rerun()
if pages[2].button(tr("次へ", "Older"), key="t_next", disabled=found.next_after is None,
                   icon=":material/chevron_right:"):
    assert found.next_after is not None
    st.session_state["t_cursors"] = [*cursors, found.next_after.token]
    st.rerun()
pages[3].caption(tr(f"{number} ページ目", f"page {number}"))

st.subheader(tr("CSV で書き出す", "Export as CSV"))
if not allows(ctx.user.role, Permission.EXPORT):
    st.info(tr("アクセス履歴の書き出しは委託先管理担当と管理者だけができます。",
               "Only vendor managers and administrators may export the access trail."), icon=":material/lock:")
elif total:
    stamp = ctx.today.strftime("%Y%m%d")
    st.download_button(tr(f"CSV をダウンロード（{min(total, actions.MAX_EXPORT_ROWS):,} 件）",
                          f"Download the CSV ({min(total, actions.MAX_EXPORT_ROWS):,} events)"),
                       data=actions.trail_export(ctx, where), file_name=f"vendorwatch-trail-{stamp}.csv",
                       mime="text/csv", key="t_export", on_click="ignore", icon=":material/download:")
    st.caption(tr("古い順、Excel でそのまま開ける形式（UTF-8 BOM 付き、時刻は組織のタイムゾーン）。個人情報は画面と同じく"
                  "マスクされます（表示中なら表示のまま）。書き出しは監査ログに記録されます。",
                  "Oldest first, ready for Excel (UTF-8 with BOM, times in the organization's zone). Personal data is "
                  "masked as on the screen (shown if you showed it). Every export is written to the audit log."))
    if total > actions.MAX_EXPORT_ROWS:
        st.warning(tr(f"画面からの書き出しは {actions.MAX_EXPORT_ROWS:,} 件までです。すべて書き出すには "
                      "`vendorwatch events --format csv --out FILE` を同じ条件で実行してください。",
                      f"The dashboard exports at most {actions.MAX_EXPORT_ROWS:,} events; for all of them run "
                      "`vendorwatch events --format csv --out FILE` with the same filters."))
