"""VendorWatch dashboard — the Streamlit entry point (``vendorwatch dashboard`` serves this file).

Signed out, whatever page the URL names, only the sign-in form runs (no page, not even the portfolio,
renders); the URL is left as it was, so a link to a finding opens that finding once signed in. Signed in,
the navigation holds the pages of ``app_pages/`` the role may use, and every page gets its ``PageContext``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import actions, auth, context, sidebar
from dashboard.texts import text, tr
from dashboard.widgets import md
from vendorwatch.errors import VendorWatchError
from vendorwatch.staff.accounts import StaffIdentity
from vendorwatch.staff.roles import Permission, allows

PAGES = Path(__file__).with_name("app_pages")


def _pages(user: StaffIdentity | None) -> list[st.Page]:
    pages = [
        st.Page(PAGES / "portfolio.py", title=tr("ポートフォリオ", "Portfolio"), icon=":material/dashboard:",
                url_path="portfolio", default=user is not None),
        st.Page(PAGES / "vendor.py", title=tr("委託先", "Vendor"), icon=":material/domain:", url_path="vendor"),
        st.Page(PAGES / "findings.py", title=tr("指摘事項", "Findings"), icon=":material/report:",
                url_path="findings"),
        st.Page(PAGES / "trail.py", title=tr("アクセス履歴", "Access trail"), icon=":material/manage_search:",
                url_path="trail"),
        st.Page(PAGES / "questionnaires.py", title=tr("質問票", "Questionnaires"), icon=":material/quiz:",
                url_path="questionnaires"),
        st.Page(PAGES / "board.py", title=tr("取締役会報告", "Board report"), icon=":material/summarize:",
                url_path="board"),
    ]
    if user is None or allows(user.role, Permission.MANAGE_USERS):  # the page does not exist for anyone else
        pages.append(st.Page(PAGES / "users.py", title=tr("利用者", "Users"), icon=":material/group:",
                             url_path="users"))
    return pages


def main() -> None:
    """One run: sign-in gate, then the page the user asked for."""
    st.set_page_config(page_title="VendorWatch", page_icon=":material/shield:", layout="wide")
    try:
        identity = auth.current_identity()
        if identity is None:
            st.session_state.pop(context.CONTEXT_KEY, None)
            # Every page is known, so the URL asked for stays in the address bar; none of them is run.
            st.navigation([st.Page(auth.sign_in_page, title=tr("サインイン", "Sign in"), url_path="signin",
                                   icon=":material/login:", default=True), *_pages(None)], position="hidden")
            auth.sign_in_page()
            return
        url = context.settings().database_url
        engine = context.engine_for(url)
        version = context.data_version(engine)
        registry = context.registry_for(url, version[2])
        if registry is None:
            st.warning(tr("委託先台帳がまだ取り込まれていません。`vendorwatch init` を実行してください。",
                          "No vendor registry has been imported yet: run `vendorwatch init`."))
            return
        page = st.navigation(_pages(identity), position="sidebar")
        ctx = context.PageContext(url, engine, registry, version, identity, actions.masked_now(identity),
                                  context.CLOCK)
        st.session_state[context.CONTEXT_KEY] = ctx
        sidebar.render(ctx, page.url_path or "portfolio")
        page.run()
    except VendorWatchError as error:
        st.error(md(text(error.message)))


main()
