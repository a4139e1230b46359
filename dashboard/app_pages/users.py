"""Users (administrators only): the staff accounts, adding and changing them, and the recent sign-ins."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, data
from dashboard.context import current
from dashboard.texts import text, tr
from dashboard.widgets import md, when
from vendorwatch.errors import VendorWatchError
from vendorwatch.staff.roles import LABELS, Permission, Role, allows

ctx = current()
if not allows(ctx.user.role, Permission.MANAGE_USERS):  # never in the navigation of others; refuse anyway
    st.error(tr("この画面は管理者だけが使えます。", "Only administrators may use this page."))
    st.stop()

STATE = {"active": tr("有効", "active"), "locked": tr("ロック中", "locked"), "disabled": tr("無効", "disabled")}
METHOD = {"password": tr("パスワード", "password"), "oidc": "OIDC"}
role_labels = {r.value: text(LABELS[r]) for r in Role}

st.title(tr("利用者", "Users"))
done = st.session_state.pop("u_done", None)
if done:
    st.success(done, icon=":material/check_circle:")
staff = data.staff_of(ctx)
st.dataframe([{
    tr("アカウント", "Account"): s.name, tr("表示名", "Name"): s.display_name,
    tr("役割", "Role"): role_labels.get(s.role, s.role),
    tr("メール", "E-mail"): s.email, tr("方式", "Sign-in"): METHOD[s.method],
    tr("状態", "State"): STATE[s.state] + (f" ({when(ctx, s.locked_until)} {tr('まで', 'until')})" if s.locked_until else ""),
    tr("最終サインイン", "Last sign-in"): when(ctx, s.last_signin_at), tr("作成", "Created"): when(ctx, s.created_at),
} for s in staff], hide_index=True, width="stretch")


def _do(action: actions.StaffAction, name: str, message: str, **values: str | None) -> None:
    try:
        actions.manage_staff(ctx, action, name, **values)
    except VendorWatchError as error:
        st.error(md(text(error.message)))
    else:
        st.session_state["u_done"] = message
        st.rerun()


names = [s.name for s in staff]
add_tab, change_tab = st.tabs([tr("追加", "Add"), tr("変更", "Change")])
with add_tab, st.form("u_add", clear_on_submit=True, border=False):
    c1, c2 = st.columns(2)
    name = c1.text_input(tr("アカウント名", "Account name"), key="u_add_name", max_chars=64)
    role = c2.selectbox(tr("役割", "Role"), list(role_labels), key="u_add_role", format_func=role_labels.__getitem__)
    email = c1.text_input(tr("メール（OIDC はこれで照合）", "E-mail (OIDC sign-in matches it)"), key="u_add_email")
    display = c2.text_input(tr("表示名", "Display name"), key="u_add_display")
    password = c1.text_input(tr("初期パスワード（OIDC のみなら空欄）", "Initial password (empty: OIDC only)"),
                             type="password", key="u_add_password")
    again = c2.text_input(tr("もう一度", "Again"), type="password", key="u_add_again")
    if st.form_submit_button(tr("追加する", "Add")):
        if password != again:
            st.error(tr("2 回の入力が一致しません。", "The two passwords differ."))
        else:
            _do("add", name, tr(f"{name} を追加しました。", f"Added {name}."), role=role, password=password or None,
                email=email or None, display_name=display or None)
with change_tab:
    if names:
        who = st.selectbox(tr("アカウント", "Account"), names, key="u_who")
        c1, c2, c3 = st.columns(3)
        with c1, st.form("u_role", border=False):
            new_role = st.selectbox(tr("新しい役割", "New role"), list(role_labels), key="u_new_role",
                                    format_func=role_labels.__getitem__)
            if st.form_submit_button(tr("役割を変更", "Change the role")):
                _do("role", who, tr(f"{who} の役割を変更しました。", f"Changed the role of {who}."), role=new_role)
        with c2, st.form("u_reset", clear_on_submit=True, border=False):
            new_password = st.text_input(tr("新しいパスワード（ロックも解除）", "New password (also unlocks)"),
                                         type="password", key="u_new_password")
            if st.form_submit_button(tr("パスワードを再設定", "Reset the password")):
                _do("reset", who, tr(f"{who} のパスワードを再設定しました。", f"Reset the password of {who}."),
                    password=new_password)
        with c3:
            state = next(s.state for s in staff if s.name == who)
            if state == "disabled":
                if st.button(tr("有効にする", "Enable"), key="u_enable"):
                    _do("enable", who, tr(f"{who} を有効にしました。", f"Enabled {who}."))
            elif st.button(tr("無効にする", "Disable"), key="u_disable", type="primary"):
                _do("disable", who, tr(f"{who} を無効にしました。", f"Disabled {who}."))

st.subheader(tr("最近のサインイン", "Recent sign-ins"))
ACTION = {"signin.success": tr("成功", "signed in"), "signin.failure": tr("失敗", "refused"),
          "signout": tr("サインアウト", "signed out")}
st.dataframe([{
    tr("日時", "When"): when(ctx, r.at), tr("アカウント", "Account"): r.actor, tr("結果", "Outcome"): ACTION[r.action],
    tr("方式", "Method"): METHOD.get(r.method, r.method), tr("理由", "Reason"): r.reason,
    tr("接続元", "Client"): r.client,
} for r in data.sign_ins_of(ctx)], hide_index=True, width="stretch")
st.caption(tr("利用者の変更とサインインはすべて監査ログに記録されます（vendorwatch audit log）。",
              "Every change of an account and every sign-in is in the audit log (vendorwatch audit log)."))
