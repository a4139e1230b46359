"""Vendor: its tree (sub-vendors, environments, sources), findings, principals, roster with leavers, transfers,
questionnaires and, for those who may see personal data, the contacts who can use the vendor portal."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions, data
from dashboard.context import current
from dashboard.texts import (
    COVERAGE,
    ENVIRONMENT_KIND,
    PORTAL_ENROLMENT,
    QUESTIONNAIRE_RESULT,
    REQUEST_STATE,
    ROSTER_STATE,
    SEVERITY,
    STATUS,
    TIER,
    label,
    text,
    tr,
)
from dashboard.widgets import code, flag, md, page_number, pager, when
from vendorwatch.errors import VendorWatchError
from vendorwatch.staff.roles import Permission, allows
from vendorwatch.views.findings import FindingQuery
from vendorwatch.views.portal_contacts import PortalContactRow
from vendorwatch.views.questionnaires import family

ctx = current()
book = data.portfolio_of(ctx)
rows = {r.vendor_id: r for r in book.rows}
if not rows:
    st.info(tr("台帳に委託先がありません。", "The registry has no vendors."))
    st.stop()

asked = st.query_params.get("vendor")
if asked in rows and st.session_state.get("vendor_from_link") != asked:
    st.session_state["vendor_choice"] = asked
    st.session_state["vendor_from_link"] = asked
if st.session_state.get("vendor_choice") not in rows:
    st.session_state["vendor_choice"] = next(iter(rows))
vendor_labels = {v: "\u3000" * r.depth + f"{text(r.name)} ({v})" for v, r in rows.items()}
vendor_id = st.selectbox(tr("委託先", "Vendor"), list(rows), key="vendor_choice", format_func=vendor_labels.__getitem__)
row = rows[vendor_id]
header = data.vendor_header_of(ctx, vendor_id)

st.title(md(text(header.name)))
facts = [f"ID {code(vendor_id)}", tr(f"区分 {label(TIER, header.tier)}", f"tier {label(TIER, header.tier)}")]
facts.append(tr("顧客情報を取り扱う", "handles customer data") if header.handles_customer_data
             else tr("顧客情報を取り扱わない", "no customer data"))
if header.chain:
    facts.append(tr("委託元: ", "works for: ") + " → ".join(md(text(name)) for _, name in header.chain))
st.markdown(" · ".join(facts))
if header.services:
    st.caption(tr("業務: ", "Services: ") + ", ".join(md(s) for s in header.services))

cols = st.columns(4)
if row.score is None:
    cols[0].metric(tr("スコア", "Score"), "—", delta=tr("未評価", "not evaluated yet"), delta_color="off",
                   delta_arrow="off")
else:
    cols[0].metric(tr("スコア（最終評価）", "Score (last evaluation)"), row.score, delta=label(SEVERITY, row.level),
                   delta_color="off", delta_arrow="off")
cols[1].metric(tr("未対応の指摘事項", "Open findings"), row.open_total,
               delta=tr(f"重大 {row.open_by_severity['critical']} · 高 {row.open_by_severity['high']}",
                        f"critical {row.open_by_severity['critical']} · high {row.open_by_severity['high']}"),
               delta_color="off", delta_arrow="off")
nodes = data.vendor_tree_of(ctx, vendor_id)
own_sources = [n.coverage for n in nodes if n.coverage and n.coverage.vendor_id == vendor_id]
fresh = sum(1 for c in own_sources if c.state == "fresh")
gaps = [f"{label(COVERAGE, s)} {n}" for s in ("stale", "failing", "never")
        if (n := sum(1 for c in own_sources if c.state == s))]
cols[2].metric(tr("監視ソース（最新）", "Sources fresh"), f"{fresh} / {len(own_sources)}",
               delta=" · ".join(gaps) or None, delta_color="inverse" if gaps else "off", delta_arrow="off")
if header.contract_end:
    left = (header.contract_end - ctx.today).days
    cols[3].metric(tr("契約終了", "Contract ends"), header.contract_end.isoformat(),
                   delta=tr(f"残り {left} 日", f"{left} days left") if left >= 0 else tr("終了済み", "ended"),
                   delta_color="off" if left > 90 else "inverse", delta_arrow="off")
else:
    cols[3].metric(tr("契約", "Contract"), header.contract_id or "—")
if header.contacts:
    st.caption(tr("連絡先: ", "Contacts: ") + "; ".join(
        md(" ".join(x for x in (c.name, c.email, c.phone) if x)) for c in header.contacts))

may_see_contacts = allows(ctx.user.role, Permission.UNMASK)  # roles that may see personal data (masked by default)
tabs = st.tabs([
    tr("構成", "Structure"), tr("指摘事項", "Findings"), tr("主体（アカウント）", "Principals"),
    tr("要員名簿", "Roster"), tr("移送", "Transfers"), tr("質問票", "Questionnaires"),
    *([tr("ポータル利用者", "Portal contacts")] if may_see_contacts else []),
])
tree_tab, findings_tab, principals_tab, roster_tab, transfers_tab, questionnaire_tab = tabs[:6]

with tree_tab:
    kinds = {"vendor": tr("委託先", "vendor"), "environment": tr("環境", "environment"), "source": tr("ソース", "source")}
    st.dataframe(pd.DataFrame([{
        tr("構成", "Node"): "\u3000\u3000" * n.depth + n.node_id,
        tr("種別", "Kind"): kinds[n.kind] + (f" · {label(ENVIRONMENT_KIND, n.label.en)}" if n.kind == "environment"
                                             else f" · {n.label.en}" if n.kind == "source" else ""),
        tr("詳細", "Details"): n.detail if n.kind != "vendor" else label(TIER, n.detail),
        tr("監視状態", "Monitoring"): label(COVERAGE, n.coverage.state) if n.coverage else "",
        tr("最終収集成功", "Last collected"): when(ctx, n.coverage.last_success) if n.coverage else "",
        tr("最終失敗", "Last failure"): (
            when(ctx, n.coverage.last_failure) + (tr(f"（連続 {n.coverage.failures_in_a_row} 回）",
                                                     f" ({n.coverage.failures_in_a_row} in a row)")
                                                  if n.coverage.failures_in_a_row else "")
            if n.coverage and n.coverage.last_failure else ""),
        "SLA": f"{n.coverage.sla_hours} h" if n.coverage else "",
    } for n in nodes]), hide_index=True, width="stretch",
        column_config={tr("詳細", "Details"): st.column_config.TextColumn(width="large"),
                       tr("最終収集成功", "Last collected"): st.column_config.TextColumn(width=170),
                       tr("最終失敗", "Last failure"): st.column_config.TextColumn(width=200)})
    failing = [n.coverage for n in nodes if n.coverage and n.coverage.state == "failing" and n.coverage.last_error]
    for item in failing:
        st.error(f"{item.source_id}: {item.last_error}", icon=":material/error:")

with findings_tab:
    query = FindingQuery(vendor=vendor_id)
    found = data.findings_of(ctx, query, page_number("vendor_findings_page"), 20)
    if not found.total:
        st.success(tr("未対応の指摘事項はありません。", "No open findings."))
    else:
        st.dataframe(pd.DataFrame([{
            "#": f.finding_id, tr("重大度", "Severity"): label(SEVERITY, f.severity), tr("管理策", "Control"): f.control_id,
            tr("内容", "Finding"): text(f.title), tr("対象", "Subject"): f.subject,
            tr("状態", "Status"): label(STATUS, f.status), tr("最終検出", "Last seen"): when(ctx, f.last_seen),
        } for f in found.items]), hide_index=True, width="stretch")
        pager(found, key="vendor_findings_page")
    st.page_link("app_pages/findings.py", label=tr("指摘事項のページで開く", "Open in the findings page"),
                 icon=":material/report:", query_params={"vendor": vendor_id})
    st.page_link("app_pages/trail.py", label=tr("この委託先のアクセス履歴", "This vendor's access trail"),
                 icon=":material/manage_search:", query_params={"vendor": vendor_id})

with principals_tab:
    kind_options = [None, "iam_user", "access_key", "iam_role", "root", "ldap_account", "ad_account", "directory_group"]
    c1, c2 = st.columns([2, 1])
    kind_labels = {k: tr("すべて", "all") if k is None else k for k in kind_options}
    kind = c1.selectbox(tr("種類", "Kind"), kind_options, key="principal_kind", format_func=kind_labels.__getitem__)
    include_gone = c2.checkbox(tr("削除済みも表示", "Include removed"), key="principal_gone")
    principals = data.principals_of(ctx, vendor_id, page_number("principal_page"), 50, include_gone, kind)
    if principals.number > principals.pages:
        st.session_state["principal_page"] = 1
        principals = data.principals_of(ctx, vendor_id, 1, 50, include_gone, kind)
    if not principals.total:
        st.info(tr("収集された主体はありません。", "No principals collected."))
    else:
        st.dataframe(pd.DataFrame([{
            tr("主体", "Principal"): p.external_id, tr("種類", "Kind"): p.kind, tr("名前", "Name"): p.name,
            tr("環境", "Environment"): p.environment_id or "", "MFA": flag(p.mfa_enabled),
            tr("コンソール", "Console"): flag(p.console_access),
            tr("キー経過日数", "Key age (days)"): p.key_age_days,
            tr("最終使用", "Last used"): when(ctx, p.last_used_at),
            tr("状態", "State"): (tr("削除 ", "removed ") + when(ctx, p.gone_at)) if p.gone_at
            else (tr("無効", "disabled") if p.disabled else tr("有効", "enabled")),
        } for p in principals.items]), hide_index=True, width="stretch", placeholder="—", column_config={
            tr("キー経過日数", "Key age (days)"): st.column_config.NumberColumn(format="%d"),
        })
        old_keys = sum(1 for p in principals.items if (p.key_age_days or 0) > 90 and not p.disabled and not p.gone_at)
        if old_keys:
            st.warning(tr(f"このページの {old_keys} 件は作成から 90 日を超えたアクセスキーを持っています。",
                          f"{old_keys} on this page hold an access key older than 90 days."))
        pager(principals, key="principal_page")
        st.caption(tr("キー経過日数: アクセスキー自身の、または利用者の最も古い有効なキーの作成からの日数（90 日超は要更新）。",
                      "Key age: days since the access key (or the user's oldest active key) was created; "
                      "over 90 needs rotation."))

with roster_tab:
    roster = data.roster_of(ctx, vendor_id)
    if not roster:
        st.info(tr("要員名簿がありません。", "No roster."))
    else:
        st.dataframe(pd.DataFrame([{
            tr("要員", "Person"): r.person, tr("氏名", "Name"): r.name, tr("状態", "State"): label(ROSTER_STATE, r.state),
            tr("着任", "Since"): r.since.isoformat(), tr("離任", "Until"): r.until.isoformat() if r.until else "",
            tr("ID", "Identities"): ", ".join(r.identities),
            tr("離任後も有効な ID", "Still enabled after leaving"): ", ".join(r.still_enabled),
        } for r in roster]), hide_index=True, width="stretch")
        leavers = [r for r in roster if r.still_enabled]
        if leavers:
            st.warning(tr(f"離任者 {len(leavers)} 名の ID がまだ有効です。",
                          f"{len(leavers)} leaver(s) still have enabled identities."))

with transfers_tab:
    transfers = data.transfers_of(ctx, vendor_id, page_number("transfer_page"), 20)
    if not transfers.total:
        st.info(tr("環境間の移送は記録されていません。", "No transfers between environments recorded."))
    else:
        st.dataframe(pd.DataFrame([{
            tr("日時", "When"): when(ctx, x.occurred_at), tr("種類", "Kind"): x.kind,
            tr("移送元", "From"): x.from_environment or x.from_account or "",
            tr("移送先", "To"): x.to_environment or x.to_account or "",
            tr("承認", "Approval"): x.approval_id or tr("⚠ 承認なし", "⚠ none"),
            tr("目的", "Purpose"): x.purpose or "", tr("対象", "Resource"): x.resource, tr("実行者", "By"): x.principal,
            tr("承認者", "Approved by"): x.approved_by or "",
            tr("承認期間", "Window"): (f"{when(ctx, x.window_start)} – {when(ctx, x.window_end)}"
                                      if x.window_start else ""),
        } for x in transfers.items]), hide_index=True, width="stretch")
        pager(transfers, key="transfer_page")

with questionnaire_tab:
    members = family(ctx.registry, vendor_id)
    asked_of = data.questionnaires_of(ctx, members)
    if not asked_of.requests:
        st.info(tr("この委託先（再委託先を含む）には質問票を送付していません。",
                   "No questionnaire has been sent to this vendor or its sub-vendors."))
    else:
        st.dataframe(pd.DataFrame([{
            tr("依頼", "Request"): q.request_id,
            tr("委託先", "Vendor"): ("└ " if q.vendor_id != vendor_id else "") + f"{text(rows[q.vendor_id].name)} "
                                    f"({q.vendor_id})" if q.vendor_id in rows else q.vendor_id,
            tr("キャンペーン", "Campaign"): q.campaign, tr("質問票", "Questionnaire"): f"{q.questionnaire_id} {q.version}",
            tr("状態", "State"): ("⚠ " if q.overdue else "") + label(REQUEST_STATE, q.state),
            tr("期限", "Due"): q.due_date.isoformat()
            + (tr(f"（{-q.days_left} 日超過）", f" ({-q.days_left} days overdue)") if q.overdue else ""),
            tr("提出", "Submitted"): when(ctx, q.submitted_at),
            tr("スコア", "Score"): "—" if q.score is None else f"{q.score:.0f}% {label(QUESTIONNAIRE_RESULT, q.result)}",
            tr("矛盾", "Contradicted"): q.contradicted,
        } for q in asked_of.requests]), hide_index=True, width="stretch", column_config={
            tr("キャンペーン", "Campaign"): st.column_config.TextColumn(width="medium"),
            tr("矛盾", "Contradicted"): st.column_config.NumberColumn(width="small")})
        missing = asked_of.without_accepted(members[1:])
        if missing:
            st.warning(tr(f"承認済みの質問票がない再委託先: {', '.join(missing)}（3.2.7 の監督の証跡）",
                          f"Sub-vendors without an accepted questionnaire: {', '.join(missing)} (3.2.7 supervision)"))
        for q in asked_of.requests[:5]:
            st.page_link("app_pages/questionnaires.py", label=tr(f"依頼 #{q.request_id}（{q.vendor_id}）の回答を開く",
                                                                 f"Open the answers of request #{q.request_id} ({q.vendor_id})"),
                         icon=":material/quiz:", query_params={"request": str(q.request_id)})
    documents = data.documents_of(ctx, members)
    if documents:
        st.markdown(f"**{tr('証跡文書', 'Evidence documents')}**")
        st.dataframe(pd.DataFrame([{
            tr("委託先", "Vendor"): d.vendor_id, tr("種類", "Kind"): text(d.kind_label), tr("表題", "Title"): d.title,
            tr("有効期限", "Valid until"): d.valid_until.isoformat() if d.valid_until else "",
            tr("残り日数", "Days left"): d.days_left,
            tr("状態", "State"): tr("期限切れ", "expired") if d.expired else tr("更新済み", "superseded")
            if d.superseded else tr("有効", "valid"),
        } for d in documents]), hide_index=True, width="stretch")



def _contact_state(r: PortalContactRow) -> str:
    """Disabled, locked (until when), or the enrolment (a pending or expired invitation with its expiry)."""
    if r.disabled_at is not None:
        return "⛔ " + tr("無効", "disabled")
    if r.locked_until is not None:  # only while locked (read again every minute)
        return "🔒 " + tr(f"ロック中（{when(ctx, r.locked_until)} まで）", f"locked until {when(ctx, r.locked_until)}")
    state, expires = label(PORTAL_ENROLMENT, r.enrolment), when(ctx, r.invitation_expires_at).rsplit(" ", 1)[0]
    if r.enrolment == "pending":
        return state + tr(f"（{expires} まで）", f" (until {expires})")
    if r.enrolment == "expired" and expires:
        return state + tr(f"（{expires}）", f" ({expires})")
    return state


def _sign_in_methods(r: PortalContactRow) -> str:
    parts = [tr(f"パスキー {r.passkeys}", f"passkey {r.passkeys}")] if r.passkeys else []
    if r.email_code:
        parts.append(tr("メールコード", "e-mail code"))
    return " · ".join(parts)


def _portal_contacts_tab() -> None:
    members = family(ctx.registry, vendor_id)
    seen = data.portal_contacts_of(ctx, members)
    invite = code(f"vendorwatch portal invite --vendor {vendor_id}")
    st.caption(tr("委託先ポータル（質問票の回答・証跡の提出）にサインインできる担当者です（再委託先を含む）。"
                  "招待・無効化は `vendorwatch portal invite|disable|enable`、一覧は `vendorwatch portal accounts`。",
                  "The contacts who can sign in to the vendor portal (answer questionnaires, send evidence), "
                  "sub-vendors included. Invite and disable with `vendorwatch portal invite|disable|enable`; "
                  "`vendorwatch portal accounts` lists them."))
    done = st.session_state.pop("pc_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    if not seen.accounts:
        st.info(tr(f"この委託先（再委託先を含む）にはポータルのアカウントがまだありません。台帳の連絡先（contacts）を "
                   f"{invite} で招待してください（1 名だけなら `vendorwatch portal invite アドレス`）。",
                   f"No portal account at this vendor or its sub-vendors yet. Invite the registry's contacts with "
                   f"{invite} (one person: `vendorwatch portal invite ADDRESS`)."), icon=":material/person_add:")
        if not seen.rows:
            st.caption(tr("台帳のこの委託先に連絡先（contacts）がありません。先に vendorwatch.yaml に追加してください。",
                          "The registry has no contacts for this vendor: add them to vendorwatch.yaml first."))
            return
    st.markdown(" · ".join([
        tr(f"登録済み {seen.count('enrolled')}", f"enrolled {seen.count('enrolled')}"),
        tr(f"招待中 {seen.count('pending')}", f"invited {seen.count('pending')}"),
        tr(f"招待期限切れ {seen.count('expired')}", f"invitation expired {seen.count('expired')}"),
        tr(f"未招待 {seen.count('not_invited')}", f"not invited {seen.count('not_invited')}"),
    ]))
    days = seen.failure_window.days
    failures = tr(f"失敗 {days} 日", f"Failures {days} d")
    invited = tr("招待", "Invited")
    strays = any(not r.in_registry for r in seen.rows)
    st.dataframe(pd.DataFrame([{
        tr("委託先", "Vendor"): ("└ " if r.vendor_id != vendor_id else "") + r.vendor_id,
        tr("担当者", "Contact"): r.name, tr("メール", "E-mail"): r.email, tr("状態", "State"): _contact_state(r),
        tr("サインイン方法", "Sign-in methods"): _sign_in_methods(r),
        tr("最終サインイン", "Last sign-in"): when(ctx, r.last_signin_at),
        failures: r.failures if r.account_id is not None else None,
        invited: f"{when(ctx, r.invited_at)} · {r.invited_by}" if r.invited_at else "",
        **({tr("台帳", "Registry"): "" if r.in_registry else tr("⚠ 連絡先にない", "⚠ not a contact")} if strays else {}),
    } for r in seen.rows]), hide_index=True, width="stretch", placeholder="—", column_config={
        tr("状態", "State"): st.column_config.TextColumn(width=240),
        failures: st.column_config.NumberColumn(format="%d", width=100,
                                                help=tr("サインインの失敗（誤ったコードなど）", "failed sign-in steps")),
        invited: st.column_config.TextColumn(width=230),
    })
    stray = [r for r in seen.accounts if not r.in_registry and r.disabled_at is None]
    if stray:
        st.warning(tr(f"台帳の連絡先にないアカウントが {len(stray)} 件有効です。不要なら無効化してください。",
                      f"{len(stray)} enabled account(s) are no longer contacts in the registry: disable them if "
                      "they are not needed."))
    locked = [r for r in seen.accounts if r.locked_until is not None]
    if locked:
        st.warning(tr(f"{len(locked)} 件がサインインの連続失敗でロック中です（時間が経つか有効化で解除）。",
                      f"{len(locked)} account(s) are locked after failed sign-ins in a row (the lock ends on its own "
                      "or when the account is enabled)."))
    if seen.count("expired"):
        st.info(tr(f"招待の期限が切れた担当者が {seen.count('expired')} 名います。{invite} で再送できます。",
                   f"{seen.count('expired')} invitation(s) expired before enrolment; send new ones with {invite}."))
    st.caption(tr(f"失敗: 過去 {days} 日のサインインの失敗（誤ったコード・パスキーの検証失敗など、監査ログの "
                  "portal.signin.failure）。メールアドレスと氏名は既定でマスクされます。",
                  f"Failures: failed sign-in steps in the last {days} days (wrong codes, failed passkey checks: "
                  "portal.signin.failure in the audit log). Addresses and names are masked by default."))
    if allows(ctx.user.role, Permission.PORTAL_ACCOUNTS) and seen.accounts:
        _portal_account_switch(seen.accounts, members)


def _portal_account_switch(accounts: tuple[PortalContactRow, ...], members: tuple[str, ...]) -> None:
    """Disable or enable one account, after ticking a confirmation that says what will happen."""
    with st.expander(tr("アカウントの無効化・有効化", "Disable or enable an account")):
        choices = {r.account_id: r for r in accounts if r.account_id is not None}
        picked = st.selectbox(tr("アカウント", "Account"), list(choices), key="pc_account",
                              format_func=lambda i: f"{choices[i].email} ({choices[i].vendor_id})")
        chosen = choices[picked]
        email = md(chosen.email)  # shown in markdown: escaped
        enable = chosen.disabled_at is not None
        if enable:
            what = tr(f"{email} を有効にします（ロックも解除されます）。", f"Enable {email} again (this also lifts a lockout).")
            button, result = tr("有効にする", "Enable"), tr(f"{email} を有効にしました。", f"Enabled {email}.")
        else:
            what = tr(f"{email} を無効にします。サインイン中のセッションは次の操作で終了します。",
                      f"Disable {email}: their signed-in sessions end at their next request.")
            button, result = tr("無効にする", "Disable"), tr(f"{email} を無効にしました。", f"Disabled {email}.")
        sure = st.checkbox(what, key=f"pc_sure_{picked}_{enable}")
        if st.button(button, key="pc_switch", type="secondary" if enable else "primary", disabled=not sure):
            try:
                actions.set_portal_account(ctx, picked, disabled=not enable, vendor_ids=members)
            except VendorWatchError as error:
                st.error(md(text(error.message)))
            else:
                st.session_state["pc_done"] = result
                st.rerun()
        st.caption(tr("操作は監査ログに記録されます（portal.disable / portal.enable）。",
                      "Recorded in the audit log (portal.disable / portal.enable)."))


if may_see_contacts:
    with tabs[6]:
        _portal_contacts_tab()
