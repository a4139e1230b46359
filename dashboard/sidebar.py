"""The sidebar of every signed-in page: who is signed in, the language, personal-data masking, sign-out."""

from __future__ import annotations

import streamlit as st

from dashboard import actions, auth
from dashboard.context import PageContext
from dashboard.texts import language_switch, text, tr
from dashboard.widgets import md
from vendorwatch.clock import local_time
from vendorwatch.errors import VendorWatchError
from vendorwatch.staff.roles import LABELS, Permission, allows


def render(ctx: PageContext, where: str) -> None:
    """Draw the sidebar; ``where`` names the page for the audit entry of an unmasking."""
    with st.sidebar:
        st.markdown(f"**{md(ctx.user.label)}**  \n{text(LABELS[ctx.user.role])}")
        language_switch(key="sidebar_language")
        st.divider()
        if ctx.masked:
            st.caption(tr("個人情報はマスクされています", "Personal data is masked"))
            if allows(ctx.user.role, Permission.UNMASK):
                with st.expander(tr("個人情報を表示する", "Show personal data")), \
                        st.form("unmask", clear_on_submit=True, border=False):
                        reason = st.text_input(tr("理由（監査ログに記録）", "Reason (recorded in the audit log)"),
                                               key="unmask_reason", max_chars=500)
                        if st.form_submit_button(tr("表示する", "Show")):
                            try:
                                actions.show_personal_data(ctx, reason, where)
                            except VendorWatchError as error:
                                st.error(md(text(error.message)))
                            else:
                                st.rerun()
        else:
            until = st.session_state.get(auth.UNMASKED_UNTIL_KEY)
            st.warning(tr(f"個人情報を表示中（{local_time(until, ctx.zone)} まで）",
                          f"Personal data shown (until {local_time(until, ctx.zone)})"))
            if st.button(tr("再びマスクする", "Mask again"), key="mask_again"):
                actions.hide_personal_data(ctx)
                st.rerun()
        st.divider()
        if st.button(tr("サインアウト", "Sign out"), key="sign_out"):
            auth.sign_out()
