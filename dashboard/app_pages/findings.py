"""Findings: filter and search, open one (explanation, remediation, evidence events, history), and triage it."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from dashboard import actions, data
from dashboard.context import current
from dashboard.texts import SEVERITY, STATUS, label, text, tr
from dashboard.widgets import code, md, page_number, pager, severity_badge, vendor_label, when
from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.model import SEVERITIES
from vendorwatch.errors import VendorWatchError
from vendorwatch.findings.lifecycle import ACTIVE_STATUSES, STATUSES
from vendorwatch.staff.roles import Permission, allows
from vendorwatch.views.findings import FIRM_WIDE, FindingQuery
from vendorwatch.views.portfolio import CONTROLS

PAGE_SIZE = 50
FIRM = "@firm"  # the vendor filter's choice for the findings about the firm itself (no vendor)
ctx = current()
checks = checks_by_id()
vendors = {v.id: v.name.text() for v in ctx.registry.vendors}

# Deep links (?vendor=, ?firm=1, ?control=, ?finding=) set the filters once per distinct link.
links = {k: st.query_params.get(k) for k in ("vendor", "firm", "control", "check", "finding")}
if links != st.session_state.get("findings_link"):
    st.session_state["findings_link"] = links
    if links["vendor"] in vendors:
        st.session_state["f_vendor"] = links["vendor"]
    elif links["firm"] == "1":
        st.session_state["f_vendor"] = FIRM
    if links["control"] in CONTROLS:
        st.session_state["f_control"] = links["control"]
    if links["check"] in checks:
        st.session_state["f_check"] = links["check"]
    if (links["finding"] or "").isdigit():
        st.session_state["f_open"] = int(links["finding"] or 0)

st.title(tr("指摘事項", "Findings"))
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    everything = tr("すべて", "all")
    vendor_labels: dict[str | None, str] = {None: everything, FIRM: tr("当社全体（委託先に属さない指摘）",
                                                                       "Firm-wide (findings about the firm itself)"),
                                            **{v: f"{text(n)} ({v})" for v, n in vendors.items()}}
    vendor = c1.selectbox(tr("委託先", "Vendor"), list(vendor_labels), key="f_vendor",
                          format_func=vendor_labels.__getitem__)
    control_labels: dict[str | None, str] = {None: everything, **{c: c for c in CONTROLS}}
    control = c2.selectbox(tr("管理策", "Control"), list(control_labels), key="f_control",
                           format_func=control_labels.__getitem__)
    check_labels: dict[str | None, str] = {None: everything, **{
        c.id: f"{text(c.meta.title)} ({c.id})" for c in sorted(checks.values(), key=lambda c: c.id)
        if control is None or c.meta.control == control}}
    if st.session_state.get("f_check") not in check_labels:
        st.session_state["f_check"] = None
    check = c3.selectbox(tr("チェック", "Check"), list(check_labels), key="f_check", format_func=check_labels.__getitem__)
    c4, c5, c6, c7 = st.columns([1, 1, 1, 1])
    severity_labels = {s: label(SEVERITY, s) for s in SEVERITIES}
    severities = c4.multiselect(tr("重大度", "Severity"), list(SEVERITIES), key="f_severity",
                                format_func=severity_labels.__getitem__, placeholder=everything)
    status_labels = {s: label(STATUS, s) for s in STATUSES}
    statuses = c5.multiselect(tr("状態", "Status"), list(STATUSES), default=list(ACTIVE_STATUSES), key="f_status",
                              format_func=status_labels.__getitem__, placeholder=everything)
    period = c6.date_input(tr("期間（検出日）", "Period (seen)"), value=[], key="f_period", format="YYYY-MM-DD")
    search = c7.text_input(tr("検索（対象・チェック・委託先）", "Search (subject, check, vendor)"), key="f_search",
                           max_chars=200)

days = list(period) if isinstance(period, tuple | list) else [period]
try:
    query = FindingQuery(vendor=None if vendor == FIRM else vendor, firm_wide=vendor == FIRM, control=control,
                         check=check, severities=tuple(severities),
                         statuses=tuple(statuses), seen_from=days[0] if days else None,
                         seen_to=days[-1] if days else None, search=search or None)
except ValidationError:
    st.error(tr("検索条件が正しくありません。", "The filters are not valid."))
    st.stop()

if st.session_state.get("f_query") != query:
    st.session_state["f_query"] = query
    st.session_state["f_page"] = 1
found = data.findings_of(ctx, query, page_number("f_page"), PAGE_SIZE)
if not found.total:
    st.info(tr("条件に合う指摘事項はありません。", "No findings match."))
else:
    picked = st.dataframe([{
        "#": f.finding_id, tr("重大度", "Severity"): label(SEVERITY, f.severity), tr("管理策", "Control"): f.control_id,
        tr("委託先", "Vendor"): vendor_label(f.vendor_id), tr("内容", "Finding"): text(f.title),
        tr("詳細", "What"): text(f.message),
        tr("状態", "Status"): label(STATUS, f.status), tr("最終検出", "Last seen"): when(ctx, f.last_seen),
        tr("受容期限", "Accepted until"): when(ctx, f.accepted_until),
    } for f in found.items], hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key="f_table", column_config={tr("詳細", "What"): st.column_config.TextColumn(width="large")})
    pager(found, key="f_page")
    st.caption(tr("行を選ぶと下に詳細が表示されます。", "Select a row to open it below."))
    selected = list(picked.selection.rows) if picked else []
    chosen_row = found.items[selected[0]].finding_id if selected and selected[0] < len(found.items) else None
    if chosen_row is not None and st.session_state.get("f_table_applied") != chosen_row:
        st.session_state["f_table_applied"] = chosen_row
        st.session_state["f_open"] = chosen_row

options = [f.finding_id for f in found.items]
linked_text = links["finding"] or ""
linked = int(linked_text) if linked_text.isdigit() else None
if linked is not None and linked not in options:  # a deep link opens its finding whatever the filters show
    options.insert(0, linked)
titles = {f.finding_id: f"#{f.finding_id} [{label(SEVERITY, f.severity)}] {text(f.title)} — {f.subject}" for f in found.items}
if not options:
    st.stop()
if st.session_state.get("f_open") not in options:
    st.session_state["f_open"] = options[0]
labels = {i: titles.get(i, f"#{i}") for i in options}
finding_id = st.selectbox(tr("開く指摘事項", "Finding to open"), options, key="f_open", format_func=labels.__getitem__)
detail = data.finding_of(ctx, int(finding_id))
if detail is None:
    st.warning(tr(f"指摘事項 #{finding_id} はありません。", f"There is no finding #{finding_id}."))
    st.stop()

row = detail.row
st.divider()
done = st.session_state.pop("f_done", None)
if done:
    st.success(done, icon=":material/check_circle:")
st.subheader(f"#{row.finding_id} {md(text(row.title))}")
st.markdown(f"{severity_badge(row.severity)} :gray-badge[{label(STATUS, row.status)}] "
            f":violet-badge[{row.control_id}] "
            + (f":blue-badge[{text(FIRM_WIDE)}]" if row.vendor_id is None else code(row.vendor_id))
            + f" · {code(row.check_id)}")
st.text(text(row.message))
facts = st.columns(4)
facts[0].caption(tr("初回検出", "First seen") + f"\n\n{when(ctx, row.first_seen)}")
facts[1].caption(tr("最終検出", "Last seen") + f"\n\n{when(ctx, row.last_seen)}")
facts[2].caption(tr("受容期限", "Accepted until") + f"\n\n{when(ctx, row.accepted_until) or '—'}")
facts[3].caption(tr("対象", "Subject") + f"\n\n{md(row.subject)}")
if detail.status_reason and row.status != "open":
    st.caption(tr("理由: ", "Reason: ") + md(detail.status_reason))

explain, remedy = st.columns(2)
with explain:
    st.markdown(f"**{tr('管理策', 'Control')} {row.control_id} — {md(text(detail.control_title))}**")
    st.caption(md(text(detail.guideline)))
with remedy:
    st.markdown(f"**{tr('対処', 'Remediation')}**")
    st.markdown(md(text(detail.remediation)))

st.markdown(f"**{tr('根拠となるイベント', 'Evidence events')}**")
if detail.events:
    st.dataframe(pd.DataFrame([{
        tr("日時", "Time"): when(ctx, e.event_time), tr("主体", "Principal"): e.principal, tr("操作", "Action"): e.action,
        tr("対象", "Resource"): e.resource, tr("送信元 IP", "Source IP"): e.source_ip,
        tr("ユーザーエージェント", "User agent"): e.user_agent,
        tr("結果", "Outcome"): e.outcome + (f" ({e.error_code})" if e.error_code else ""),
        tr("ソース", "Source"): e.source_id, tr("イベント ID", "Event id"): e.source_event_id,
    } for e in detail.events]), hide_index=True, width="stretch")
    if detail.event_count > len(detail.events):
        st.caption(tr(f"全 {detail.event_count:,} 件のうち {len(detail.events)} 件を表示",
                      f"showing {len(detail.events)} of {detail.event_count:,} events"))
elif detail.event_ids:
    st.caption(tr("根拠イベントは保存期間外か別の委託先の記録です: ", "Evidence events not stored here: ")
               + md(", ".join(detail.event_ids[:10])))
else:
    st.caption(tr("この指摘事項は設定・状態の確認によるもので、イベントはありません。",
                  "This finding comes from a setting or state, not from events."))
if detail.events:
    st.page_link("app_pages/trail.py", label=tr("根拠イベントをアクセス履歴で開く（CSV 書き出し可）",
                                                "Open the evidence events in the access trail (CSV export)"),
                 icon=":material/manage_search:", query_params={"finding": str(row.finding_id)})
if detail.principals:
    st.caption(tr("関係する主体: ", "Principals: ") + md(", ".join(detail.principals)))
if detail.details:
    with st.expander(tr("詳細データ", "Details")):
        st.json(detail.details, expanded=True)

st.markdown(f"**{tr('履歴', 'History')}**")
st.dataframe(pd.DataFrame([{
    tr("日時", "When"): when(ctx, h.at), tr("変更前", "From"): label(STATUS, h.from_status) or "—",
    tr("変更後", "To"): label(STATUS, h.to_status), tr("実施者", "By"): h.actor, tr("理由", "Reason"): h.reason or "",
} for h in detail.history]), hide_index=True, width="stretch")

st.markdown(f"**{tr('対応', 'Triage')}**")
if not allows(ctx.user.role, Permission.TRIAGE):
    st.info(tr("閲覧者は指摘事項を変更できません。", "Viewers cannot change findings."), icon=":material/lock:")
elif row.status == "resolved":
    st.caption(tr("解決済みです。条件が続いていれば次の評価で再び開かれます。",
                  "Resolved; the next evaluation reopens it if the condition is still there."))
else:
    ack_tab, accept_tab, resolve_tab = st.tabs([tr("確認済みにする", "Acknowledge"), tr("リスクを受容する", "Accept the risk"),
                                                tr("解決済みにする", "Resolve")])

    def _apply(action: actions.TriageAction, reason: str, until: object = None) -> None:
        try:
            status = actions.triage_finding(ctx, action, row.finding_id, reason=reason or None,
                                            until=until)  # type: ignore[arg-type]
        except VendorWatchError as error:
            st.error(md(text(error.message)))
        else:
            st.session_state["f_done"] = tr(f"#{row.finding_id} を「{label(STATUS, status)}」にしました。",
                                            f"#{row.finding_id} is now {label(STATUS, status)}.")
            st.rerun()

    with ack_tab, st.form("ack", border=False):
        reason = st.text_input(tr("メモ（任意）", "Note (optional)"), key="ack_reason", max_chars=1000)
        if st.form_submit_button(tr("確認済みにする", "Acknowledge")):
            _apply("acknowledge", reason)
    with accept_tab, st.form("accept", border=False):
        reason = st.text_area(tr("受容の理由（必須）", "Why the risk is accepted (required)"), key="accept_reason",
                              max_chars=2000)
        until = st.date_input(tr("受容期限（この日の終わりまで）", "Accepted until (end of that day)"),
                              value=ctx.today + timedelta(days=90), min_value=ctx.today + timedelta(days=1),
                              key="accept_until", format="YYYY-MM-DD")
        if st.form_submit_button(tr("リスクを受容する", "Accept the risk")):
            _apply("accept", reason, until)
    with resolve_tab, st.form("resolve", border=False):
        reason = st.text_area(tr("解決の内容（必須）", "How it was resolved (required)"), key="resolve_reason",
                              max_chars=2000)
        if st.form_submit_button(tr("解決済みにする", "Resolve")):
            _apply("resolve", reason)
