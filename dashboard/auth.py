"""Signing in and staying signed in: local accounts (password) and the firm's OIDC provider (``st.login``).

Nothing but the sign-in page renders until ``current_identity`` returns someone. A signed-in session is
checked against the staff table on every run (a disabled account is signed out at its next click) and ends
after ``dashboard_idle_minutes`` without activity. Every sign-in, refusal and sign-out is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import streamlit as st
from sqlmodel import Session

from dashboard.context import CLOCK, engine_for, settings
from dashboard.texts import language_switch, tr
from vendorwatch.db.engine import session_scope
from vendorwatch.staff import accounts
from vendorwatch.staff.accounts import StaffIdentity
from vendorwatch.staff.passwords import MAX_LENGTH
from vendorwatch.staff.unmasking import mask_again

IDENTITY_KEY = "vw_identity"
LAST_ACTIVE_KEY = "vw_last_active"
UNMASKED_UNTIL_KEY = "vw_unmasked_until"
OIDC_CHECKED_KEY = "vw_oidc_checked"
OIDC_REFUSED_KEY = "vw_oidc_refused"
NOTICE_KEY = "vw_signin_notice"
SESSION_KEYS = (IDENTITY_KEY, LAST_ACTIVE_KEY, UNMASKED_UNTIL_KEY, OIDC_CHECKED_KEY, OIDC_REFUSED_KEY)


def _auth_section() -> Mapping[str, Any]:
    try:
        if "auth" not in st.secrets:
            return {}
        section = st.secrets["auth"]
    except (FileNotFoundError, KeyError):
        return {}
    return section if isinstance(section, Mapping) else {}


def oidc_providers() -> list[str | None]:
    """Providers configured under ``[auth]`` in Streamlit's secrets: ``None`` for the unnamed one, else names."""
    section = _auth_section()
    if not section:
        return []
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return ([None] if "client_id" in section else []) + sorted(named)


def _client() -> str | None:
    try:
        return st.context.ip_address
    except Exception:  # an AppTest run has no connection
        return None


def _engine() -> Any:
    return engine_for(settings().database_url)


def _end_session(identity: StaffIdentity, reason: str) -> None:
    with session_scope(_engine()) as session:
        if st.session_state.get(UNMASKED_UNTIL_KEY):
            mask_again(session, identity, why=f"signed out ({reason})", clock=CLOCK)
        accounts.record_sign_out(session, identity, reason=reason, clock=CLOCK, client=_client())
    for key in SESSION_KEYS:
        st.session_state.pop(key, None)


def sign_out(reason: str = "signed out") -> None:
    """End the session (audited); an OIDC user also leaves Streamlit's identity cookie and the provider."""
    identity = st.session_state.get(IDENTITY_KEY)
    if isinstance(identity, StaffIdentity):
        _end_session(identity, reason)
        if identity.method == "oidc":
            st.logout()
    st.rerun()


def _oidc_identity() -> StaffIdentity | None:
    """Map the user the OIDC provider signed in (``st.user``) to a staff account, once per session."""
    if not oidc_providers() or st.user.get("is_logged_in") is not True or st.session_state.get(OIDC_CHECKED_KEY):
        return None
    st.session_state[OIDC_CHECKED_KEY] = True
    claims = {key: st.user.get(key) for key in ("email", "email_verified", "sub", "iss", "name")}
    with session_scope(_engine()) as session:
        result = accounts.sign_in_with_oidc(session, claims, provider=str(st.user.get("provider") or "default"),
                                            clock=CLOCK, client=_client())
    if result.identity is None:
        st.session_state[OIDC_REFUSED_KEY] = result.reason
        return None
    return result.identity


def current_identity() -> StaffIdentity | None:
    """Who is signed in to this session, after the idle and account checks; None means the sign-in page."""
    now = CLOCK.now()
    identity = st.session_state.get(IDENTITY_KEY)
    if isinstance(identity, StaffIdentity):
        last: datetime = st.session_state.get(LAST_ACTIVE_KEY, now)
        if now - last > timedelta(minutes=settings().dashboard_idle_minutes):
            _end_session(identity, "idle timeout")
            st.session_state[NOTICE_KEY] = "idle"
            if identity.method == "oidc":
                st.logout()
            return None
        with Session(_engine()) as session:
            fresh = accounts.still_allowed(session, identity)
        if fresh is None:
            _end_session(identity, "account disabled")
            st.session_state[NOTICE_KEY] = "disabled"
            return None
        st.session_state[IDENTITY_KEY] = fresh
        st.session_state[LAST_ACTIVE_KEY] = now
        return fresh
    found = _oidc_identity()
    if found is not None:
        st.session_state[IDENTITY_KEY] = found
        st.session_state[LAST_ACTIVE_KEY] = now
    return found


def _password_sign_in(name: str, password: str) -> None:
    with session_scope(_engine()) as session:
        result = accounts.sign_in_with_password(session, name, password[: MAX_LENGTH + 1], clock=CLOCK, client=_client())
    if result.identity is not None:
        st.session_state[IDENTITY_KEY] = result.identity
        st.session_state[LAST_ACTIVE_KEY] = CLOCK.now()
        st.session_state.pop(NOTICE_KEY, None)
        st.rerun()
    st.session_state[NOTICE_KEY] = "refused"


def sign_in_page() -> None:
    """The only page shown before signing in: a local account form, and the SSO button where OIDC is set up."""
    with st.columns([1, 2, 1])[1]:
        _sign_in_form()


def _sign_in_form() -> None:
    language_switch(key="signin_language")
    st.title(tr("VendorWatch 委託先モニタリング", "VendorWatch vendor monitoring"))
    st.caption(tr("JSDA ガイドライン IV.3(2) 外部委託先の管理 — サインインしてください",
                  "JSDA guideline IV.3(2), outsourced vendors — please sign in"))
    notice = st.session_state.get(NOTICE_KEY)
    if notice == "refused":
        failures, minutes = accounts.MAX_FAILURES, int(accounts.LOCKOUT.total_seconds() // 60)
        st.error(tr("アカウント名またはパスワードが正しくないか、アカウントが利用できません。"
                    f"{failures} 回続けて失敗すると {minutes} 分間ロックされます。",
                    "Wrong account name or password, or the account cannot be used. After "
                    f"{failures} failures in a row an account is locked for {minutes} minutes."))
    elif notice == "idle":
        st.info(tr("しばらく操作がなかったためサインアウトしました。", "You were signed out after a period of inactivity."))
    elif notice == "disabled":
        st.warning(tr("アカウントが無効になったためサインアウトしました。", "You were signed out: the account was disabled."))
    refused = st.session_state.get(OIDC_REFUSED_KEY)
    if refused:
        st.error(tr("組織アカウントでの認証はできましたが、VendorWatch の利用者として登録されていません"
                    "（または無効です）。管理者に `vendorwatch user add` での登録を依頼してください。",
                    "Your organization account was verified but is not registered (or is disabled) as a "
                    "VendorWatch user. Ask an administrator to add it with `vendorwatch user add`."))
        if st.button(tr("組織アカウントからサインアウト", "Sign out of the organization account"), key="oidc_logout"):
            for key in SESSION_KEYS:
                st.session_state.pop(key, None)
            st.logout()
    providers = oidc_providers()
    if providers and not refused:
        st.subheader(tr("組織アカウント (SSO)", "Organization account (SSO)"))
        for provider in providers:
            label = tr("組織アカウントでサインイン", "Sign in with the organization account")
            if provider:
                label += f" ({provider})"
            if st.button(label, key=f"oidc_{provider or 'default'}", type="primary"):
                if provider:
                    st.login(provider)
                else:
                    st.login()
        st.subheader(tr("ローカルアカウント", "Local account"))
    with st.form("signin", clear_on_submit=False, enter_to_submit=True, border=True):
        name = st.text_input(tr("アカウント名", "Account name"), key="signin_name", max_chars=64)
        password = st.text_input(tr("パスワード", "Password"), type="password", key="signin_password")
        submitted = st.form_submit_button(tr("サインイン", "Sign in"), type="primary")
    if submitted:
        _password_sign_in(name, password)
        st.rerun()
    st.caption(tr("画面上の個人情報は既定でマスクされます。サインイン・サインアウトは監査ログに記録されます。",
                  "Personal data is masked on screen by default. Sign-ins and sign-outs are recorded in the audit log."))
