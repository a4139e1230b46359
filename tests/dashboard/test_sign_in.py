"""Nothing renders without signing in; local sign-in, lockout, disabled accounts, idle sessions, OIDC — all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.auth import IDENTITY_KEY, LAST_ACTIVE_KEY
from tests.dashboard.conftest import APP, PAGES, PASSWORDS, STAFF, World, audit_entries, button, new_app, page_text, sign_in
from vendorwatch.clock import SystemClock
from vendorwatch.staff import accounts


def _on_sign_in_page(at) -> bool:
    return bool(at.text_input) and any(t.key == "signin_password" for t in at.text_input)


def test_nothing_renders_without_signing_in(world: World) -> None:
    at = new_app().run()
    assert not at.exception
    assert _on_sign_in_page(at)
    assert [t.value for t in at.title] == ["VendorWatch 委託先モニタリング"]
    assert not at.dataframe and not at.metric and not at.sidebar.button
    for page in (*PAGES, "users"):  # signed out, any page asked for shows the sign-in form and nothing else
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, page
        assert _on_sign_in_page(at), page
        assert [t.value for t in at.title] == ["VendorWatch 委託先モニタリング"], page
        assert not at.dataframe and not at.metric and not at.tabs, page
        assert "tradesys" not in page_text(at), page


def test_a_link_to_a_finding_opens_it_after_signing_in(world: World) -> None:
    at = new_app().run()
    at.query_params["finding"] = "29"
    at.switch_page("app_pages/findings.py").run()
    assert _on_sign_in_page(at)
    at = sign_in(at, STAFF["viewer"], PASSWORDS["viewer"])
    assert [t.value for t in at.title] == ["指摘事項"]
    assert any(s.key == "f_open" and s.value == 29 for s in at.selectbox)


@pytest.mark.parametrize("page", [*PAGES, "users"])
def test_a_page_run_on_its_own_renders_nothing(world: World, page: str) -> None:
    at = AppTest.from_file(str(APP.parent / "app_pages" / f"{page}.py"), default_timeout=60).run()
    assert not at.exception
    assert not at.main.children or not page_text(at).strip()


def test_sign_in_page_in_english_on_request(world: World) -> None:
    at = new_app(language="en").run()
    assert [t.value for t in at.title] == ["VendorWatch vendor monitoring"]
    assert any(b.label == "Sign in" for b in at.button)


def test_a_local_sign_in_opens_the_portfolio_and_is_audited(world: World) -> None:
    at = sign_in(new_app(), STAFF["manager"], PASSWORDS["manager"])
    assert not at.exception
    assert [t.value for t in at.title] == ["委託先ポートフォリオ"]
    entry = audit_entries(world.engine, "signin.")[-1]
    assert (entry.action, entry.actor, entry.details["method"], entry.details["role"]) == \
        ("signin.success", STAFF["manager"], "password", "manager")


def test_a_wrong_password_is_refused_audited_and_five_lock_the_account(world: World) -> None:
    at = new_app()
    for _ in range(accounts.MAX_FAILURES):
        at = sign_in(at, STAFF["viewer"], "not-the-password")
        assert _on_sign_in_page(at)
        assert any("正しくない" in e.value for e in at.error)
    failures = audit_entries(world.engine, "signin.failure")
    assert [f.details["reason"] for f in failures] == ["wrong_password"] * accounts.MAX_FAILURES
    assert "locked_until" in failures[-1].details
    at = sign_in(at, STAFF["viewer"], PASSWORDS["viewer"])  # the right password, but locked now
    assert _on_sign_in_page(at)
    assert audit_entries(world.engine, "signin.")[-1].details["reason"] == "locked"


def test_an_unknown_name_is_refused_with_the_same_message(world: World) -> None:
    at = sign_in(new_app(), "nobody", "whatever-password")
    assert _on_sign_in_page(at) and any("正しくない" in e.value for e in at.error)
    last = audit_entries(world.engine, "signin.")[-1]
    assert (last.action, last.actor, last.details["reason"]) == ("signin.failure", "nobody", "unknown_name")


def test_a_disabled_account_is_signed_out_at_its_next_step(world: World) -> None:
    at = sign_in(new_app(), STAFF["manager"], PASSWORDS["manager"])
    assert [t.value for t in at.title] == ["委託先ポートフォリオ"]
    with Session(world.engine) as session:
        accounts.set_disabled(session, STAFF["manager"], disabled=True, actor="ada", clock=SystemClock())
        session.commit()
    at.run()
    assert _on_sign_in_page(at)
    assert any("無効" in w.value for w in at.warning)
    assert audit_entries(world.engine, "signout")[-1].details["reason"] == "account disabled"


def test_an_idle_session_is_signed_out(world: World) -> None:
    at = sign_in(new_app(), STAFF["viewer"], PASSWORDS["viewer"])
    at.session_state[LAST_ACTIVE_KEY] = SystemClock().now() - timedelta(minutes=31)
    at.run()
    assert _on_sign_in_page(at)
    assert IDENTITY_KEY not in at.session_state
    assert audit_entries(world.engine, "signout")[-1].details["reason"] == "idle timeout"


def test_sign_out_is_audited_and_ends_the_session(world: World) -> None:
    at = sign_in(new_app(), STAFF["admin"], PASSWORDS["admin"])
    button(at, "サインアウト").click()  # type: ignore[attr-defined]
    at.run()
    assert _on_sign_in_page(at)
    entry = audit_entries(world.engine, "signout")[-1]
    assert (entry.actor, entry.details["reason"]) == (STAFF["admin"], "signed out")


OIDC_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "vendorwatch",
    "client_secret": "secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}


def test_oidc_sign_in_takes_the_role_of_the_account_with_that_email(world: World) -> None:
    at = new_app()
    at.secrets["auth"] = OIDC_SECRETS
    at.run()
    assert any("組織アカウントでサインイン" in b.label for b in at.button)  # the SSO button where [auth] is set
    at.user = {"is_logged_in": True, "email": "Mika@Sakura-Sec.example", "email_verified": True, "sub": "u-1",
               "iss": "http://localhost:9"}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["委託先ポートフォリオ"]
    entry = audit_entries(world.engine, "signin.")[-1]
    assert (entry.action, entry.actor, entry.details["method"], entry.details["role"]) == \
        ("signin.success", STAFF["manager"], "oidc", "manager")


def test_oidc_user_without_an_account_is_refused_and_audited(world: World) -> None:
    at = new_app()
    at.secrets["auth"] = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": "stranger@example.com", "email_verified": True, "sub": "u-2"}
    at.run()
    assert _on_sign_in_page(at)
    assert not at.dataframe
    assert any("登録されていません" in e.value for e in at.error)
    entry = audit_entries(world.engine, "signin.")[-1]
    assert (entry.action, entry.details["reason"]) == ("signin.failure", "no_account_for_email")


def test_oidc_claims_are_ignored_where_no_provider_is_configured(world: World) -> None:
    at = new_app()
    at.user = {"is_logged_in": True, "email": "mika@sakura-sec.example"}
    at.run()
    assert _on_sign_in_page(at)
    assert not audit_entries(world.engine, "signin.")
