"""Signing in through OIDC (``st.login``) against a real local OpenID provider (oidc-provider-mock in a thread):
the user the provider vouches for gets the role of the staff account with that e-mail; others are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Browser, Page

from tests.dashboard.conftest import STAFF, World, audit_entries
from tests.servers.dashboard import assert_no_error, free_port, screenshot, serve_dashboard, settle


@pytest.fixture
def provider() -> Iterator[str]:
    with run_server_in_thread(port=free_port()) as server:
        yield f"http://localhost:{server.server_port}"


def _secrets(tmp_path: Path, provider: str, port: int) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "test-cookie-secret-not-a-real-one-0123456789"\n'
        'client_id = "vendorwatch-dashboard"\n'
        'client_secret = "test-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


def _sign_in_at_the_provider(page: Page, subject: str) -> None:
    page.get_by_role("button", name="組織アカウントでサインイン").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=60_000)
    page.locator('input[name="sub"]').fill(subject)  # the mock provider's form: who signs in
    page.get_by_role("button", name="Authorize").click()


def test_sign_in_through_a_real_oidc_provider(world: World, tmp_path: Path, provider: str, browser: Browser) -> None:
    port = free_port()
    secrets = _secrets(tmp_path, provider, port)
    with serve_dashboard(world.url, tmp_path, secrets=secrets, host_name="localhost", port=port) as dashboard:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(dashboard.url)
        page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
        settle(page)
        assert_no_error(page)
        screenshot(page, "sign-in-oidc-ja")
        _sign_in_at_the_provider(page, f"{STAFF['manager']}@sakura-sec.example")
        page.get_by_role("heading", name="委託先ポートフォリオ").wait_for(timeout=60_000)
        settle(page)
        assert_no_error(page)
        assert page.get_by_test_id("stSidebar").get_by_text("委託先管理担当").is_visible()
        page.close()
    entry = audit_entries(world.engine, "signin.")[-1]
    assert (entry.action, entry.actor, entry.details["method"], entry.details["role"]) == \
        ("signin.success", STAFF["manager"], "oidc", "manager")
    assert entry.details["issuer"] == provider


def test_an_oidc_user_without_an_account_is_refused(world: World, tmp_path: Path, provider: str,
                                                     browser: Browser) -> None:
    port = free_port()
    with serve_dashboard(world.url, tmp_path, secrets=_secrets(tmp_path, provider, port), host_name="localhost",
                         port=port) as dashboard:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(dashboard.url)
        page.get_by_role("heading", name="VendorWatch 委託先モニタリング").wait_for(timeout=60_000)
        _sign_in_at_the_provider(page, "stranger@example.com")
        page.get_by_text("登録されていません").wait_for(timeout=60_000)
        settle(page)
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        page.close()
    entry = audit_entries(world.engine, "signin.")[-1]
    assert (entry.action, entry.details["reason"]) == ("signin.failure", "no_account_for_email")
